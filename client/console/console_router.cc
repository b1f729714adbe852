#include "console/console_router.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "console/console_assets.h"
#include "console/operator_accounts.h"
#include "hotline/certs.h"
#include "hotline/names.h"
#include "hotline/v1/console.pb.h"

namespace hotline::console {

namespace {

std::string_view SV(boost::beast::string_view s) { return {s.data(), s.size()}; }

constexpr size_t kMaxBody = 64 * 1024;

std::string_view PathOf(const HttpRequest& request) {
  std::string_view target = SV(request.target());
  return target.substr(0, target.find('?'));
}

std::string QueryValue(std::string_view target, std::string_view key) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return "";
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key && eq != std::string_view::npos) {
      return std::string(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return "";
}

}  // namespace

std::string JsonOf(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

void ConsoleBackend::RenderJson(std::shared_ptr<const google::protobuf::Message> message,
                                std::function<void(std::string)> done) {
  done(JsonOf(*message));
}

std::string CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    size_t semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      return std::string(pair.substr(eq + 1));
    }
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return "";
}

ConsoleRouter::ConsoleRouter(ConsoleOptions options, ConsoleBackend& backend)
    : options_(std::move(options)), backend_(backend), sessions_(options_.sessions) {
  std::string nation = NationCode(options_.nation);
  std::transform(nation.begin(), nation.end(), nation.begin(), ::tolower);
  // Per nation: cookies ignore ports, and three consoles may share a host.
  cookie_ = "hotline_" + nation;
  std::string ancestors = "'none'";
  if (!options_.frame_ancestors.empty()) {
    ancestors.clear();
    for (const auto& a : options_.frame_ancestors) ancestors += (ancestors.empty() ? "" : " ") + a;
  }
  // The situation room frames the three consoles: the same list serves as
  // who may frame us and what we may frame.
  csp_ = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
         "connect-src 'self'; media-src 'self'; base-uri 'none'; form-action 'self'; "
         "frame-src " + ancestors + "; frame-ancestors " + ancestors;
}

void ConsoleRouter::Secure(HttpResponse& r) const {
  r.set("Content-Security-Policy", csp_);
  r.set("X-Content-Type-Options", "nosniff");
  r.set("Referrer-Policy", "no-referrer");
  r.set("Cross-Origin-Opener-Policy", "same-origin");
  r.set("Cross-Origin-Resource-Policy", "same-origin");
  r.set(http::field::cache_control, "no-store");
  r.set(http::field::server, "hotline-node");
}

HttpResponse ConsoleRouter::Json(const HttpRequest& request, http::status status,
                                 const google::protobuf::Message& body) {
  return JsonText(request, status, JsonOf(body));
}

HttpResponse ConsoleRouter::JsonText(const HttpRequest& request, http::status status,
                                     std::string body) {
  HttpResponse r{status, request.version()};
  r.set(http::field::content_type, "application/json; charset=utf-8");
  r.body() = std::move(body);
  r.keep_alive(request.keep_alive());
  Secure(r);
  r.prepare_payload();
  return r;
}

HttpResponse ConsoleRouter::Refuse(const HttpRequest& request, http::status status,
                                   const std::string& code, const std::string& why,
                                   const std::string& peer, bool audit) {
  if (audit) {
    backend_.Refused(std::string(request.method_string()) + " " +
                     std::string(PathOf(request)) + " from " + peer + ": " + why);
  }
  v1::ConsoleError e;
  e.set_error(why);
  e.set_code(code);
  return Json(request, status, e);
}

std::string ConsoleRouter::SessionCookie(const std::string& token, bool clear) const {
  std::string c = cookie_ + "=" + token + "; Path=/; HttpOnly; SameSite=Strict";
  if (options_.secure_cookie) c += "; Secure";
  if (clear) c += "; Max-Age=0";
  return c;
}

bool ConsoleRouter::HostAllowed(const HttpRequest& request) const {
  std::string_view host = SV(request[http::field::host]);
  return std::any_of(options_.origins.begin(), options_.origins.end(), [&](const std::string& o) {
    size_t scheme = o.find("://");
    return scheme != std::string::npos && std::string_view(o).substr(scheme + 3) == host;
  });
}

bool ConsoleRouter::OriginAllowed(const HttpRequest& request) const {
  std::string_view origin = SV(request[http::field::origin]);
  return std::find(options_.origins.begin(), options_.origins.end(), origin) !=
         options_.origins.end();
}

