// The node's links to its relays — the I/O shell of the node. One coroutine
// per configured relay connects (2 s connect timeout), runs the Noise
// handshake, and takes the link as up only when the relay greets it
// (Hello) — within the 5 s handshake timeout, else it closes it; a
// CERTIFICATE_REFUSED answer or a close before the greeting is a failed
// handshake. It reconnects with jittered exponential back-off,
// reset by a greeted link, at least 30 s after a refusal
// (docs/PROTOCOL.md §5 "Timeouts"). What the links say goes to the
// daemon's callbacks; the pool holds no protocol logic beyond that.
//
// Thread safety: the io_context's thread. Error contract: failures arrive
// through Callbacks::closed / refused with a readable reason.
#ifndef HOTLINE_CLIENT_NODE_RELAY_POOL_H_
#define HOTLINE_CLIENT_NODE_RELAY_POOL_H_

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "hotline/asio.h"
#include "hotline/limits.h"
#include "hotline/link_connection.h"
#include "hotline/trust_dir.h"
#include "hotline/v1/control.pb.h"

namespace hotline::node {

class RelayPool {
 public:
  enum class CloseKind {
    kHandshakeFailed,  // never greeted (the reason says why)
    kRefused,          // refused our certificate: already reported by `refused`
    kLost,             // a greeted link ended
    kViolation,        // a greeted link ended because the relay broke the protocol
  };
  struct Callbacks {
    std::function<void(size_t relay, const v1::Hello& hello)> ready;
    std::function<void(size_t relay, const std::string& text)> refused;
    std::function<void(size_t relay, const std::string& reason, CloseKind kind)> closed;
    std::function<void(size_t relay, v1::LinkFrame& frame)> frame;
  };
  struct Options {
    std::chrono::milliseconds reconnect_min{100};
    std::chrono::milliseconds reconnect_max{2000};
    std::chrono::milliseconds reconnect_refused{30000};
    std::chrono::milliseconds silence_timeout = limits::kIdleTimeout;  // a relay this quiet is down
    int64_t allowed_skew_seconds = 300;
    uint64_t rekey_after_messages = 0;
    bool fifo = false;
    std::function<int64_t()> now_ms;
  };

  // `identity` and `trust` must outlive the pool.
  RelayPool(asio::io_context& io, std::vector<std::string> addresses, const Identity& identity,
            const TrustStore& trust, Options options, Callbacks callbacks);

  void Start();
  void Stop();

  size_t size() const { return relays_.size(); }
  bool Up(size_t relay) const { return relays_[relay].link && relays_[relay].ready; }
  int First() const;  // the first relay that is up, or -1
  const std::string& subject(size_t relay) const { return relays_[relay].subject; }
  size_t queued_bytes(size_t relay) const;
  // Queues `frame` on relay `relay`'s link, greeted or not (a Taken may
  // answer a delivery that came before the greeting).
  Status Send(size_t relay, const v1::LinkFrame& frame, int precedence, bool force = false);
  // Latest-value traffic: replaces a queued frame of the same `key`.
  Status SendLatest(size_t relay, const v1::LinkFrame& frame, const std::string& key,
                    int precedence);
  void FillStatus(v1::StatusResponse& out) const;
  // Closes every link whose relay certificate no longer verifies against
  // the trust store (revoked, or no longer signed under a new root
  // document); returns "relay-2: <why>" for each.
  std::vector<std::string> CloseUnverified();

 private:
  struct Relay {
    std::string address;
    LinkConnection::Ptr link;
    bool ready = false;
    bool refused = false;  // on the current attempt the relay refused our certificate
    std::string subject;
    int64_t since_ms = 0;
    std::string last_error;
    std::chrono::milliseconds backoff{0};
  };
  awaitable<void> Maintain(size_t relay);
  void OnFrame(size_t relay, v1::LinkFrame& frame);
  void OnClosed(size_t relay, const LinkConnection::Ptr& link, const std::string& reason,
                bool authenticated);

  asio::io_context& io_;
  const Identity& identity_;
  const TrustStore& trust_;
  Options options_;
  Callbacks callbacks_;
  std::vector<Relay> relays_;
  bool stopping_ = false;
};

}  // namespace hotline::node

#endif  // HOTLINE_CLIENT_NODE_RELAY_POOL_H_
