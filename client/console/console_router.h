// The console's HTTP handling, without sockets: a Beast request in, a Beast
// response out (through a callback: operations answer when the node has
// committed them). Static assets, sign-in (password or one-time link),
// sessions, CSRF and origin checks, and /api/control, which forwards the
// control API (control.proto) as proto3 JSON to the node: the console has
// no other way into the node.
//
// Thread safety: the node's io thread. Error contract: every refusal is a
// response with a ConsoleError body, and is audited through the backend.
#ifndef HOTLINE_CLIENT_CONSOLE_CONSOLE_ROUTER_H_
#define HOTLINE_CLIENT_CONSOLE_CONSOLE_ROUTER_H_

#include <boost/beast/http.hpp>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "console/session_book.h"
#include "hotline/status.h"
#include "hotline/v1/audit.pb.h"
#include "hotline/v1/control.pb.h"

namespace hotline::console {

namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

// What the console needs of its node.
class ConsoleBackend {
 public:
  virtual ~ConsoleBackend() = default;
  using Reply = std::function<void(v1::ControlResponse)>;
  virtual void Control(const v1::ControlRequest& request, Reply reply) = 0;
  // Checks a password off the event loop; `done` runs on it.
  virtual void VerifyPassword(const std::string& name, const std::string& password,
                              std::function<void(StatusOr<bool>)> done) = 0;
  // A refused request (INPUT_REJECTED "console: ...").
  virtual void Refused(const std::string& why) = 0;
  virtual void SessionEvent(v1::AuditEvent event, const std::string& operator_name,
                            const std::string& detail) = 0;
  virtual int64_t NowMs() = 0;
  // Renders `message` as proto3 JSON for `done` (on the event loop). A
  // large answer (a 200-message inbox) costs a millisecond or more: the
  // server does it on a worker thread. This default renders in place.
  virtual void RenderJson(std::shared_ptr<const google::protobuf::Message> message,
                          std::function<void(std::string)> done);
};

// proto3 JSON with the .proto's field names, on one line.
std::string JsonOf(const google::protobuf::Message& message);

struct ConsoleOptions {
  v1::Nation nation = v1::NATION_UNSPECIFIED;
  // Origins the console is reached at ("http://127.0.0.1:8401"); requests
  // must name one in Host, and in Origin when they change anything.
  std::vector<std::string> origins;
  // Pages allowed to frame the console (the situation room); none by default.
  std::vector<std::string> frame_ancestors;
  bool secure_cookie = false;  // add Secure (behind a TLS proxy)
  SessionPolicy sessions;
};

class ConsoleRouter {
 public:
  ConsoleRouter(ConsoleOptions options, ConsoleBackend& backend);

  void Handle(const HttpRequest& request, const std::string& peer,
              std::function<void(HttpResponse)> done);
  // A WebSocket upgrade on /api/events: the signed-in operator, or the
  // response refusing it.
  std::variant<std::string, HttpResponse> AuthorizeEvents(const HttpRequest& request,
                                                          const std::string& peer);
  // A one-time sign-in URL for `operator_name` at the first origin.
  StatusOr<v1::ConsoleLinkResponse> IssueLink(const std::string& operator_name,
                                              const std::string& issued_by);

  std::string cookie_name() const { return cookie_; }
  const ConsoleOptions& options() const { return options_; }

 private:
  HttpResponse Static(const HttpRequest& request);
  HttpResponse LinkLogin(const HttpRequest& request, const std::string& peer);
  void PasswordLogin(const HttpRequest& request, const std::string& peer,
                     std::function<void(HttpResponse)> done);
  void ControlCall(const HttpRequest& request, const Session& session,
                   std::function<void(HttpResponse)> done);
  HttpResponse SessionInfo(const HttpRequest& request, const Session& session);
  HttpResponse Refuse(const HttpRequest& request, http::status status, const std::string& code,
                      const std::string& why, const std::string& peer, bool audit = true);
  HttpResponse Json(const HttpRequest& request, http::status status,
                    const google::protobuf::Message& body);
  HttpResponse JsonText(const HttpRequest& request, http::status status, std::string body);
  void Secure(HttpResponse& response) const;
  std::string SessionCookie(const std::string& token, bool clear = false) const;
  bool HostAllowed(const HttpRequest& request) const;
  bool OriginAllowed(const HttpRequest& request) const;
  const Session* SessionOf(const HttpRequest& request);

  ConsoleOptions options_;
  ConsoleBackend& backend_;
  SessionBook sessions_;
  std::string cookie_;
  std::string csp_;
};

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or "".
std::string CookieValue(std::string_view header, std::string_view name);

}  // namespace hotline::console

#endif  // HOTLINE_CLIENT_CONSOLE_CONSOLE_ROUTER_H_
