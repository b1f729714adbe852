// The console's signed-in operators: session tokens (the cookie), their
// CSRF tokens, one-time login links, and the login rate limit. State only,
// with the time passed in: the HTTP layer asks, this answers.
//
// Tokens are 32 random bytes, base64url, and never logged. CSRF tokens are
// compared in constant time; sessions are found by a map lookup, which
// tells an attacker only whether a guessed 256-bit token exists.
//
// Thread safety: one thread. Error contract: lookups return null / false.
#ifndef HOTLINE_CLIENT_CONSOLE_SESSION_BOOK_H_
#define HOTLINE_CLIENT_CONSOLE_SESSION_BOOK_H_

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

namespace hotline::console {

struct SessionPolicy {
  int64_t idle_ms = 60 * 60 * 1000;          // signed out after an hour without a request
  int64_t lifetime_ms = 12 * 60 * 60 * 1000; // and after twelve hours in any case
  int64_t link_lifetime_ms = 8 * 60 * 60 * 1000;
  int failures_allowed = 5;                  // failed logins per address, and per name ...
  int64_t failure_window_ms = 5 * 60 * 1000; // ... within this window, then refused until it passes
  size_t max_sessions = 256;                 // the oldest is signed out beyond this
};

struct Session {
  std::string token;
  std::string csrf;
  std::string operator_name;
  int64_t created_ms = 0;
  int64_t last_seen_ms = 0;
};

class SessionBook {
 public:
  explicit SessionBook(SessionPolicy policy = {}) : policy_(policy) {}

  Session Open(const std::string& operator_name, int64_t now_ms);
  // The live session with this cookie token (and marks it seen), or null.
  const Session* Find(const std::string& token, int64_t now_ms);
  void Close(const std::string& token) { sessions_.erase(token); }

  // A one-time login link token for `operator_name`, asked for by
  // `issued_by` (kept for the login's audit record).
  std::string IssueLink(const std::string& operator_name, const std::string& issued_by,
                        int64_t now_ms);
  struct LinkGrant {
    std::string operator_name;
    std::string issued_by;
  };
  // Whom a link token signs in, once; nullopt if unknown, used or expired.
  std::optional<LinkGrant> RedeemLink(const std::string& token, int64_t now_ms);

  // Whether a login from `address` for `name` may be tried now; else why not.
  std::optional<std::string> LoginRefusal(const std::string& address, const std::string& name,
                                          int64_t now_ms);
  void LoginFailed(const std::string& address, const std::string& name, int64_t now_ms);

  size_t size() const { return sessions_.size(); }

 private:
  bool Expired(const Session& s, int64_t now_ms) const;
  void Trim(std::deque<int64_t>& times, int64_t now_ms) const;

  SessionPolicy policy_;
  std::map<std::string, Session> sessions_;  // by token
  struct Link {
    LinkGrant grant;
    int64_t expires_ms = 0;
  };
  std::map<std::string, Link> links_;
  std::map<std::string, std::deque<int64_t>> failures_by_address_, failures_by_name_;
};

// 32 random bytes as unpadded base64url (43 characters).
std::string NewToken();
// Constant-time comparison of two tokens.
bool SameToken(const std::string& a, const std::string& b);

}  // namespace hotline::console

#endif  // HOTLINE_CLIENT_CONSOLE_SESSION_BOOK_H_
