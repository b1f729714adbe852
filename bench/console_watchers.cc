#include "console_watchers.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "hotline/asio.h"

namespace hotline::bench {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;

namespace {

struct Url {
  std::string host, port, target;
};

Url Parse(const std::string& url) {  // http://HOST:PORT/target
  std::string rest = url.substr(url.find("://") + 3);
  std::string authority = rest.substr(0, rest.find('/'));
  return {authority.substr(0, authority.rfind(':')), authority.substr(authority.rfind(':') + 1),
          rest.substr(authority.size())};
}

http::response<http::string_body> Exchange(beast::tcp_stream& stream,
                                           http::request<http::string_body> request) {
  request.prepare_payload();
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  return response;
}

}  // namespace

ConsoleWatchers::ConsoleWatchers(const std::vector<std::string>& login_urls) {
  for (const auto& url : login_urls) threads_.emplace_back([this, url] { Watch(url); });
}

ConsoleWatchers::~ConsoleWatchers() {
  stop_ = true;
  for (auto& t : threads_) t.join();
}

void ConsoleWatchers::Watch(const std::string& login_url) {
  try {
    Url url = Parse(login_url);
    std::string origin = "http://" + url.host + ":" + url.port;
    std::string host = url.host + ":" + url.port;
    asio::io_context io;
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(url.host, url.port);
    beast::tcp_stream api(io);
    api.connect(endpoints);
    // Sign in with the link, then learn the CSRF token.
    http::request<http::string_body> login{http::verb::get, url.target, 11};
    login.set(http::field::host, host);
    auto signed_in = Exchange(api, login);
    std::string set_cookie(signed_in[http::field::set_cookie]);
    std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
    http::request<http::string_body> session{http::verb::get, "/api/session", 11};
    session.set(http::field::host, host);
    session.set(http::field::cookie, cookie);
    std::string body = Exchange(api, session).body();
    auto at = body.find("\"csrf_token\":\"") + 14;
    std::string csrf = body.substr(at, body.find('"', at) - at);

    if (std::getenv("HOTLINE_BENCH_NO_FEED")) {  // experiment: consoles served, nobody watching
      while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return;
    }
    websocket::stream<beast::tcp_stream> ws(io);
    beast::get_lowest_layer(ws).connect(endpoints);
    ws.set_option(websocket::stream_base::decorator([&](websocket::request_type& r) {
      r.set(http::field::origin, origin);
      r.set(http::field::cookie, cookie);
    }));
    ws.handshake(host, "/api/events");
    beast::get_lowest_layer(ws).expires_never();
    auto refresh = [&] {
      // What the page asks on its inbox view after an arrival.
      for (const char* request : {R"({"inbox":{"limit":200}})"}) {
        http::request<http::string_body> call{http::verb::post, "/api/control", 11};
        call.set(http::field::host, host);
        call.set(http::field::origin, origin);
        call.set(http::field::cookie, cookie);
        call.set("X-CSRF-Token", csrf);
        call.set(http::field::content_type, "application/json");
        call.body() = request;
        if (Exchange(api, call).result() != http::status::ok) ++failures_;
        ++requests_;
      }
    };
    beast::flat_buffer event;
    bool reading = false, failed = false, dirty = false;
    auto last_refresh = std::chrono::steady_clock::now();
    // Asynchronous reads, run in slices, so that the destructor's stop flag
    // is seen within 100 ms.
    while (!stop_ && !failed) {
      if (!reading) {
        reading = true;
        ws.async_read(event, [&](boost::system::error_code ec, size_t) {
          reading = false;
          if (ec) {
            failed = true;
            return;
          }
          ++events_;
          // As the page on its inbox view: only an arrival changes it.
          if (beast::buffers_to_string(event.data()).find("\"kind\":\"arrived\"") != std::string::npos) {
            dirty = true;
          }
          event.clear();
        });
      }
      io.restart();
      io.run_for(std::chrono::milliseconds(50));
      // As the page does: at most one refresh per 250 ms while events come.
      auto now = std::chrono::steady_clock::now();
      if (dirty && now - last_refresh >= std::chrono::milliseconds(250)) {
        dirty = false;
        last_refresh = now;
        refresh();
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "console watcher %s: %s\n", login_url.c_str(), e.what());
    ++failures_;
  }
}

}  // namespace hotline::bench
