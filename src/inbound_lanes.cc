#include "hotline/inbound_lanes.h"

#include <google/protobuf/io/coded_stream.h>

#include "hotline/v1/envelope.pb.h"

namespace hotline {
namespace {

constexpr int kRoutineLane = 4;

int LaneOfPrecedence(int precedence) {
  if (precedence < v1::PRECEDENCE_ROUTINE || precedence > v1::PRECEDENCE_FLASH) return kRoutineLane;
  return v1::PRECEDENCE_FLASH - precedence + 1;  // FLASH 1 .. ROUTINE 4
}

// The header's precedence, read without parsing the whole envelope (its
// ciphertext may be 1 MiB): field 1 (header) comes first in a serialized
// Envelope. Anything unexpected reads as ROUTINE; the receiver checks it
// all properly.
int EnvelopePrecedence(const std::string& envelope) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(envelope.data()),
                                            static_cast<int>(envelope.size()));
  for (int fields = 0; fields < 8; ++fields) {
    uint32_t tag = in.ReadTag();
    if (tag == 0) break;
    if (tag == (1u << 3 | 2u)) {  // header, length-delimited
      uint32_t length = 0;
      std::string header;
      if (!in.ReadVarint32(&length) || length > 4096 ||
          !in.ReadString(&header, static_cast<int>(length)))
        break;
      v1::EnvelopeHeader h;
      return h.ParseFromString(header) ? h.precedence() : v1::PRECEDENCE_ROUTINE;
    }
    if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) break;
  }
  return v1::PRECEDENCE_ROUTINE;
}

}  // namespace

int InboundLaneOf(const v1::LinkFrame& f) {
  switch (f.kind_case()) {
    case v1::LinkFrame::kAccepted:
    case v1::LinkFrame::kTaken:
    case v1::LinkFrame::kReceiptAccepted:
    case v1::LinkFrame::kError:
      return 0;
    case v1::LinkFrame::kSubmit:
      return LaneOfPrecedence(EnvelopePrecedence(f.submit().envelope()));
    case v1::LinkFrame::kDeliver:
      return LaneOfPrecedence(EnvelopePrecedence(f.deliver().envelope()));
    case v1::LinkFrame::kSubmitReceipt:
      // UNSPECIFIED means FLASH (PROTOCOL.md §5).
      return f.submit_receipt().precedence() == v1::PRECEDENCE_UNSPECIFIED
                 ? LaneOfPrecedence(v1::PRECEDENCE_FLASH)
                 : LaneOfPrecedence(f.submit_receipt().precedence());
    case v1::LinkFrame::kDeliverReceipt:
      return LaneOfPrecedence(f.deliver_receipt().precedence());
    case v1::LinkFrame::kTrack:  // after FLASH, ahead of PRIORITY and ROUTINE (PROTOCOL.md §11)
      return LaneOfPrecedence(v1::PRECEDENCE_IMMEDIATE);
    default:
      return kRoutineLane;
  }
}

void InboundLanes::Push(v1::LinkFrame frame) {
  size_t size = frame.ByteSizeLong();
  int lane = fifo_ || !started_ ? kRoutineLane : InboundLaneOf(frame);
  lanes_[static_cast<size_t>(lane)].push_back({std::move(frame), size});
  bytes_ += size;
  ++count_;
}

bool InboundLanes::Pop(v1::LinkFrame& out) {
  for (auto& lane : lanes_) {
    if (lane.empty()) continue;
    out = std::move(lane.front().frame);
    bytes_ -= lane.front().bytes;
    --count_;
    lane.pop_front();
    if (!started_ && !fifo_) {
      // The greeting is taken: what came with it goes to its lanes, in order.
      std::deque<Held> waiting;
      waiting.swap(lanes_[kRoutineLane]);
      for (Held& h : waiting) {
        lanes_[static_cast<size_t>(InboundLaneOf(h.frame))].push_back(std::move(h));
      }
    }
    started_ = true;
    return true;
  }
  return false;
}

}  // namespace hotline
