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

// The header, read without parsing the whole envelope (its ciphertext may
// be 1 MiB): field 1 (header) comes first in a serialized Envelope.
// Anything unexpected reads as an empty header (ROUTINE, no track); the
// receiver checks it all properly.
v1::EnvelopeHeader HeaderOf(const std::string& envelope) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(envelope.data()),
                                            static_cast<int>(envelope.size()));
  v1::EnvelopeHeader h;
  for (int fields = 0; fields < 8; ++fields) {
    uint32_t tag = in.ReadTag();
    if (tag == 0) break;
    if (tag == (1u << 3 | 2u)) {  // header, length-delimited
      uint32_t length = 0;
      std::string header;
      if (!in.ReadVarint32(&length) || length > 4096 ||
          !in.ReadString(&header, static_cast<int>(length)) || !h.ParseFromString(header)) {
        h.Clear();
      }
      return h;
    }
    if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) break;
  }
  return h;
}

int EnvelopePrecedence(const std::string& envelope) {
  int precedence = HeaderOf(envelope).precedence();
  return precedence == v1::PRECEDENCE_UNSPECIFIED ? v1::PRECEDENCE_ROUTINE : precedence;
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
  if (frame.has_track() && lane != kRoutineLane) {
    // Latest value (PROTOCOL.md §11): a newer update of a track replaces
    // the one of that (sender, track) still waiting here, in its place, so
    // a slow reader stays one update behind instead of a backlog.
    v1::EnvelopeHeader h = HeaderOf(frame.track().envelope());
    std::string key = std::to_string(h.sender()) + ":" + h.track().track_key();
    uint64_t seq = h.track().update_seq();
    if (!h.track().track_key().empty()) {
      auto waiting = latest_.find(key);
      if (waiting != latest_.end() && seq > waiting->second->seq) {
        Held& held = *waiting->second;
        bytes_ = bytes_ - held.bytes + size;
        held.frame = std::move(frame);
        held.bytes = size;
        held.seq = seq;
        ++conflated_;
        return;
      }
      if (waiting != latest_.end()) {
        // Not newer: a copy or a replay. Handed on as it is, for the
        // receiver to judge (and audit), never in place of the newer one.
        lanes_[static_cast<size_t>(lane)].push_back({std::move(frame), size, {}, 0});
        bytes_ += size;
        ++count_;
        return;
      }
      auto& target = lanes_[static_cast<size_t>(lane)];
      target.push_back({std::move(frame), size, key, seq});
      latest_[key] = &target.back();  // a deque keeps references across push_back / pop_front
      bytes_ += size;
      ++count_;
      return;
    }
  }
  lanes_[static_cast<size_t>(lane)].push_back({std::move(frame), size, {}, 0});
  bytes_ += size;
  ++count_;
}

bool InboundLanes::Pop(v1::LinkFrame& out) {
  for (auto& lane : lanes_) {
    if (lane.empty()) continue;
    out = std::move(lane.front().frame);
    bytes_ -= lane.front().bytes;
    if (!lane.front().latest_key.empty()) latest_.erase(lane.front().latest_key);
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
