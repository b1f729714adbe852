// The console's network shell: HTTP and WebSocket (Boost.Beast) on the
// node's own event loop. Each request goes to the ConsoleRouter; the live
// feed (/api/events) streams the node's watch events as proto3 JSON text
// frames. It is the router's ConsoleBackend, forwarding to the NodeDaemon.
//
// Thread safety: the node's io thread; password checks run on a worker
// thread and come back. Error contract: Start() returns a set-up error; a
// bad or slow client is closed (and audited) without touching others.
#ifndef HOTLINE_CLIENT_CONSOLE_CONSOLE_SERVER_H_
#define HOTLINE_CLIENT_CONSOLE_CONSOLE_SERVER_H_

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "console/console_router.h"
#include "hotline/asio.h"
#include "hotline/refusal_audit.h"
#include "node/node_daemon.h"

namespace hotline::console {

struct ConsoleServerConfig {
  std::string listen = "127.0.0.1:8401";
  bool allow_remote = false;                  // bind a non-loopback address
  std::vector<std::string> extra_origins;     // e.g. https://hotline.example behind a proxy
  std::vector<std::string> frame_ancestors;   // pages that may frame it (the situation room)
  bool secure_cookie = false;
  std::filesystem::path data_dir;             // operators.pb, console-url, console.addr
  size_t max_connections = 64;
};

class ConsoleServer : public ConsoleBackend {
 public:
  ConsoleServer(asio::io_context& io, node::NodeDaemon& daemon, ConsoleServerConfig config);
  ~ConsoleServer() override;

  // Binds, then writes DATA/console.addr (HOST:PORT) and DATA/console-url
  // (a first one-time login link, mode 0600).
  Status Start();
  void Stop();
  std::string origin() const;

  // ConsoleBackend.
  void Control(const v1::ControlRequest& request, Reply reply) override;
  void VerifyPassword(const std::string& name, const std::string& password,
                      std::function<void(StatusOr<bool>)> done) override;
  void Refused(const std::string& why) override;
  void SessionEvent(v1::AuditEvent event, const std::string& operator_name,
                    const std::string& detail) override;
  int64_t NowMs() override;
  void RenderJson(std::shared_ptr<const google::protobuf::Message> message,
                  std::function<void(std::string)> done) override;

 private:
  struct Connection;
  struct Feed;
  static awaitable<void> ReadUntilClosed(std::shared_ptr<Connection> connection,
                                         std::shared_ptr<Feed> feed);
  awaitable<void> AcceptLoop();
  awaitable<void> Serve(std::shared_ptr<Connection> connection);
  awaitable<void> StreamEvents(std::shared_ptr<Connection> connection, HttpRequest upgrade,
                               std::string operator_name);

  asio::io_context& io_;
  node::NodeDaemon& daemon_;
  ConsoleServerConfig config_;
  asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<ConsoleRouter> router_;
  std::unique_ptr<asio::thread_pool> workers_;    // password checks
  std::unique_ptr<asio::thread_pool> renderers_;  // JSON of answers
  RefusalAudit refusals_{2, 20};
  std::vector<std::weak_ptr<Connection>> connections_;
  bool stopping_ = false;
};

}  // namespace hotline::console

#endif  // HOTLINE_CLIENT_CONSOLE_CONSOLE_SERVER_H_
