#include "hotline/control_server.h"

#include <grp.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <optional>

#include "hotline/control_codec.h"
#include "hotline/limits.h"

namespace hotline {

using asio::local::stream_protocol;

bool ControlOutbox::Push(v1::ControlResponse response) {
  size_t size = response.ByteSizeLong();
  if (!queue_.empty() && bytes_ + size > limit_) return false;
  bytes_ += size;
  queue_.push_back(std::move(response));
  return true;
}

Bytes ControlOutbox::PopBatch(size_t max_bytes) {
  Bytes wire;
  while (!queue_.empty() && wire.size() < max_bytes) {
    Append(wire, EncodeControlMessage(queue_.front()));
    bytes_ -= std::min(bytes_, queue_.front().ByteSizeLong());
    queue_.pop_front();
  }
  return wire;
}

void ControlOutbox::Clear() {
  queue_.clear();
  bytes_ = 0;
}

StatusOr<ControlAccess> OperatorsGroup(const std::string& group_name) {
  ControlAccess access;
  if (group_name.empty()) return access;
  std::vector<char> buffer(16384);
  group g{};
  group* found = nullptr;
  if (::getgrnam_r(group_name.c_str(), &g, buffer.data(), buffer.size(), &found) != 0 || !found) {
    return NotFoundError("no group named '" + group_name + "' (--control-group)");
  }
  access.operators_gid = found->gr_gid;
  access.operators_group = group_name;
  return access;
}

bool MayControl(const PeerCredentials& peer, uid_t self, const ControlAccess& access) {
  if (peer.uid == 0 || peer.uid == self) return true;
  if (!access.operators_gid) return false;
  gid_t ops = *access.operators_gid;
  return peer.gid == ops ||
         std::find(peer.groups.begin(), peer.groups.end(), ops) != peer.groups.end();
}

std::string VerifiedOperatorName(const std::string& claimed, const PeerCredentials& peer,
                                 uid_t self) {
  if (peer.uid == 0 || peer.uid == self) return claimed;
  std::string verified = "cli:" + peer.user;
  if (claimed.empty() || claimed.rfind("cli:", 0) == 0) return verified;
  return claimed + " (" + verified + ")";
}

namespace {

int64_t SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string AccountName(uid_t uid) {
  std::vector<char> buffer(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &pw, buffer.data(), buffer.size(), &found) == 0 && found) {
    return found->pw_name;
  }
  return "uid " + std::to_string(uid);
}

StatusOr<PeerCredentials> PeerOf(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return UnavailableError(std::string("cannot read the peer's credentials: ") +
                            std::strerror(errno));
  }
  PeerCredentials peer;
  peer.uid = cred.uid;
  peer.gid = cred.gid;
  std::vector<gid_t> groups(64);
  len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) != 0) {
    // ERANGE: `len` is now the size needed. Anything else: no groups known.
    bool retry = errno == ERANGE;
    groups.resize(retry ? len / sizeof(gid_t) : 0);
    len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (retry && ::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) != 0) len = 0;
  }
  groups.resize(len / sizeof(gid_t));
  peer.groups = std::move(groups);
  peer.user = AccountName(cred.uid);
  return peer;
}

}  // namespace

ControlServer::ControlServer(asio::io_context& io, ControlHandler& handler,
                             std::filesystem::path path, ControlAccess access)
    : io_(io),
      handler_(handler),
      path_(std::move(path)),
      access_(std::move(access)),
      acceptor_(io) {}

ControlServer::~ControlServer() { Stop(); }

Status ControlServer::Start() {
  if (path_.native().size() >= 100) {
    return InvalidArgumentError("control socket path too long for a Unix socket: " +
                                path_.string());
  }
  // A stale socket from a killed process: remove it unless someone answers on it.
  if (std::filesystem::exists(path_)) {
    stream_protocol::socket probe(io_);
    boost::system::error_code ec;
    probe.connect(stream_protocol::endpoint(path_.string()), ec);
    if (!ec) return AlreadyExistsError("another process is already running on " + path_.string());
    std::filesystem::remove(path_);
  }
  // Create the socket with no group/other permission from the start.
  mode_t old = ::umask(077);
  boost::system::error_code ec;
  acceptor_.open(stream_protocol(), ec);
  if (!ec) acceptor_.bind(stream_protocol::endpoint(path_.string()), ec);
  if (!ec) acceptor_.listen(16, ec);
  ::umask(old);
  if (ec) return UnavailableError("cannot listen on " + path_.string() + ": " + ec.message());
  // With an operators group every connection is checked by its peer
  // credentials (Serve); the daemon cannot chgrp to a group it is not in.
  ::chmod(path_.c_str(), access_.operators_gid ? 0666 : 0600);
  asio::co_spawn(io_, AcceptLoop(), LogExceptions{"control accept loop"});
  return Status::Ok();
}

void ControlServer::Stop() {
  if (stopping_) return;
  stopping_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  std::error_code fs_ec;
  std::filesystem::remove(path_, fs_ec);
}

awaitable<void> ControlServer::AcceptLoop() {
  while (!stopping_) {
    boost::system::error_code ec;
    auto socket = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (stopping_) co_return;
      continue;
    }
    asio::co_spawn(io_, Serve(std::move(socket)), LogExceptions{"control session"});
  }
}

