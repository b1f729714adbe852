// A daemon's local control socket (Unix domain): reads framed
// ControlRequests (PROTOCOL.md §7) from the CLI and answers through its
// ControlHandler — the node's daemon, or a relay's status. `watch` keeps
// the connection open and streams WatchEvents, where the handler has them.
//
// Who may connect: root and the daemon's own user (the socket is mode
// 0600); with an operators group, also that group's members — the socket
// is then mode 0666 and every connection is checked against the kernel's
// peer credentials, so a relay running as another user on the same host
// cannot drive the node. Requests are recorded under the account the
// kernel vouches for, not the one the client claims.
//
// Thread safety: the daemon's io thread. Error contract: a malformed request
// is answered with ok=false and a clear error, then the connection closes;
// other clients are unaffected.
#ifndef HOTLINE_CONTROL_SERVER_H_
#define HOTLINE_CONTROL_SERVER_H_

#include <sys/types.h>

#include <deque>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hotline/asio.h"
#include "hotline/bytes.h"
#include "hotline/refusal_audit.h"
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

// Besides root and the daemon's own user.
struct ControlAccess {
  std::optional<gid_t> operators_gid;  // members of this group may connect too
  std::string operators_group;         // its name, for messages
};
StatusOr<ControlAccess> OperatorsGroup(const std::string& group_name);  // "" = none

// Who is at the other end of a control connection (SO_PEERCRED,
// SO_PEERGROUPS).
struct PeerCredentials {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary
  std::string user;           // the account's name, or "uid N"
};
bool MayControl(const PeerCredentials& peer, uid_t self, const ControlAccess& access);
// What a request is recorded under. From root or the daemon's own user
// (`self`) the name sent is kept (an exercise's "exercise:<scenario>");
// from anyone else a CLI's claim ("cli:<login>", or none) becomes "cli:"
// and the account the kernel vouches for, and any other name is kept only
// beside it: "alice (cli:bob)".
std::string VerifiedOperatorName(const std::string& claimed, const PeerCredentials& peer,
                                 uid_t self);

class ControlServer {
 public:
  ControlServer(asio::io_context& io, ControlHandler& handler, std::filesystem::path socket_path,
                ControlAccess access = {});
  ~ControlServer();
  Status Start();
  void Stop();

 private:
  awaitable<void> AcceptLoop();
  awaitable<void> Serve(asio::local::stream_protocol::socket socket);

  asio::io_context& io_;
  ControlHandler& handler_;
  std::filesystem::path path_;
  ControlAccess access_;
  asio::local::stream_protocol::acceptor acceptor_;
  // Refused connections are audited at a bounded rate: any account on the
  // host may connect to a --control-group socket.
  RefusalAudit refusals_{1, 10};
  size_t open_ = 0;          // connections being served
  size_t refused_open_ = 0;  // of those, refused ones awaiting their answer
  bool stopping_ = false;
};

}  // namespace hotline

#endif  // HOTLINE_CONTROL_SERVER_H_
