#include "console/console_router.h"

#include <gtest/gtest.h>

#include <variant>

namespace hotline::console {
namespace {

constexpr char kOrigin[] = "http://127.0.0.1:8401";

class FakeNode : public ConsoleBackend {
 public:
  void Control(const v1::ControlRequest& request, Reply reply) override {
    controls.push_back(request);
    v1::ControlResponse r;
    r.set_ok(true);
    r.mutable_send()->set_message_id("0123456789abcdef");
    reply(r);
  }
  void VerifyPassword(const std::string& name, const std::string& password,
                      std::function<void(StatusOr<bool>)> done) override {
    done(name == "alice" && password == "correct horse");
  }
  void Refused(const std::string& why) override { refusals.push_back(why); }
  void SessionEvent(v1::AuditEvent event, const std::string& who,
                    const std::string& detail) override {
    sessions.emplace_back(event, who);
    session_details.push_back(detail);
  }
  int64_t NowMs() override { return now; }

  int64_t now = 1'800'000'000'000;
  std::vector<v1::ControlRequest> controls;
  std::vector<std::string> refusals;
  std::vector<std::pair<v1::AuditEvent, std::string>> sessions;
  std::vector<std::string> session_details;
};

class ConsoleRouterTest : public ::testing::Test {
 protected:
  ConsoleRouterTest() : router_(Options(), node_) {}
  static ConsoleOptions Options() {
    ConsoleOptions o;
    o.nation = v1::NATION_JP;
    o.origins = {kOrigin, "http://localhost:8401"};
    return o;
  }

  HttpRequest Request(http::verb verb, const std::string& target, const std::string& body = "") {
    HttpRequest r{verb, target, 11};
    r.set(http::field::host, "127.0.0.1:8401");
    if (verb == http::verb::post) r.set(http::field::origin, kOrigin);
    if (!cookie_.empty()) r.set(http::field::cookie, "other=1; " + cookie_);
    r.body() = body;
    r.prepare_payload();
    return r;
  }
  HttpResponse Send(const HttpRequest& request) {
    std::optional<HttpResponse> out;
    router_.Handle(request, "10.0.0.7", [&](HttpResponse r) { out = std::move(r); });
    EXPECT_TRUE(out.has_value());
    return out ? *out : HttpResponse{};
  }
  // Signs in as alice; returns the CSRF token.
  std::string SignIn() {
    HttpResponse r = Send(Request(http::verb::post, "/api/login",
                                  R"({"name":"alice","password":"correct horse"})"));
    EXPECT_EQ(r.result(), http::status::ok) << r.body();
    std::string set = std::string(r[http::field::set_cookie]);
    cookie_ = set.substr(0, set.find(';'));
    auto at = r.body().find("\"csrf_token\":\"");
    EXPECT_NE(at, std::string::npos);
    at += 14;
    return r.body().substr(at, r.body().find('"', at) - at);
  }
  bool LastRefusalMentions(const std::string& text) {
    return !node_.refusals.empty() && node_.refusals.back().find(text) != std::string::npos;
  }

