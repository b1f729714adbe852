// Deadlines per precedence for the "delivered" and "acknowledged" tiers, and
// a tracker that says which have passed. Sans-I/O: the caller passes the
// time, so tests drive it with a fake clock.
//
// Thread safety: none; one owner. Error contract: ParseDeadlineSpec returns
// a clear InvalidArgument for a malformed spec.
#ifndef HOTLINE_DEADLINES_H_
#define HOTLINE_DEADLINES_H_

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "hotline/bytes.h"
#include "hotline/v1/common.pb.h"

namespace hotline {

struct DeadlinePolicy {
  // Time from sending to the delivery receipt, and to the operator's ack.
  std::map<v1::Precedence, std::chrono::milliseconds> deliver, acknowledge;
  // In the spirit of ACP 121 (FLASH tightest), scaled for a hotline:
  //   FLASH 5 s / 2 min, IMMEDIATE 30 s / 10 min,
  //   PRIORITY 2 min / 1 h, ROUTINE 10 min / 4 h.
  static DeadlinePolicy Defaults();
  // Applies "flash=5s/2m" (deliver/acknowledge; units ms, s, m, h).
  Status Apply(std::string_view spec);
};

// Parses "250ms", "5s", "2m", "1h".
StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text);

enum class DeadlineTier { kDelivered, kAcknowledged };

struct DeadlineKey {
  Bytes message_id;
  v1::Nation peer = v1::NATION_UNSPECIFIED;
  DeadlineTier tier = DeadlineTier::kDelivered;
  bool operator<(const DeadlineKey& o) const {
    if (message_id != o.message_id) return message_id < o.message_id;
    if (peer != o.peer) return peer < o.peer;
    return tier < o.tier;
  }
};

class DeadlineTracker {
 public:
  // (Re)arms `key` to expire at `due_ms`.
  void Track(const DeadlineKey& key, int64_t due_ms);
  // The tier was reached: forget the deadline.
  void Satisfy(const DeadlineKey& key);
  // Removes and returns every key whose deadline is at or before `now_ms`,
  // earliest first.
  std::vector<DeadlineKey> Expire(int64_t now_ms);
  size_t size() const { return due_.size(); }

 private:
  std::map<DeadlineKey, int64_t> due_;
  std::multimap<int64_t, DeadlineKey> by_time_;
};

}  // namespace hotline

#endif  // HOTLINE_DEADLINES_H_
