// The frames a link has read but not yet handed on, in lanes by urgency
// (docs/PROTOCOL.md §3 "Precedence inside a process"): acknowledgements
// first, then FLASH, IMMEDIATE, PRIORITY and ROUTINE envelopes and
// receipts; everything else (greetings, trust documents, withdrawals,
// expiry notices) rides in the ROUTINE lane, so it keeps its place among
// the routine traffic. A frame is handed on after every frame that
// arrived before it in its own or a more urgent lane, and never after one
// that arrived after it in a less urgent lane. Nothing overtakes the first
// frame (the greeting); what came with it takes its lane once it is taken.
//
// Thread safety: one thread. Error contract: none; Push never fails (the
// caller bounds bytes()).
#ifndef HOTLINE_INBOUND_LANES_H_
#define HOTLINE_INBOUND_LANES_H_

#include <array>
#include <deque>
#include <map>
#include <string>

#include "hotline/v1/link.pb.h"

namespace hotline {

// The lane of a frame: 0 = acknowledgements (RelayAccepted, DeliveryTaken,
// ReceiptAccepted, LinkError), 1..4 = FLASH..ROUTINE, by the precedence of
// the envelope (its header) or receipt it carries.
int InboundLaneOf(const v1::LinkFrame& frame);

class InboundLanes {
 public:
  static constexpr int kLanes = 5;
  explicit InboundLanes(bool fifo = false) : fifo_(fifo) {}

  void Push(v1::LinkFrame frame);
  // The most urgent frame waiting; false if none.
  bool Pop(v1::LinkFrame& out);
  bool empty() const { return count_ == 0; }
  size_t bytes() const { return bytes_; }
  size_t size() const { return count_; }
  // Track updates replaced by a newer one of their track before being taken.
  uint64_t conflated() const { return conflated_; }

 private:
  struct Held {
    v1::LinkFrame frame;
    size_t bytes = 0;
    std::string latest_key;  // a track update's (sender, track key); else empty
    uint64_t seq = 0;
  };
  std::map<std::string, Held*> latest_;  // the waiting update of each track
  uint64_t conflated_ = 0;
  bool fifo_;
  bool started_ = false;  // the first frame was taken: lanes apply
  std::array<std::deque<Held>, kLanes> lanes_;
  size_t bytes_ = 0;
  size_t count_ = 0;
};

}  // namespace hotline

#endif  // HOTLINE_INBOUND_LANES_H_
