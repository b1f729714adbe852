// The /metrics listener of a node or relay (docs/OPERATIONS.md): plain
// HTTP/1.1 on its own address, loopback unless allowed otherwise; GET
// /metrics answers the registry in the Prometheus text format, anything
// else 404 (405 for another method). A thin shell: what it serves is the
// registry's.
//
// Thread safety: runs on the io_context given; Start and Stop on its
// thread. Error contract: Start names the address it could not bind; a
// bad request closes only its own connection.
#ifndef HOTLINE_METRICS_SERVER_H_
#define HOTLINE_METRICS_SERVER_H_

#include <filesystem>
#include <memory>
#include <string>

#include "hotline/asio.h"
#include "hotline/metrics.h"
#include "hotline/status.h"

namespace hotline::metrics {

class MetricsServer {
 public:
  static constexpr size_t kMaxConnections = 16;

  MetricsServer(asio::io_context& io, Registry& registry)
      : io_(io), registry_(registry), acceptor_(io) {}
  // Listens on HOST:PORT (port 0: any); refuses a non-loopback address
  // unless `allow_remote`. Returns the address bound.
  StatusOr<std::string> Start(const std::string& listen, bool allow_remote);
  // Start, then logs the address and writes it to `address_file` ("HOST:PORT\n",
  // for scripts and tests that asked for port 0).
  StatusOr<std::string> StartAndPublish(const std::string& listen, bool allow_remote,
                                        const std::filesystem::path& address_file);
  void Stop();

 private:
  awaitable<void> AcceptLoop();
  awaitable<void> Serve(asio::ip::tcp::socket socket);

  asio::io_context& io_;
  Registry& registry_;
  asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<size_t> open_ = std::make_shared<size_t>(0);
  bool stopping_ = false;
};

}  // namespace hotline::metrics

#endif  // HOTLINE_METRICS_SERVER_H_
