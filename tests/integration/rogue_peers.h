// Hand-made hostile peers for the B-case tests (TESTING.md): an in-process
// node client with chosen credentials, an in-process relay that may lie, a
// frame-aware proxy that duplicates, reorders or replays Noise messages,
// a responder that answers with scripted bytes, raw loopback sockets, and
// a reader of audit records. All on loopback; every thread a helper starts,
// its destructor joins.
#ifndef HOTLINE_TESTS_INTEGRATION_ROGUE_PEERS_H_
#define HOTLINE_TESTS_INTEGRATION_ROGUE_PEERS_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cluster.h"
#include "hotline/asio.h"
#include "hotline/history.h"
#include "hotline/link_connection.h"
#include "hotline/v1/audit.pb.h"

namespace hotline::testing {

// Counts the audit records in the store at `db_path` that `match`; -1 if
// the store cannot be read. Safe while the owner runs.
inline int CountAuditWhere(const fs::path& db_path, const std::function<bool(const v1::AuditRecord&)>& match) {
  auto records = ReadAuditRecords(db_path);
  if (!records.ok()) return -1;
  return static_cast<int>(std::count_if(records->begin(), records->end(), match));
}

// Records of `event` whose reason or detail contains `needle`.
inline int CountAudit(const fs::path& db_path, v1::AuditEvent event, const std::string& needle) {
  return CountAuditWhere(db_path, [&](const v1::AuditRecord& r) {
    return r.event() == event && (r.reason() + " " + r.detail()).find(needle) != std::string::npos;
  });
}

// Records of `event` about the message `message_id_hex` (hex, any case).
inline int CountAuditOfMessage(const fs::path& db_path, v1::AuditEvent event,
                               const std::string& message_id_hex) {
  auto id = FromHex(message_id_hex);
  if (!id.ok()) return -1;
  return CountAuditWhere(db_path, [&](const v1::AuditRecord& r) {
    return r.event() == event && r.message_id() == AsChars(*id);
  });
}

// Waits until the audit log at `db` holds a record of `event` mentioning `needle`.
inline ::testing::AssertionResult Audited(const fs::path& db, v1::AuditEvent event,
                                   const std::string& needle, int at_least = 1) {
  if (WaitUntil([&] { return CountAudit(db, event, needle) >= at_least; })) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << db << " has " << CountAudit(db, event, needle) << " " << v1::AuditEvent_Name(event)
         << " records mentioning \"" << needle << "\", wanted " << at_least;
}

// --- Raw sockets -----------------------------------------------------------

// A TCP connection to `address` from a chosen loopback source; -1 on failure.
inline int RawConnect(const std::string& address, const char* source = "127.0.0.1") {
  auto ep = ParseEndpoint(address);
  if (!ep.ok()) return -1;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in src{};
  src.sin_family = AF_INET;
  inet_pton(AF_INET, source, &src.sin_addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(ep->port());
  inet_pton(AF_INET, ep->address().to_string().c_str(), &dst.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{30, 0};  // no test read blocks forever
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

inline bool WriteAll(int fd, ByteView b) {
  size_t done = 0;
  while (done < b.size()) {
    ssize_t n = ::send(fd, b.data() + done, b.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}
inline void SendRaw(int fd, const Bytes& b) { (void)WriteAll(fd, b); }

inline bool ReadExact(int fd, uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t got = ::read(fd, p, n);
    if (got <= 0) return false;
    p += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

// One `u16 length ‖ message` frame (PROTOCOL.md §3).
inline std::optional<Bytes> ReadWireMessage(int fd) {
  uint8_t len[2];
  if (!ReadExact(fd, len, 2)) return std::nullopt;
  Bytes m(size_t{len[0]} << 8 | len[1]);
  if (!ReadExact(fd, m.data(), m.size())) return std::nullopt;
  return m;
}
inline bool WriteWireMessage(int fd, ByteView m) {
  Bytes framed = {static_cast<uint8_t>(m.size() >> 8), static_cast<uint8_t>(m.size() & 0xff)};
  framed.insert(framed.end(), m.begin(), m.end());
  return WriteAll(fd, framed);
}

// Waits until the peer closes `fd`; returns the bytes it sent back first.
inline size_t DrainUntilClosed(int fd) {
  size_t total = 0;
  uint8_t buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    total += static_cast<size_t>(n);
  }
  ::close(fd);
  return total;
}

// Accepts on 127.0.0.1:0 and runs `serve(fd)` for each connection on its own
// thread; the destructor shuts every socket down and joins.
class LoopbackServer {
 public:
  explicit LoopbackServer(std::function<void(int fd)> serve) : serve_(std::move(serve)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    socklen_t len = sizeof a;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        ::listen(listen_fd_, 16) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("cannot listen on loopback");
    }
    address_ = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    acceptor_ = std::thread([this] {
      for (;;) {
        int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd < 0 || stopping_) {
          if (fd >= 0) ::close(fd);
          return;
        }
        std::lock_guard lock(mu_);
        fds_.push_back(fd);
        ++accepted_;
        workers_.emplace_back([this, fd] { serve_(fd); });
      }
    });
  }
  ~LoopbackServer() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    ::close(listen_fd_);
    // Workers may still Track() sockets: shut down under the lock, join without it.
    std::vector<std::thread> workers;
    {
      std::lock_guard lock(mu_);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
      workers.swap(workers_);
    }
    for (auto& t : workers) t.join();
    for (int fd : fds_) ::close(fd);
  }
  const std::string& address() const { return address_; }
  int accepted() const { return accepted_; }
  // For servers that open more sockets per connection (closed by the
  // destructor; shut down at once if it is already running).
  void Track(int fd) {
    std::lock_guard lock(mu_);
    fds_.push_back(fd);
    if (stopping_) ::shutdown(fd, SHUT_RDWR);
  }

 private:
  std::function<void(int)> serve_;
  int listen_fd_ = -1;
  std::string address_;
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> workers_;
  std::atomic<int> accepted_{0};
  std::atomic<bool> stopping_{false};
};

// --- A frame-aware man in the middle (B7, B8) ------------------------------

enum class FrameFault { kDuplicate, kReorder, kReplayOlder };

inline const char* FrameFaultName(FrameFault f) {
  switch (f) {
    case FrameFault::kDuplicate:
      return "Duplicate";
    case FrameFault::kReorder:
      return "Reorder";
    case FrameFault::kReplayOlder:
      return "ReplayOlder";
  }
  return "?";
}

// Forwards node <-> relay message by message. On the first connection only,
// the `transport_index`-th transport message in one direction is
// duplicated, swapped with the next one, or followed by a replay of the one
// before it. Records the three handshake messages of the first connection.
class FrameTamperProxy {
 public:
  FrameTamperProxy(std::string relay, bool toward_relay, FrameFault fault, int transport_index = 3)
      : relay_(std::move(relay)),
        toward_relay_(toward_relay),
        fault_(fault),
        index_(transport_index),
        server_([this](int fd) { Serve(fd); }) {}

  const std::string& address() const { return server_.address(); }
  bool tampered() const { return tampered_; }
  // XX messages 1, 2, 3 of the first connection (empty until seen).
  std::vector<Bytes> FirstHandshake() {
    std::lock_guard lock(mu_);
    return {handshake_[0], handshake_[1], handshake_[2]};
  }

 private:
  void Serve(int node_fd) {
    int relay_fd = RawConnect(relay_);
    if (relay_fd < 0) return;
    server_.Track(relay_fd);
    bool first = serves_++ == 0;
    std::thread back([&] { Pump(relay_fd, node_fd, /*toward_relay=*/false, first); });
    Pump(node_fd, relay_fd, /*toward_relay=*/true, first);
    back.join();
  }

  void Pump(int from, int to, bool toward_relay, bool first) {
    bool faulty = first && toward_relay == toward_relay_;
    int handshake_messages = toward_relay ? 2 : 1;  // msgs 1 and 3 one way, msg 2 the other
    Bytes previous;
    for (int i = 0;; ++i) {
      auto m = ReadWireMessage(from);
      if (!m) break;
      if (first && i < handshake_messages) {
        std::lock_guard lock(mu_);
        handshake_[toward_relay ? i * 2 : 1] = *m;
      }
      bool ok = true;
      if (faulty && i - handshake_messages == index_) {
        tampered_ = true;
        switch (fault_) {
          case FrameFault::kDuplicate:
            ok = WriteWireMessage(to, *m) && WriteWireMessage(to, *m);
            break;
          case FrameFault::kReorder: {
            auto next = ReadWireMessage(from);
            ok = next && WriteWireMessage(to, *next) && WriteWireMessage(to, *m);
            break;
          }
          case FrameFault::kReplayOlder:
            ok = WriteWireMessage(to, *m) && WriteWireMessage(to, previous);
            break;
        }
      } else {
        ok = WriteWireMessage(to, *m);
      }
      if (!ok) break;
      previous = std::move(*m);
    }
    ::shutdown(from, SHUT_RDWR);
    ::shutdown(to, SHUT_RDWR);
  }

  std::string relay_;
  bool toward_relay_;
  FrameFault fault_;
  int index_;
  std::mutex mu_;
  Bytes handshake_[3];
  std::atomic<bool> tampered_{false};
  std::atomic<int> serves_{0};
  LoopbackServer server_;  // last: its threads use the members above
};

// Reads message 1 of each connection and answers with `reply` (B7, B13 at
// the node): a replayed or forged message 2.
class ScriptedResponder {
 public:
  explicit ScriptedResponder(Bytes reply)
      : reply_(std::move(reply)), server_([this](int fd) {
          if (ReadWireMessage(fd)) (void)WriteWireMessage(fd, reply_);
          (void)DrainUntilClosed(::dup(fd));
        }) {}
  const std::string& address() const { return server_.address(); }
  int accepted() { return server_.accepted(); }

 private:
  Bytes reply_;
  LoopbackServer server_;
};

// --- In-process Noise peers --------------------------------------------------

// A node-side link with chosen credentials, run to completion on the
// calling thread (at most `timeout`).
struct RogueClient {
  std::string closed_reason;
  bool established = false;
  bool greeted = false;
  int trust_documents = 0;
  std::vector<v1::LinkFrame> frames;

  void Run(const std::string& address, const Identity& id, const TrustStore& trust,
           const std::function<void(const LinkConnection::Ptr&)>& on_up = nullptr,
           size_t want_frames = 0) {
    Run(address, ChannelConfigFor(id, trust, /*initiator=*/true, v1::ROLE_RELAY), on_up,
        want_frames);
  }
  void Run(const std::string& address, SecureChannelConfig config,
           const std::function<void(const LinkConnection::Ptr&)>& on_up = nullptr,
           size_t want_frames = 0, std::chrono::seconds timeout = std::chrono::seconds(10)) {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect(*ParseEndpoint(address));
    LinkConnection::Callbacks cb;
    cb.established = [&](const LinkConnection::Ptr& link) {
      established = true;
      if (on_up) on_up(link);
    };
    cb.frame = [&](const LinkConnection::Ptr& link, v1::LinkFrame& f) {
      if (f.has_hello()) {  // the relay's greeting: it accepted our certificate
        greeted = true;
        return;
      }
      if (f.has_trust()) {  // the trust documents in force, after every greeting
        ++trust_documents;
        return;
      }
      frames.push_back(f);
      if (frames.size() >= want_frames) link->Close("done");
    };
    cb.closed = [&](const LinkConnection::Ptr&, const std::string& reason, bool) {
      closed_reason = reason;
      io.stop();
    };
    auto link = LinkConnection::Create(std::move(socket), std::move(config), cb, LinkOptions{});
    link->Start();
    io.run_for(timeout);
  }
};

// A relay that a node connects to, run by the test: it speaks the real
// protocol with the credentials it is given and does what `on_up` says
// (B5 at the node, B10, B11). Callbacks run on its own thread.
class RogueRelay {
 public:
  RogueRelay(SecureChannelConfig config, std::function<void(const LinkConnection::Ptr&)> on_up)
      : config_(std::move(config)), on_up_(std::move(on_up)), acceptor_(io_) {
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.bind(ep);
    acceptor_.listen();
    address_ = "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~RogueRelay() {
    asio::post(io_, [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
      for (auto& l : links_) l->Close("test over");
    });
    asio::post(io_, [this] { io_.stop(); });
    thread_.join();
  }
  const std::string& address() const { return address_; }
  // Frames received from nodes, and why links closed.
  std::vector<v1::LinkFrame> frames() {
    std::lock_guard lock(mu_);
    return frames_;
  }
  std::vector<std::string> close_reasons() {
    std::lock_guard lock(mu_);
    return closed_;
  }

 private:
  void Accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, asio::ip::tcp::socket s) {
      if (ec) return;
      LinkConnection::Callbacks cb;
      cb.established = [this](const LinkConnection::Ptr& l) {
        v1::LinkFrame hello;  // as a real relay greets an accepted node
        hello.mutable_hello()->set_version(1);
        (void)l->Send(hello, LinkConnection::kControlPrecedence, true);
        on_up_(l);
      };
      cb.frame = [this](const LinkConnection::Ptr&, v1::LinkFrame& f) {
        if (f.has_trust()) return;  // the node's trust documents in force, on every link
        std::lock_guard lock(mu_);
        frames_.push_back(f);
      };
      cb.closed = [this](const LinkConnection::Ptr&, const std::string& reason, bool) {
        std::lock_guard lock(mu_);
        closed_.push_back(reason);
      };
      auto link = LinkConnection::Create(std::move(s), config_, cb, LinkOptions{});
      links_.push_back(link);
      link->Start();
      Accept();
    });
  }

  SecureChannelConfig config_;
  std::function<void(const LinkConnection::Ptr&)> on_up_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::string address_;
  std::vector<LinkConnection::Ptr> links_;
  std::mutex mu_;
  std::vector<v1::LinkFrame> frames_;
  std::vector<std::string> closed_;
  std::thread thread_;
};

}  // namespace hotline::testing

#endif  // HOTLINE_TESTS_INTEGRATION_ROGUE_PEERS_H_
