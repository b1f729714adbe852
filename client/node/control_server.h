// The node's local control socket (Unix domain, mode 0600): reads framed
// ControlRequests from the CLI and answers through the NodeDaemon. `watch`
// keeps the connection open and streams WatchEvents.
//
// Thread safety: the daemon's io thread. Error contract: a malformed request
// is answered with ok=false and a clear error, then the connection closes;
// other clients are unaffected.
#ifndef HOTLINE_CLIENT_NODE_CONTROL_SERVER_H_
#define HOTLINE_CLIENT_NODE_CONTROL_SERVER_H_

#include <deque>
#include <filesystem>

#include "hotline/asio.h"
#include "node/node_daemon.h"

namespace hotline::node {

// What one control client has not read yet, bounded in bytes: a client that
// stops reading (a stalled `watch`) must not grow the node's memory.
// One response is always accepted, whatever its size.
class ControlOutbox {
 public:
  explicit ControlOutbox(size_t limit_bytes) : limit_(limit_bytes) {}
  // False (and nothing queued) when `response` would pass the limit.
  bool Push(v1::ControlResponse response);
  // Encoded responses, oldest first, about `max_bytes` at most.
  Bytes PopBatch(size_t max_bytes);
  void Clear();
  bool empty() const { return queue_.empty(); }
  size_t bytes() const { return bytes_; }

 private:
  size_t limit_;
  size_t bytes_ = 0;
  std::deque<v1::ControlResponse> queue_;
};

class ControlServer {
 public:
  ControlServer(asio::io_context& io, NodeDaemon& daemon, std::filesystem::path socket_path);
  ~ControlServer();
  Status Start();
  void Stop();

 private:
  awaitable<void> AcceptLoop();
  awaitable<void> Serve(asio::local::stream_protocol::socket socket);

  asio::io_context& io_;
  NodeDaemon& daemon_;
  std::filesystem::path path_;
  asio::local::stream_protocol::acceptor acceptor_;
  bool stopping_ = false;
};

}  // namespace hotline::node

#endif  // HOTLINE_CLIENT_NODE_CONTROL_SERVER_H_
