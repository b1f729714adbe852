#include "node/inbox_sequencer.h"

#include <algorithm>
#include <iterator>

namespace hotline::node {

using std::chrono::milliseconds;

InboxSequencer::Policy InboxSequencer::Policy::Defaults() {
  Policy p;
  p.hold = {{v1::PRECEDENCE_FLASH, milliseconds(0)},
            {v1::PRECEDENCE_IMMEDIATE, milliseconds(2000)},
            {v1::PRECEDENCE_PRIORITY, milliseconds(10000)},
            {v1::PRECEDENCE_ROUTINE, milliseconds(30000)}};
  return p;
}

milliseconds InboxSequencer::Policy::HoldFor(v1::Precedence p) const {
  auto it = hold.find(p);
  return it == hold.end() ? gap_timeout : std::min(it->second, gap_timeout);
}

void InboxSequencer::RestoreNext(StreamKey key, uint64_t next) { streams_[key].next = next; }

void InboxSequencer::RestoreHeld(StreamKey key, uint64_t sequence, v1::Precedence precedence,
                                 Bytes message_id, bool shown_early, int64_t now_ms) {
  Stream& s = streams_[key];
  s.held[sequence] = Waiting{precedence, std::move(message_id), now_ms, shown_early};
  if (s.gap_since_ms < 0 && s.held.begin()->first > s.next) s.gap_since_ms = now_ms;
}

uint64_t InboxSequencer::next(StreamKey key) const {
  auto it = streams_.find(key);
  return it == streams_.end() ? 1 : it->second.next;
}

void InboxSequencer::ShowAhead(StreamKey key, Stream& s, uint64_t sequence, SequencerOutput& out) {
  Waiting& w = s.held.at(sequence);
  w.shown = true;
  uint64_t last_missing = sequence - 1;  // the highest earlier sequence not yet here
  while (last_missing > s.next && s.held.count(last_missing)) --last_missing;
  out.released.push_back(
      {w.message_id, key, sequence, ReleaseKind::kAheadOfGap, s.next, last_missing});
}

void InboxSequencer::Drain(StreamKey key, Stream& s, int64_t now_ms, SequencerOutput& out) {
  uint64_t before = s.next;
  bool had_gap = s.gap_since_ms >= 0;
  uint64_t gap_from = s.next;
  while (!s.held.empty() && s.held.begin()->first <= s.next) {
    auto first = s.held.begin();
    if (first->first == s.next) {
      // Late if a later message of the stream was already shown ahead of it.
      bool overtaken = std::any_of(std::next(first), s.held.end(),
                                   [](const auto& entry) { return entry.second.shown; });
      ReleaseKind kind = first->second.shown ? ReleaseKind::kCaughtUp
                         : overtaken         ? ReleaseKind::kLate
                                             : ReleaseKind::kInSequence;
      out.released.push_back({first->second.message_id, key, first->first, kind});
      ++s.next;
    }
    s.held.erase(first);
  }
  if (s.next != before) out.next_changed[key] = s.next;
  bool gap = !s.held.empty();  // whatever is still held waits for a missing one
  if (had_gap && (!gap || s.next != before)) {
    out.gaps.push_back({GapEvent::kClosed, key, gap_from, s.next - 1});
    s.gap_since_ms = -1;
  }
  if (gap && s.gap_since_ms < 0) {
    s.gap_since_ms = now_ms;
    out.gaps.push_back({GapEvent::kOpened, key, s.next, s.held.begin()->first - 1});
  }
}

SequencerOutput InboxSequencer::Arrive(StreamKey key, uint64_t sequence, v1::Precedence precedence,
                                       Bytes message_id, int64_t now_ms) {
  SequencerOutput out;
  Stream& s = streams_[key];
  if (sequence < s.next) {
    out.released.push_back({std::move(message_id), key, sequence, ReleaseKind::kLate});
    return out;
  }
  s.held[sequence] = Waiting{precedence, std::move(message_id), now_ms, false};
  Drain(key, s, now_ms, out);
  auto it = s.held.find(sequence);
  if (it != s.held.end() && policy_.HoldFor(precedence).count() == 0) {
    ShowAhead(key, s, sequence, out);
  }
  return out;
}

bool InboxSequencer::Due(int64_t now_ms) const {
  for (const auto& [key, s] : streams_) {
    if (s.gap_since_ms >= 0 && now_ms - s.gap_since_ms >= policy_.gap_timeout.count()) return true;
    for (const auto& [seq, w] : s.held) {
      if (!w.shown && now_ms - w.arrived_ms >= policy_.HoldFor(w.precedence).count()) return true;
    }
  }
  return false;
}

SequencerOutput InboxSequencer::Tick(int64_t now_ms) {
  SequencerOutput out;
  for (auto& [key, s] : streams_) {
    if (s.held.empty()) continue;
    if (s.gap_since_ms >= 0 && now_ms - s.gap_since_ms >= policy_.gap_timeout.count()) {
      uint64_t first_held = s.held.begin()->first;
      out.gaps.push_back({GapEvent::kSkipped, key, s.next, first_held - 1});
      s.next = first_held;
      s.gap_since_ms = -1;
      out.next_changed[key] = s.next;
      Drain(key, s, now_ms, out);
      // A skip is not a close: drop the kClosed that Drain may have added.
      StreamKey skipped = key;  // clang 14 cannot capture a structured binding
      std::erase_if(out.gaps, [&](const GapEvent& g) {
        return g.kind == GapEvent::kClosed && g.key == skipped;
      });
    }
    for (auto& [seq, w] : s.held) {
      if (!w.shown && now_ms - w.arrived_ms >= policy_.HoldFor(w.precedence).count()) {
        ShowAhead(key, s, seq, out);
      }
    }
  }
  return out;
}

}  // namespace hotline::node