const Session* ConsoleRouter::SessionOf(const HttpRequest& request) {
  return sessions_.Find(CookieValue(SV(request[http::field::cookie]), cookie_), backend_.NowMs());
}

void ConsoleRouter::Handle(const HttpRequest& request, const std::string& peer,
                           std::function<void(HttpResponse)> done) {
  // A page on another host name that resolves here (DNS rebinding) must
  // not reach the console.
  if (!HostAllowed(request)) {
    return done(Refuse(request, http::status::misdirected_request, "host",
                       "unexpected Host header '" + std::string(request[http::field::host]) + "'",
                       peer));
  }
  std::string_view path = PathOf(request);
  bool api = path.substr(0, 5) == "/api/";
  if (!api && request.method() == http::verb::get) {
    if (path == "/login") return done(LinkLogin(request, peer));
    return done(Static(request));
  }
  if (!api) {
    return done(Refuse(request, http::status::method_not_allowed, "method",
                       "only GET is allowed here", peer));
  }
  if (request.method() == http::verb::get && path == "/api/session") {
    const Session* s = SessionOf(request);
    if (!s) {
      return done(Refuse(request, http::status::unauthorized, "unauthenticated",
                         "not signed in", peer, /*audit=*/false));
    }
    return done(SessionInfo(request, *s));
  }
  if (request.method() != http::verb::post) {
    return done(Refuse(request, http::status::method_not_allowed, "method",
                       "the console API takes POST here", peer));
  }
  // Every state-changing request: from our own page (Origin), signed in
  // (cookie), and carrying the session's CSRF token.
  if (!OriginAllowed(request)) {
    return done(Refuse(request, http::status::forbidden, "origin",
                       "request from another origin ('" +
                           std::string(request[http::field::origin]) + "')",
                       peer));
  }
  if (request.body().size() > kMaxBody) {
    return done(Refuse(request, http::status::payload_too_large, "too-large",
                       "request body over 64 KiB", peer));
  }
  if (path == "/api/login") return PasswordLogin(request, peer, std::move(done));
  const Session* session = SessionOf(request);
  if (!session) {
    return done(
        Refuse(request, http::status::unauthorized, "unauthenticated", "not signed in", peer));
  }
  if (!SameToken(std::string(request["X-CSRF-Token"]), session->csrf)) {
    return done(Refuse(request, http::status::forbidden, "csrf",
                       "missing or wrong CSRF token (operator " + session->operator_name + ")",
                       peer));
  }
  if (path == "/api/logout") {
    backend_.SessionEvent(v1::AUDIT_EVENT_OPERATOR_LOGOUT, session->operator_name,
                          "signed out from " + peer);
    HttpResponse r = Json(request, http::status::ok, v1::ConsoleError());
    r.set(http::field::set_cookie, SessionCookie("", /*clear=*/true));
    sessions_.Close(session->token);
    return done(std::move(r));
  }
  if (path == "/api/control") return ControlCall(request, *session, std::move(done));
  done(Refuse(request, http::status::not_found, "not-found", "no such API", peer));
}

HttpResponse ConsoleRouter::Static(const HttpRequest& request) {
  std::string_view path = PathOf(request);
  if (path == "/") path = "/index.html";
  const Asset* asset = FindAsset(path);
  if (!asset) {
    v1::ConsoleError e;
    e.set_error("not found");
    e.set_code("not-found");
    return Json(request, http::status::not_found, e);
  }
  HttpResponse r{http::status::ok, request.version()};
  r.set(http::field::content_type, std::string(asset->content_type));
  r.body() = std::string(asset->body);
  r.keep_alive(request.keep_alive());
  Secure(r);
  r.prepare_payload();
  return r;
}

HttpResponse ConsoleRouter::LinkLogin(const HttpRequest& request, const std::string& peer) {
  auto grant = sessions_.RedeemLink(QueryValue(SV(request.target()), "token"), backend_.NowMs());
  if (!grant) {
    return Refuse(request, http::status::forbidden, "link",
                  "login link unknown, already used or expired", peer);
  }
  Session s = sessions_.Open(grant->operator_name, backend_.NowMs());
  backend_.SessionEvent(v1::AUDIT_EVENT_OPERATOR_LOGIN, grant->operator_name,
                        "one-time link issued by " + grant->issued_by + ", used from " + peer);
  HttpResponse r{http::status::see_other, request.version()};
  r.set(http::field::location, "/");
  r.set(http::field::set_cookie, SessionCookie(s.token));
  r.keep_alive(request.keep_alive());
  Secure(r);
  r.prepare_payload();
  return r;
}

