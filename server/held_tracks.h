// Track updates (PROTOCOL.md §11) a relay holds for recipients whose link
// is down: in memory only, the newest of each track, for a short while —
// a position older than that is no use to anyone. State only; the server
// sends what Take returns when the recipient's link comes up.
//
// Thread safety: one thread. Error contract: none; Hold says whether it kept it.
#ifndef HOTLINE_SERVER_HELD_TRACKS_H_
#define HOTLINE_SERVER_HELD_TRACKS_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "hotline/v1/common.pb.h"

namespace hotline::relay {

class HeldTracks {
 public:
  static constexpr size_t kMaxPerRecipient = 1024;
  static constexpr size_t kMaxBytesPerRecipient = 16 * 1024 * 1024;
  static constexpr int64_t kMaxAgeMs = 10'000;

  // Keeps `envelope`, update `seq` of track `key` (sender and track key),
  // unless an update as new is already held, or the recipient has
  // kMaxPerRecipient tracks or kMaxBytesPerRecipient held (updates older
  // than kMaxAgeMs are dropped first: they count for nothing).
  bool Hold(v1::Nation recipient, const std::string& key, uint64_t seq, std::string envelope,
            int64_t now_ms) {
    auto& held = held_[recipient];
    auto& bytes = bytes_[recipient];
    std::erase_if(held, [&](const auto& entry) {
      bool old = now_ms - entry.second.at_ms > kMaxAgeMs;
      if (old) bytes -= entry.second.envelope.size();
      return old;
    });
    auto it = held.find(key);
    if (it != held.end() && it->second.seq >= seq) return false;
    size_t replaced = it == held.end() ? 0 : it->second.envelope.size();
    if (it == held.end() && held.size() >= kMaxPerRecipient) return false;
    if (bytes - replaced + envelope.size() > kMaxBytesPerRecipient) return false;
    bytes = bytes - replaced + envelope.size();
    held[key] = {seq, now_ms, std::move(envelope)};
    return true;
  }

  // What is held for `recipient` and no older than kMaxAgeMs, as (key,
  // envelope); everything held for it is forgotten.
  std::vector<std::pair<std::string, std::string>> Take(v1::Nation recipient, int64_t now_ms) {
    std::vector<std::pair<std::string, std::string>> out;
    auto node = held_.extract(recipient);
    bytes_.erase(recipient);
    if (node.empty()) return out;
    for (auto& [key, held] : node.mapped()) {
      if (now_ms - held.at_ms <= kMaxAgeMs) out.emplace_back(key, std::move(held.envelope));
    }
    return out;
  }

  size_t held(v1::Nation recipient) const {
    auto it = held_.find(recipient);
    return it == held_.end() ? 0 : it->second.size();
  }

 private:
  struct Held {
    uint64_t seq;
    int64_t at_ms;
    std::string envelope;
  };
  std::map<v1::Nation, std::map<std::string, Held>> held_;
  std::map<v1::Nation, size_t> bytes_;
};

}  // namespace hotline::relay

#endif  // HOTLINE_SERVER_HELD_TRACKS_H_
