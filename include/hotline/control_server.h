// A daemon's local control socket (Unix domain, mode 0600): reads framed
// ControlRequests (PROTOCOL.md §7) from the CLI and answers through its
// ControlHandler — the node's daemon, or a relay's status. `watch` keeps
// the connection open and streams WatchEvents, where the handler has them.
//
// Thread safety: the daemon's io thread. Error contract: a malformed request
// is answered with ok=false and a clear error, then the connection closes;
// other clients are unaffected.
#ifndef HOTLINE_CONTROL_SERVER_H_
#define HOTLINE_CONTROL_SERVER_H_

#include <deque>
#include <filesystem>
#include <functional>
#include <string>

#include "hotline/asio.h"
#include "hotline/bytes.h"
#include "hotline/status.h"
#include "hotline/v1/control.pb.h"

namespace hotline {

// What answers a control socket. Called on the io thread.
class ControlHandler {
 public:
  using Reply = std::function<void(v1::ControlResponse)>;
  using Watcher = std::function<void(const v1::WatchEvent&)>;
  virtual ~ControlHandler() = default;
  virtual void Handle(const v1::ControlRequest& request, Reply reply) = 0;
  // A `watch` subscription's id (> 0), or 0 when there is no feed here.
  virtual int Subscribe(Watcher watcher) = 0;
  virtual void Unsubscribe(int id) = 0;
  // A malformed request: logged and audited by the owner.
  virtual void RejectControlInput(const std::string& why) = 0;
};

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
  ControlServer(asio::io_context& io, ControlHandler& handler, std::filesystem::path socket_path);
  ~ControlServer();
  Status Start();
  void Stop();

 private:
  awaitable<void> AcceptLoop();
  awaitable<void> Serve(asio::local::stream_protocol::socket socket);

  asio::io_context& io_;
  ControlHandler& handler_;
  std::filesystem::path path_;
  asio::local::stream_protocol::acceptor acceptor_;
  bool stopping_ = false;
};

}  // namespace hotline

#endif  // HOTLINE_CONTROL_SERVER_H_