void ConsoleRouter::PasswordLogin(const HttpRequest& request, const std::string& peer,
                                  std::function<void(HttpResponse)> done) {
  v1::ConsoleLogin login;
  if (!google::protobuf::util::JsonStringToMessage(request.body(), &login).ok() ||
      login.name().empty()) {
    return done(Refuse(request, http::status::bad_request, "bad-request",
                       "expected {\"name\": ..., \"password\": ...}", peer));
  }
  std::string name = login.name().substr(0, 64);
  if (auto refusal = sessions_.LoginRefusal(peer, name, backend_.NowMs())) {
    return done(Refuse(request, http::status::too_many_requests, "rate-limited", *refusal, peer));
  }
  backend_.VerifyPassword(
      name, login.password(),
      [this, request, peer, name, done = std::move(done)](StatusOr<bool> ok) {
        if (!ok.ok() || !*ok) {
          sessions_.LoginFailed(peer, name, backend_.NowMs());
          return done(Refuse(request, http::status::unauthorized, "login-failed",
                             "login failed for '" + name + "'" +
                                 (ok.ok() ? "" : ": " + ok.status().message()),
                             peer));
        }
        Session s = sessions_.Open(name, backend_.NowMs());
        backend_.SessionEvent(v1::AUDIT_EVENT_OPERATOR_LOGIN, name, "password from " + peer);
        HttpResponse r = SessionInfo(request, s);
        r.set(http::field::set_cookie, SessionCookie(s.token));
        done(std::move(r));
      });
}

HttpResponse ConsoleRouter::SessionInfo(const HttpRequest& request, const Session& session) {
  v1::ConsoleSession info;
  info.set_nation(options_.nation);
  info.set_operator_name(session.operator_name);
  info.set_csrf_token(session.csrf);
  info.set_expires_idle_ms(options_.sessions.idle_ms);
  return Json(request, http::status::ok, info);
}

void ConsoleRouter::ControlCall(const HttpRequest& request, const Session& session,
                                std::function<void(HttpResponse)> done) {
  v1::ControlRequest control;
  auto parsed = google::protobuf::util::JsonStringToMessage(request.body(), &control);
  if (!parsed.ok()) {
    return done(Refuse(request, http::status::bad_request, "bad-request",
                       "not a ControlRequest in proto3 JSON: " + parsed.ToString(), "console"));
  }
  if (control.has_watch() || control.has_console_link()) {
    return done(Refuse(request, http::status::forbidden, "not-allowed",
                       "watch is /api/events; login links are issued on the node's host",
                       "console"));
  }
  // The signed-in operator, whatever the page claims.
  control.set_operator_name(session.operator_name);
  backend_.Control(control, [this, request, done = std::move(done)](v1::ControlResponse r) {
    auto status = r.ok() ? http::status::ok : http::status::unprocessable_entity;
    backend_.RenderJson(std::make_shared<const v1::ControlResponse>(std::move(r)),
                        [this, request, status, done](std::string json) {
                          done(JsonText(request, status, std::move(json)));
                        });
  });
}

std::variant<std::string, HttpResponse> ConsoleRouter::AuthorizeEvents(const HttpRequest& request,
                                                                        const std::string& peer) {
  if (!HostAllowed(request)) {
    return Refuse(request, http::status::misdirected_request, "host", "unexpected Host header",
                  peer);
  }
  if (!OriginAllowed(request)) {
    return Refuse(request, http::status::forbidden, "origin",
                  "WebSocket from another origin ('" + std::string(request[http::field::origin]) +
                      "')",
                  peer);
  }
  const Session* s = SessionOf(request);
  if (!s) {
    return Refuse(request, http::status::unauthorized, "unauthenticated",
                  "WebSocket without a session", peer);
  }
  return s->operator_name;
}

StatusOr<v1::ConsoleLinkResponse> ConsoleRouter::IssueLink(const std::string& operator_name,
                                                           const std::string& issued_by) {
  std::string name = operator_name.empty() ? "duty-officer" : operator_name;
  HOTLINE_RETURN_IF_ERROR(ValidateOperatorName(name));
  if (options_.origins.empty()) return FailedPreconditionError("the console has no address yet");
  v1::ConsoleLinkResponse out;
  int64_t now = backend_.NowMs();
  out.set_url(options_.origins.front() +
              "/login?token=" + sessions_.IssueLink(name, issued_by, now));
  out.set_expires_at_ms(now + options_.sessions.link_lifetime_ms);
  return out;
}

}  // namespace hotline::console
