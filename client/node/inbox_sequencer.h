// In-order release of each (sender, channel) stream to the operator, with
// precedence winning over order (docs/PROTOCOL.md §5 "Release"). Messages
// arrive in any order (two relays, a withheld copy, a failover); each
// recipient stream is shown in its sequence order, except that a message
// kept waiting for an earlier one longer than its precedence's hold time
// (zero for FLASH) is shown at once, marked as ahead of a gap, and an
// earlier one that turns up afterwards is shown marked late. A gap that
// stays open past the gap timeout is skipped. Sans-I/O: events in (an
// arrival, a tick, with the time on the node's clock), decisions out; the
// daemon stores and shows them.
//
// Thread safety: none; the daemon's thread. Error contract: none; a
// duplicate arrival is the caller's to filter out.
#ifndef HOTLINE_CLIENT_NODE_INBOX_SEQUENCER_H_
#define HOTLINE_CLIENT_NODE_INBOX_SEQUENCER_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <vector>

#include "hotline/bytes.h"
#include "hotline/v1/common.pb.h"
#include "node/stream_keys.h"

namespace hotline::node {

enum class ReleaseKind {
  kInSequence,  // its turn in the stream
  kAheadOfGap,  // shown before earlier messages that have not arrived
  kLate,        // arrived after later messages of its stream were shown
  kCaughtUp,    // its turn came, but it was already shown ahead of a gap: store only
};

struct Release {
  Bytes message_id;
  StreamKey key;
  uint64_t sequence = 0;
  ReleaseKind kind = ReleaseKind::kInSequence;
  uint64_t missing_from = 0, missing_to = 0;  // kAheadOfGap: the messages not yet seen
};

struct GapEvent {
  enum Kind { kOpened, kClosed, kSkipped };
  Kind kind = kOpened;
  StreamKey key;
  uint64_t from = 0, to = 0;  // the missing sequences
};

struct SequencerOutput {
  std::vector<Release> released;
  std::vector<GapEvent> gaps;
  std::map<StreamKey, uint64_t> next_changed;  // new next-expected sequence per stream
  bool empty() const { return released.empty() && gaps.empty() && next_changed.empty(); }
};

class InboxSequencer {
 public:
  struct Policy {
    // How long a message may wait for an earlier one before it is shown
    // ahead of the gap; a precedence not listed waits for the gap timeout.
    std::map<v1::Precedence, std::chrono::milliseconds> hold;
    // After this long an open gap is skipped (with an alert): a message lost
    // for good cannot hold later ones back forever.
    std::chrono::milliseconds gap_timeout{30000};
    static Policy Defaults();  // FLASH 0 s, IMMEDIATE 2 s, PRIORITY 10 s, ROUTINE 30 s
    std::chrono::milliseconds HoldFor(v1::Precedence p) const;
  };

  explicit InboxSequencer(Policy policy) : policy_(std::move(policy)) {}

  // Restart: a stream's next expected sequence, and what was stored but not
  // yet passed by it (`shown_early` for those already shown ahead of a gap).
  void RestoreNext(StreamKey key, uint64_t next);
  void RestoreHeld(StreamKey key, uint64_t sequence, v1::Precedence precedence, Bytes message_id,
                   bool shown_early, int64_t now_ms);
  void Clear() { streams_.clear(); }

  SequencerOutput Arrive(StreamKey key, uint64_t sequence, v1::Precedence precedence,
                         Bytes message_id, int64_t now_ms);
  // Hold times and gap timeouts that have run out by `now_ms`.
  SequencerOutput Tick(int64_t now_ms);
  // True when Tick(now_ms) would decide something.
  bool Due(int64_t now_ms) const;

  uint64_t next(StreamKey key) const;

 private:
  struct Waiting {
    v1::Precedence precedence = v1::PRECEDENCE_UNSPECIFIED;
    Bytes message_id;
    int64_t arrived_ms = 0;
    bool shown = false;
  };
  struct Stream {
    uint64_t next = 1;
    std::map<uint64_t, Waiting> held;
    int64_t gap_since_ms = -1;  // when the current gap opened; -1 = none
  };
  void Drain(StreamKey key, Stream& s, int64_t now_ms, SequencerOutput& out);
  void ShowAhead(StreamKey key, Stream& s, uint64_t sequence, SequencerOutput& out);

  Policy policy_;
  std::map<StreamKey, Stream> streams_;
};

}  // namespace hotline::node

#endif  // HOTLINE_CLIENT_NODE_INBOX_SEQUENCER_H_
