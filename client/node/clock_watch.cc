#include "node/clock_watch.h"

#include <cstdlib>

#include "hotline/text.h"

namespace hotline::node {

std::optional<std::string> ClockWatch::Observe(const std::string& peer, int64_t peer_ms,
                                               int64_t earliest_ms, int64_t latest_ms) {
  // An interval wider than the allowed skew (a receipt for a message sent
  // hours ago) can show a clock ahead, but proves nothing about one behind.
  if (earliest_ms != kUnbounded && latest_ms - earliest_ms > allowed_ms_) earliest_ms = kUnbounded;
  int64_t offset = 0;
  if (peer_ms > latest_ms) {
    offset = peer_ms - latest_ms;
  } else if (earliest_ms != kUnbounded && peer_ms < earliest_ms) {
    offset = peer_ms - earliest_ms;
  } else if (offsets_.count(peer) && offsets_[peer] != 0 && earliest_ms == kUnbounded) {
    // A one-sided stamp cannot show that a clock found behind caught up.
    return std::nullopt;
  }
  bool was_out = OutOfStep(peer);
  offsets_[peer] = offset;
  bool out = OutOfStep(peer);
  if (out && !was_out) {
    return "CLOCK SKEW: " + peer + "'s clock is " + DescribeClockOffset(offset) +
           " relative to ours (allowed: " + std::to_string(allowed_ms_ / 1000) +
           " s); its times are shown as its own; check both clocks (NTP)";
  }
  if (!out && was_out) return "CLOCK SKEW cleared: " + peer + "'s clock agrees with ours again";
  return std::nullopt;
}

bool ClockWatch::OutOfStep(const std::string& peer) const {
  auto it = offsets_.find(peer);
  return it != offsets_.end() && std::llabs(it->second) > allowed_ms_;
}

}  // namespace hotline::node