  FakeNode node_;
  ConsoleRouter router_;
  std::string cookie_;
};

TEST_F(ConsoleRouterTest, ThePageIsServedWithAStrictContentSecurityPolicy) {
  HttpResponse r = Send(Request(http::verb::get, "/"));
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(r[http::field::content_type], "text/html; charset=utf-8");
  std::string csp(r["Content-Security-Policy"]);
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(r["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(Send(Request(http::verb::get, "/js/app.js"))[http::field::content_type],
            "text/javascript; charset=utf-8");
  EXPECT_EQ(Send(Request(http::verb::get, "/nope.js")).result(), http::status::not_found);
}

TEST_F(ConsoleRouterTest, AnotherHostNameIsRefused) {
  HttpRequest r = Request(http::verb::get, "/");
  r.set(http::field::host, "evil.example:8401");  // DNS rebinding
  EXPECT_EQ(Send(r).result(), http::status::misdirected_request);
  EXPECT_TRUE(LastRefusalMentions("unexpected Host header 'evil.example:8401'"));
  HttpRequest local = Request(http::verb::get, "/");
  local.set(http::field::host, "localhost:8401");
  EXPECT_EQ(Send(local).result(), http::status::ok);
}

TEST_F(ConsoleRouterTest, PasswordSignInSetsAStrictHttpOnlyCookiePerNation) {
  HttpResponse wrong = Send(Request(http::verb::post, "/api/login",
                                    R"({"name":"alice","password":"guess"})"));
  EXPECT_EQ(wrong.result(), http::status::unauthorized);
  EXPECT_TRUE(LastRefusalMentions("login failed for 'alice'"));
  EXPECT_TRUE(wrong[http::field::set_cookie].empty());
  HttpResponse ok = Send(Request(http::verb::post, "/api/login",
                                 R"({"name":"alice","password":"correct horse"})"));
  ASSERT_EQ(ok.result(), http::status::ok);
  std::string cookie(ok[http::field::set_cookie]);
  EXPECT_EQ(cookie.rfind("hotline_jp=", 0), 0u) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_NE(ok.body().find("\"operator_name\":\"alice\""), std::string::npos);
  EXPECT_NE(ok.body().find("\"nation\":\"NATION_JP\""), std::string::npos);
  ASSERT_EQ(node_.sessions.size(), 1u);
  EXPECT_EQ(node_.sessions[0], std::make_pair(v1::AUDIT_EVENT_OPERATOR_LOGIN, std::string("alice")));
}

TEST_F(ConsoleRouterTest, FailedSignInsAreRateLimited) {
  for (int i = 0; i < 5; ++i) {
    Send(Request(http::verb::post, "/api/login", R"({"name":"alice","password":"no"})"));
  }
  HttpResponse limited = Send(Request(http::verb::post, "/api/login",
                                      R"({"name":"alice","password":"correct horse"})"));
  EXPECT_EQ(limited.result(), http::status::too_many_requests);
  EXPECT_TRUE(LastRefusalMentions("too many failed logins"));
  node_.now += 5 * 60 * 1000;
  EXPECT_EQ(Send(Request(http::verb::post, "/api/login",
                         R"({"name":"alice","password":"correct horse"})"))
                .result(),
            http::status::ok);
}

TEST_F(ConsoleRouterTest, ControlNeedsASessionTheCsrfTokenAndOurOrigin) {
  std::string body = R"({"send":{"to":["NATION_US"],"body":{"text":{"text":"hi"}}}})";
  EXPECT_EQ(Send(Request(http::verb::post, "/api/control", body)).result(),
            http::status::unauthorized);
  EXPECT_TRUE(LastRefusalMentions("not signed in"));
  std::string csrf = SignIn();
  EXPECT_EQ(Send(Request(http::verb::post, "/api/control", body)).result(), http::status::forbidden);
  EXPECT_TRUE(LastRefusalMentions("CSRF"));
  HttpRequest wrong_token = Request(http::verb::post, "/api/control", body);
  wrong_token.set("X-CSRF-Token", csrf + "x");
  EXPECT_EQ(Send(wrong_token).result(), http::status::forbidden);
  HttpRequest foreign = Request(http::verb::post, "/api/control", body);
  foreign.set("X-CSRF-Token", csrf);
  foreign.set(http::field::origin, "http://evil.example");
  EXPECT_EQ(Send(foreign).result(), http::status::forbidden);
  EXPECT_TRUE(LastRefusalMentions("another origin ('http://evil.example')"));
  EXPECT_TRUE(node_.controls.empty());

  HttpRequest good = Request(http::verb::post, "/api/control",
                             R"({"operator_name":"mallory","send":{"to":["NATION_US"],)"
                             R"("body":{"text":{"text":"hi"}}}})");
  good.set("X-CSRF-Token", csrf);
  HttpResponse r = Send(good);
  EXPECT_EQ(r.result(), http::status::ok) << r.body();
  ASSERT_EQ(node_.controls.size(), 1u);
  EXPECT_EQ(node_.controls[0].operator_name(), "alice");  // never what the page claims
  EXPECT_EQ(node_.controls[0].send().body().text().text(), "hi");
  EXPECT_NE(r.body().find("\"ok\":true"), std::string::npos);
}

TEST_F(ConsoleRouterTest, WatchAndLoginLinksAreNotControlRequestsFromThePage) {
  std::string csrf = SignIn();
  for (const char* body : {R"({"watch":{}})", R"({"console_link":{"operator_name":"x"}})"}) {
    HttpRequest r = Request(http::verb::post, "/api/control", body);
    r.set("X-CSRF-Token", csrf);
    EXPECT_EQ(Send(r).result(), http::status::forbidden) << body;
  }
  HttpRequest garbage = Request(http::verb::post, "/api/control", "{not json");
  garbage.set("X-CSRF-Token", csrf);
  EXPECT_EQ(Send(garbage).result(), http::status::bad_request);
  EXPECT_TRUE(node_.controls.empty());
}

TEST_F(ConsoleRouterTest, AOneTimeLinkSignsInOnce) {
  auto link = router_.IssueLink("", "cli:alice");
  ASSERT_TRUE(link.ok());
  ASSERT_EQ(link->url().rfind(std::string(kOrigin) + "/login?token=", 0), 0u) << link->url();
  std::string target = link->url().substr(std::string(kOrigin).size());
  HttpResponse first = Send(Request(http::verb::get, target));
  EXPECT_EQ(first.result(), http::status::see_other);
  EXPECT_EQ(first[http::field::location], "/");
  EXPECT_EQ(std::string(first[http::field::set_cookie]).rfind("hotline_jp=", 0), 0u);
  EXPECT_EQ(node_.sessions.back().second, "duty-officer");
  EXPECT_EQ(node_.session_details.back().rfind("one-time link issued by cli:alice, used from ", 0),
            0u)
      << node_.session_details.back();
  EXPECT_EQ(Send(Request(http::verb::get, target)).result(), http::status::forbidden);
  EXPECT_TRUE(LastRefusalMentions("already used"));
  EXPECT_FALSE(router_.IssueLink("bad name<script>", "cli:alice").ok());
}

TEST_F(ConsoleRouterTest, TheLiveFeedNeedsOurOriginAndASession) {
  HttpRequest upgrade = Request(http::verb::get, "/api/events");
  upgrade.set(http::field::origin, kOrigin);
  EXPECT_TRUE(std::holds_alternative<HttpResponse>(router_.AuthorizeEvents(upgrade, "10.0.0.7")));
  EXPECT_TRUE(LastRefusalMentions("WebSocket without a session"));
  SignIn();
  HttpRequest signed_in = Request(http::verb::get, "/api/events");
  signed_in.set(http::field::origin, "http://evil.example");
  auto refused = router_.AuthorizeEvents(signed_in, "10.0.0.7");
  ASSERT_TRUE(std::holds_alternative<HttpResponse>(refused));
  EXPECT_EQ(std::get<HttpResponse>(refused).result(), http::status::forbidden);
  EXPECT_TRUE(LastRefusalMentions("WebSocket from another origin"));
  signed_in.set(http::field::origin, kOrigin);
  auto allowed = router_.AuthorizeEvents(signed_in, "10.0.0.7");
  ASSERT_TRUE(std::holds_alternative<std::string>(allowed));
  EXPECT_EQ(std::get<std::string>(allowed), "alice");
}

TEST_F(ConsoleRouterTest, SignOutEndsTheSession) {
  std::string csrf = SignIn();
  HttpRequest out = Request(http::verb::post, "/api/logout", "{}");
  out.set("X-CSRF-Token", csrf);
  HttpResponse r = Send(out);
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_NE(std::string(r[http::field::set_cookie]).find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(node_.sessions.back(), std::make_pair(v1::AUDIT_EVENT_OPERATOR_LOGOUT, std::string("alice")));
  EXPECT_EQ(Send(Request(http::verb::get, "/api/session")).result(), http::status::unauthorized);
}

}  // namespace
}  // namespace hotline::console
