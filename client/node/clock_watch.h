// Clock skew between this node and the peers whose times it sees. Every
// time a peer stamps (a relay's greeting and acceptance, a recipient's
// receipt, a sender's creation time) is compared with the interval of our
// own clock in which that instant must lie; a stamp outside it by more than
// the allowed skew means the two clocks disagree by at least that much.
// Durations are never computed across two clocks: this is how skew is
// detected and shown instead (issue 11 item 5).
//
// Thread safety: none; the daemon's thread. Error contract: none.
#ifndef HOTLINE_CLIENT_NODE_CLOCK_WATCH_H_
#define HOTLINE_CLIENT_NODE_CLOCK_WATCH_H_

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>

namespace hotline::node {

class ClockWatch {
 public:
  static constexpr int64_t kUnbounded = std::numeric_limits<int64_t>::min();

  explicit ClockWatch(int64_t allowed_skew_ms) : allowed_ms_(allowed_skew_ms) {}

  // `peer` stamped `peer_ms` at an instant that was, on our clock, no earlier
  // than `earliest_ms` (kUnbounded if unknown) and no later than `latest_ms`.
  // Returns an alert text when the peer is newly found outside the allowed
  // skew, or back inside it; nothing while its state is unchanged.
  std::optional<std::string> Observe(const std::string& peer, int64_t peer_ms, int64_t earliest_ms,
                                     int64_t latest_ms);

  // The peer's clock minus ours, as far as it is known: positive = ahead,
  // negative = behind, 0 = consistent with ours. Last observation per peer.
  const std::map<std::string, int64_t>& offsets() const { return offsets_; }
  bool OutOfStep(const std::string& peer) const;
  int64_t allowed_ms() const { return allowed_ms_; }

 private:
  int64_t allowed_ms_;
  std::map<std::string, int64_t> offsets_;
};

}  // namespace hotline::node

#endif  // HOTLINE_CLIENT_NODE_CLOCK_WATCH_H_
