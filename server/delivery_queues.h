// The relay's delivery queues, one per recipient node: every stored item
// waiting for that node, which of them are on their way on its current
// link, and which goes next. State only: no I/O and no clock; the server
// loads an item's bytes, sends it and reports back.
//
// Order: most urgent precedence first, then oldest (lowest id); with `fifo`
// (a benchmark comparison only) oldest first. A node has at most
// `window_count` items, `window_bytes` bytes, un-taken at once: that is
// what a FLASH arriving now waits behind at the recipient (a FLASH itself
// may go beyond the window by kFlashBeyondWindow items, so it never waits
// for the routine ones to be taken).
//
// Thread safety: one thread. Error contract: none; an unknown id is
// reported in the result, never assumed.
#ifndef HOTLINE_SERVER_DELIVERY_QUEUES_H_
#define HOTLINE_SERVER_DELIVERY_QUEUES_H_

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "hotline/limits.h"
#include "relay_store.h"

namespace hotline::relay {

class DeliveryQueues {
 public:
  struct Options {
    size_t window_count = limits::kDeliveryWindow;
    size_t window_bytes = limits::kDeliveryWindowBytes;
    bool fifo = false;
  };
  explicit DeliveryQueues(Options options) : options_(options) {}

  // A stored item. False if it is already queued (a resubmission).
  bool Add(const QueuedItem& item);
  // Ids up to `id` were handed out by the store, even if none is queued now
  // (they were taken before a restart): a late Taken for one is no error.
  void NoteAssigned(int64_t id) { highest_assigned_ = std::max(highest_assigned_, id); }

  // The most urgent item for `recipient` if its window has room, else null.
  const QueuedItem* Next(v1::Nation recipient) const;
  // The item Next returned was sent on the current link.
  void Sent(v1::Nation recipient, int64_t id);
  // The item Next returned could not be read; it waits for RetryUnreadable.
  // True the first time for this item (to audit it once).
  bool Unreadable(v1::Nation recipient, int64_t id);
  // Every unreadable item is queued again; returns the nations concerned.
  std::vector<v1::Nation> RetryUnreadable();
  // The recipient's link is gone: what was on its way and not taken is
  // queued again (the node deduplicates if it did arrive).
  void ReturnInFlight(v1::Nation recipient);

  struct Taken {
    enum class Kind { kTaken, kAlreadyGone, kNeverQueued } kind = Kind::kAlreadyGone;
    QueuedItem item;  // kTaken: the item, now forgotten
  };
  // The recipient says it stored item `id`.
  Taken Take(v1::Nation recipient, int64_t id);
  // Forgets an item (dropped); the item if it was queued.
  std::optional<QueuedItem> Remove(v1::Nation recipient, int64_t id);
  // Queued copies of a sender's message that are not on their way (those
  // are left to their recipient's Taken), as (recipient, id).
  std::vector<std::pair<v1::Nation, int64_t>> Withdrawable(v1::Nation sender,
                                                           const std::string& message_id) const;

  // Envelopes stored at or before `accepted_before` and not on their way
  // (one on its way is left to its recipient's Taken), as (recipient, id).
  std::vector<std::pair<v1::Nation, int64_t>> Expirable(int64_t accepted_before) const;

  size_t queued(v1::Nation recipient) const;
  // Queued items for `recipient` by precedence (in flight included).
  std::map<int, size_t> QueuedByPrecedence(v1::Nation recipient) const;
  size_t in_flight(v1::Nation recipient) const;

 private:
  struct Pending {
    int precedence;
    int64_t id;
    bool operator<(const Pending& o) const {
      return precedence != o.precedence ? precedence > o.precedence : id < o.id;
    }
  };
  struct Queue {
    std::set<Pending> pending;
    std::map<int64_t, QueuedItem> items;   // every queued item, by id
    std::set<int64_t> in_flight;           // sent on the current link, not yet taken
    std::set<int64_t> unreadable;          // could not be loaded; waiting for a retry
    std::set<int64_t> unreadable_audited;  // ... and already reported once
    size_t in_flight_bytes = 0;
  };
  using CopyKey = std::pair<v1::Nation, std::string>;  // (sender, message id)

  Pending PendingOf(const QueuedItem& item) const {
    return {options_.fifo ? 0 : item.precedence, item.id};
  }
  QueuedItem Forget(Queue& q, std::map<int64_t, QueuedItem>::iterator it);

  Options options_;
  std::map<v1::Nation, Queue> queues_;
  std::map<CopyKey, std::set<std::pair<v1::Nation, int64_t>>> copies_;
  int64_t highest_assigned_ = 0;
};

}  // namespace hotline::relay

#endif  // HOTLINE_SERVER_DELIVERY_QUEUES_H_
