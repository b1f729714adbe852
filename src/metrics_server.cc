#include "hotline/metrics_server.h"

#include <spdlog/spdlog.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

#include "hotline/file_util.h"
#include "hotline/net_util.h"

namespace hotline::metrics {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr std::chrono::seconds kTimeout{10};

}  // namespace

StatusOr<std::string> MetricsServer::StartAndPublish(const std::string& listen, bool allow_remote,
                                                     const std::filesystem::path& address_file) {
  HOTLINE_ASSIGN_OR_RETURN(std::string bound, Start(listen, allow_remote));
  spdlog::info("metrics at http://{}/metrics", bound);
  std::string text = bound + "\n";
  (void)WriteFileAtomic(address_file, AsBytes(text), 0644);
  return bound;
}

StatusOr<std::string> MetricsServer::Start(const std::string& listen, bool allow_remote) {
  HOTLINE_ASSIGN_OR_RETURN(tcp::endpoint endpoint, ParseEndpoint(listen));
  if (!endpoint.address().is_loopback() && !allow_remote) {
    return InvalidArgumentError("refusing to serve metrics on " + listen +
                                ": not a loopback address (--metrics-allow-remote, "
                                "docs/OPERATIONS.md)");
  }
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return UnavailableError("cannot serve metrics on " + listen + ": " + ec.message());
  asio::co_spawn(io_, AcceptLoop(), LogExceptions{"metrics accept loop"});
  return FormatEndpoint(acceptor_.local_endpoint());
}

void MetricsServer::Stop() {
  stopping_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
}

awaitable<void> MetricsServer::AcceptLoop() {
  while (!stopping_) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) co_return;
      continue;
    }
    if (*open_ >= kMaxConnections) {
      socket.close(ec);  // a scraper needs one; more is abuse
      continue;
    }
    asio::co_spawn(io_, Serve(std::move(socket)), LogExceptions{"metrics connection"});
  }
}

awaitable<void> MetricsServer::Serve(tcp::socket socket) {
  auto open = open_;
  ++*open;
  struct Release {
    std::shared_ptr<size_t> n;
    ~Release() { --*n; }
  } release{open};
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  while (!stopping_) {
    http::request_parser<http::empty_body> parser;
    parser.header_limit(8 * 1024);
    parser.body_limit(0);
    stream.expires_after(kTimeout);
    boost::system::error_code ec;
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec) break;
    const auto& req = parser.get();
    http::response<http::string_body> res;
    res.version(req.version());
    res.keep_alive(req.keep_alive());
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      res.result(http::status::method_not_allowed);
      res.set(http::field::allow, "GET, HEAD");
      res.body() = "only GET /metrics\n";
    } else if (req.target() != "/metrics") {
      res.result(http::status::not_found);
      res.body() = "not found: the metrics are at /metrics\n";
    } else {
      res.result(http::status::ok);
      res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      if (req.method() == http::verb::get) res.body() = registry_.Render();
    }
    res.set(http::field::cache_control, "no-store");
    res.prepare_payload();
    co_await http::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
    if (ec || !res.keep_alive()) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace hotline::metrics
