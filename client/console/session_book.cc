#include "console/session_book.h"

#include <sodium.h>

#include <algorithm>

namespace hotline::console {

std::string NewToken() {
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  char text[sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(text, sizeof text, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return text;
}

bool SameToken(const std::string& a, const std::string& b) {
  return a.size() == b.size() &&
         sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

Session SessionBook::Open(const std::string& operator_name, int64_t now_ms) {
  if (sessions_.size() >= policy_.max_sessions) {
    auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](auto& a, auto& b) {
      return a.second.last_seen_ms < b.second.last_seen_ms;
    });
    sessions_.erase(oldest);
  }
  Session s{NewToken(), NewToken(), operator_name, now_ms, now_ms};
  sessions_[s.token] = s;
  return s;
}

bool SessionBook::Expired(const Session& s, int64_t now_ms) const {
  return now_ms - s.last_seen_ms > policy_.idle_ms || now_ms - s.created_ms > policy_.lifetime_ms;
}

const Session* SessionBook::Find(const std::string& token, int64_t now_ms) {
  if (token.empty()) return nullptr;
  // A map lookup by token leaks nothing useful: an attacker learns only
  // whether a guessed 256-bit token exists.
  auto it = sessions_.find(token);
  if (it == sessions_.end()) return nullptr;
  if (Expired(it->second, now_ms)) {
    sessions_.erase(it);
    return nullptr;
  }
  it->second.last_seen_ms = now_ms;
  return &it->second;
}

std::string SessionBook::IssueLink(const std::string& operator_name, const std::string& issued_by,
                                   int64_t now_ms) {
  for (auto it = links_.begin(); it != links_.end();) {
    it = it->second.expires_ms < now_ms ? links_.erase(it) : std::next(it);
  }
  std::string token = NewToken();
  links_[token] = {{operator_name, issued_by}, now_ms + policy_.link_lifetime_ms};
  return token;
}

std::optional<SessionBook::LinkGrant> SessionBook::RedeemLink(const std::string& token,
                                                              int64_t now_ms) {
  auto it = links_.find(token);
  if (it == links_.end()) return std::nullopt;
  Link link = it->second;
  links_.erase(it);  // once, even when expired
  if (link.expires_ms < now_ms) return std::nullopt;
  return link.grant;
}

void SessionBook::Trim(std::deque<int64_t>& times, int64_t now_ms) const {
  while (!times.empty() && now_ms - times.front() >= policy_.failure_window_ms) times.pop_front();
}

std::optional<std::string> SessionBook::LoginRefusal(const std::string& address,
                                                     const std::string& name, int64_t now_ms) {
  auto& by_address = failures_by_address_[address];
  auto& by_name = failures_by_name_[name];
  Trim(by_address, now_ms);
  Trim(by_name, now_ms);
  auto limit = static_cast<size_t>(policy_.failures_allowed);
  auto wait_s = [&](const std::deque<int64_t>& t) {
    return std::to_string((t.front() + policy_.failure_window_ms - now_ms + 999) / 1000);
  };
  if (by_address.size() >= limit) {
    return "too many failed logins from " + address + "; try again in " + wait_s(by_address) + " s";
  }
  if (by_name.size() >= limit) {
    return "too many failed logins for " + name + "; try again in " + wait_s(by_name) + " s";
  }
  if (by_address.empty()) failures_by_address_.erase(address);
  if (by_name.empty()) failures_by_name_.erase(name);
  return std::nullopt;
}

void SessionBook::LoginFailed(const std::string& address, const std::string& name, int64_t now_ms) {
  // Bounded: entries whose window has passed are dropped once the maps grow
  // (a name needs an address, and each address is limited).
  for (auto* book : {&failures_by_address_, &failures_by_name_}) {
    if (book->size() < 4096) continue;
    for (auto it = book->begin(); it != book->end();) {
      Trim(it->second, now_ms);
      it = it->second.empty() ? book->erase(it) : std::next(it);
    }
  }
  failures_by_address_[address].push_back(now_ms);
  failures_by_name_[name].push_back(now_ms);
}

}  // namespace hotline::console