namespace {

// One CLI connection: a reader that dispatches requests as they arrive
// (several may be in flight: replies can wait for a durable write), and a
// single writer that drains the reply queue in order of completion.
struct Session {
  explicit Session(stream_protocol::socket s)
      : socket(std::move(s)), wake(socket.get_executor(), asio::steady_timer::time_point::max()) {}
  stream_protocol::socket socket;
  asio::steady_timer wake;
  ControlOutbox outbox{limits::kMaxControlOutboxBytes};
  std::function<void(size_t)> on_overflow;
  bool closing = false;  // write what is queued, then close
  bool closed = false;
  void Push(v1::ControlResponse r) {
    if (closed) return;
    if (!outbox.Push(std::move(r))) {
      // A client that stopped reading: drop it, never the daemon's memory.
      size_t waiting = outbox.bytes();
      outbox.Clear();
      Close();
      if (on_overflow) on_overflow(waiting);
      return;
    }
    wake.cancel();
  }
  void Close() {
    closed = true;
    boost::system::error_code ec;
    socket.close(ec);
    wake.cancel();
  }
};

awaitable<void> WriteReplies(std::shared_ptr<Session> s) {
  while (!s->closed) {
    if (s->outbox.empty()) {
      if (s->closing) break;
      s->wake.expires_at(asio::steady_timer::time_point::max());
      boost::system::error_code ec;
      co_await s->wake.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    Bytes wire = s->outbox.PopBatch(limits::kControlWriteBatchBytes);
    boost::system::error_code ec;
    co_await asio::async_write(s->socket, asio::buffer(wire),
                               asio::redirect_error(use_awaitable, ec));
    if (ec) break;
  }
  s->Close();
}

}  // namespace

awaitable<void> ControlServer::Serve(stream_protocol::socket socket) {
  auto s = std::make_shared<Session>(std::move(socket));
  // Posted: Push may run inside the daemon's event fan-out.
  s->on_overflow = [this](size_t waiting) {
    asio::post(io_, [this, waiting] {
      handler_.RejectControlInput("client stopped reading: " + std::to_string(waiting) +
                                  " bytes of replies and events unread; connection closed");
    });
  };
  asio::co_spawn(io_, WriteReplies(s), LogExceptions{"control writer"});
  ControlDecoder decoder;
  std::vector<uint8_t> buffer(limits::kReadChunkBytes);
  int watcher = 0;
  auto reply = [s](v1::ControlResponse r) { s->Push(std::move(r)); };
  // A refused peer is audited now and told why once it has written: closing
  // before the client's request is in would cost it the reason (its write
  // would fail first).
  std::optional<std::string> refused;
  auto peer = PeerOf(s->socket.native_handle());
  std::string who = peer.ok() ? "uid " + std::to_string(peer->uid) + " (" + peer->user + ")"
                              : "an unknown process (" + peer.status().message() + ")";
  if (!peer.ok() || !MayControl(*peer, ::geteuid(), access_)) {
    uid_t self = ::geteuid();
    refused = "control connection from " + who + " refused: only root" +
              (self != 0 ? ", " + AccountName(self) : "") +
              (access_.operators_gid ? " and members of group " + access_.operators_group
                                     : " (the daemon has no --control-group)") +
              " may use it";
  } else if (open_ >= limits::kMaxControlConnections) {
    refused = "control connection from " + who +
              " refused: " + std::to_string(limits::kMaxControlConnections) +
              " connections are open already";
  }
  ++open_;
  if (refused) ++refused_open_;
  struct Leave {
    ControlServer* server;
    bool refused;
    ~Leave() {
      --server->open_;
      if (refused) --server->refused_open_;
    }
  } leave{this, refused.has_value()};
  if (refused) {
    if (auto record = refusals_.Admit(SteadyNowMs(), *refused)) {
      handler_.RejectControlInput(*record);
    }
    // More than a few refused at once are closed untold: each would hold a
    // descriptor for up to a second.
    if (refused_open_ > limits::kMaxRefusedControlConnections) {
      s->Close();
      co_return;
    }
    // Told why once it has written, or closed after a second regardless.
    auto deadline = std::make_shared<asio::steady_timer>(io_, std::chrono::seconds(1));
    deadline->async_wait([s, deadline](const boost::system::error_code& ec) {
      if (!ec) s->Close();
    });
  }
  while (!s->closed && !s->closing) {
    boost::system::error_code ec;
    size_t n = co_await s->socket.async_read_some(asio::buffer(buffer),
                                                  asio::redirect_error(use_awaitable, ec));
    if (ec) break;
    if (refused) {  // whatever it sent
      s->Push(ErrorResponse(PermissionDeniedError(*refused)));
      s->closing = true;
      break;
    }
    if (auto st = decoder.Feed(ByteView(buffer.data(), n)); !st.ok()) {
      handler_.RejectControlInput("bad control request: " + st.message());
      s->Push(ErrorResponse(InvalidArgumentError("bad control request: " + st.message())));
      s->closing = true;
      break;
    }
    for (;;) {
      v1::ControlRequest request;
      auto next = decoder.Next(request);
      if (!next.ok()) {
        handler_.RejectControlInput("bad control request: " + next.status().message());
        s->Push(
            ErrorResponse(InvalidArgumentError("bad control request: " + next.status().message())));
        s->closing = true;
        break;
      }
      if (!*next) break;
      request.set_operator_name(VerifiedOperatorName(request.operator_name(), *peer, ::geteuid()));
      if (!request.has_watch()) {
        handler_.Handle(request, reply);
      } else if (watcher == 0) {
        watcher = handler_.Subscribe([s](const v1::WatchEvent& e) {
          v1::ControlResponse r;
          r.set_ok(true);
          *r.mutable_event() = e;
          s->Push(std::move(r));
        });
        if (watcher == 0) s->Push(ErrorResponse(FailedPreconditionError("no watch feed here")));
      }
    }
  }
  if (watcher != 0) handler_.Unsubscribe(watcher);
  if (s->closing) {
    s->wake.cancel();  // the writer sends what is queued, then closes
  } else {
    s->Close();
  }
}

}  // namespace hotline
