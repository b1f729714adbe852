// Which outstanding message a node submits next, through which relay, and
// when it goes out again (docs/PROTOCOL.md §5 "Node rules"): higher
// precedence first, arrival order within one; every message is re-sent
// until each recipient's delivery receipt is back — when a relay link comes
// up and it has no live acceptance, when the relay it went through drops,
// and through another relay at its delivery deadline; a FLASH also through
// another relay when the one it went to has not accepted it within
// limits::kFlashHedgeAfter (a frozen relay's link looks alive until its
// heartbeat times out; recipients deduplicate). Also the sender's
// sequence counters. Sans-I/O: the daemon submits what it says on the link.
//
// Thread safety: none; the daemon's thread. Error contract: none; unknown
// message ids are ignored.
#ifndef HOTLINE_CLIENT_NODE_OUTBOX_SCHEDULER_H_
#define HOTLINE_CLIENT_NODE_OUTBOX_SCHEDULER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "hotline/bytes.h"
#include "hotline/limits.h"
#include "hotline/v1/envelope.pb.h"
#include "node/stream_keys.h"

namespace hotline::node {

class OutboxScheduler {
 public:
  struct Entry {
    Bytes envelope;             // the sealed envelope, as submitted
    Bytes digest;               // its envelope digest (PROTOCOL.md §4)
    int64_t created_at_ms = 0;  // on our clock
    v1::Precedence precedence = v1::PRECEDENCE_ROUTINE;
    std::set<v1::Nation> awaiting;  // recipients whose delivery receipt is not back
    bool accepted = false;          // by the relay it last went through
    int via = -1;                   // that relay's index, -1 = none
    std::set<int> submitted_via;    // every relay it went through
    uint64_t order = 0;             // arrival order, within its precedence
  };
  struct Delivered {
    bool awaited = false;         // this recipient's receipt was outstanding
    bool done = false;            // it was the last one: the message is complete
    std::set<int> submitted_via;  // (when done) relays that may still queue copies
  };

  explicit OutboxScheduler(bool fifo = false,
                           int64_t hedge_after_ms = limits::kFlashHedgeAfter.count())
      : fifo_(fifo), hedge_after_ms_(hedge_after_ms) {}

  // A new (or, after a restart, restored) message: queued for submission.
  // `entry` gives envelope, digest, created_at_ms, precedence and awaiting.
  void Add(const Bytes& message_id, Entry entry);

  // The next message to submit. With `bulk_room` false (the link's queue is
  // past its high-water mark) only IMMEDIATE and FLASH come out.
  std::optional<Bytes> Next(bool bulk_room);
  // Submitted through `relay` at `now_ms`, or refused by the link (back to
  // the queue).
  void Submitted(const Bytes& message_id, int relay, int64_t now_ms);
  void Unsubmitted(const Bytes& message_id);

  // Relay `relay` is up: queue everything without a live acceptance.
  void OnRelayUp(int relay, const std::function<bool(int)>& is_up);
  // Relay `relay` went down: what went through it goes out again (its
  // copy may be stuck in a dead relay's store).
  void OnRelayDown(int relay);
  // True the first time `message_id` is accepted by a relay.
  bool OnAccepted(const Bytes& message_id, int relay);
  Delivered OnDelivered(const Bytes& message_id, v1::Nation recipient);
  // A relay expired the recipient's copy: no longer awaited or re-sent for
  // it (the operator sends again if still needed).
  Delivered OnExpired(const Bytes& message_id, v1::Nation recipient) {
    return OnDelivered(message_id, recipient);
  }
  // Delivery deadline missed: another live relay than the last one, or
  // that one again if it is the only one up; -1 if none is up.
  int EscalationRelay(const Bytes& message_id, const std::function<bool(int)>& is_up,
                      int relay_count) const;

  // FLASH submissions still not accepted kFlashHedgeAfter later, each with
  // another live relay to go through too (none if no other is up; the
  // link's heartbeat then decides). The caller sends and calls Submitted.
  struct Hedge {
    Bytes message_id;
    int from = -1;  // the relay that did not accept it in time
    int to = -1;
  };
  std::vector<Hedge> HedgesDue(int64_t now_ms, const std::function<bool(int)>& is_up,
                               int relay_count);
  // When the next hedge may be due, if any submission is waiting for one.
  std::optional<int64_t> NextHedgeAt() const;

  const Entry* Find(const Bytes& message_id) const;
  size_t size() const { return entries_.size(); }
  // Per precedence: messages waiting to be submitted to a relay, and
  // messages with a recipient whose delivery receipt is not back.
  struct Depth {
    size_t queued = 0, unreceipted = 0;
  };
  std::map<v1::Precedence, Depth> Depths() const;

 private:
  void Queue(const Bytes& message_id, const Entry& entry);

  bool fifo_;
  int64_t hedge_after_ms_;
  std::map<Bytes, Entry> entries_;
  // (due at, message id) -> the relay it was submitted through.
  std::map<std::pair<int64_t, Bytes>, int> hedges_;
  std::map<std::pair<int, uint64_t>, Bytes> queue_;  // (-precedence, order) -> id
  uint64_t next_order_ = 0;
};

// The sender's counters: the next sequence of each SequenceKey.
class SequenceCounters {
 public:
  void Restore(std::map<SequenceKey, uint64_t> next) { next_ = std::move(next); }
  // Stamps `header` (channel and recipients set) with its display sequence
  // and one sequence per recipient; returns the counters to store after it.
  std::map<SequenceKey, uint64_t> Stamp(v1::EnvelopeHeader& header) const;
  void Commit(const std::map<SequenceKey, uint64_t>& next);

 private:
  uint64_t Peek(SequenceKey key) const;
  std::map<SequenceKey, uint64_t> next_;
};

}  // namespace hotline::node

#endif  // HOTLINE_CLIENT_NODE_OUTBOX_SCHEDULER_H_
