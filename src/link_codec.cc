#include "hotline/link_codec.h"

#include "hotline/limits.h"

namespace hotline {

std::vector<Bytes> EncodeLinkFrame(const v1::LinkFrame& frame, uint64_t stream_id) {
  Bytes whole(frame.ByteSizeLong());
  frame.SerializeToArray(whole.data(), static_cast<int>(whole.size()));
  std::vector<Bytes> pieces;
  if (whole.size() <= limits::kFragmentBytes) {
    pieces.push_back(std::move(whole));
    return pieces;
  }
  for (size_t off = 0; off < whole.size(); off += limits::kFragmentBytes) {
    size_t n = std::min(limits::kFragmentBytes, whole.size() - off);
    v1::LinkFrame piece;
    auto* f = piece.mutable_fragment();
    f->set_stream_id(stream_id);
    f->set_final(off + n == whole.size());
    f->set_data(whole.data() + off, n);
    Bytes encoded(piece.ByteSizeLong());
    piece.SerializeToArray(encoded.data(), static_cast<int>(encoded.size()));
    pieces.push_back(std::move(encoded));
  }
  return pieces;
}

StatusOr<bool> Reassembler::Accept(ByteView piece, v1::LinkFrame& out) {
  if (piece.size() > limits::kMaxFramePlaintext) return InvalidArgumentError("link frame too large");
  if (!out.ParseFromArray(piece.data(), static_cast<int>(piece.size()))) {
    return InvalidArgumentError("not a valid hotline.v1.LinkFrame");
  }
  if (!out.has_fragment()) return true;
  const auto& f = out.fragment();
  if (streams_.count(f.stream_id()) == 0 && streams_.size() >= kMaxStreams) {
    return ResourceExhaustedError("too many fragmented link frames in flight");
  }
  Bytes& buffer = streams_[f.stream_id()];
  if (buffered_ + f.data().size() > limits::kMaxReassembledFrame ||
      buffer.size() + f.data().size() > limits::kMaxReassembledFrame) {
    return ResourceExhaustedError("fragmented link frame exceeds " +
                                  std::to_string(limits::kMaxReassembledFrame) + " bytes");
  }
  Append(buffer, AsBytes(f.data()));
  buffered_ += f.data().size();
  if (!f.final()) return false;
  Bytes whole = std::move(buffer);
  streams_.erase(f.stream_id());
  buffered_ -= whole.size();
  if (!out.ParseFromArray(whole.data(), static_cast<int>(whole.size())) || out.has_fragment()) {
    return InvalidArgumentError("reassembled link frame is malformed");
  }
  return true;
}

Status FrameQueue::Push(std::vector<Bytes> pieces, int precedence, bool force) {
  size_t total = 0;
  for (const auto& p : pieces) total += p.size();
  if (!force && bytes_ + total > max_bytes_) {
    return ResourceExhaustedError("connection write queue full");
  }
  if (bytes_ + total > max_bytes_ + forced_headroom_) {
    return ResourceExhaustedError("peer is not reading: " + std::to_string(bytes_) +
                                  " bytes queued");
  }
  for (auto& p : pieces) {
    bytes_ += p.size();
    heap_.push({fifo_ ? 0 : precedence, next_seq_++, std::move(p), {}});
  }
  return Status::Ok();
}

Status FrameQueue::PushLatest(const std::string& key, Bytes piece, int precedence) {
  auto held = latest_.find(key);
  if (held == latest_.end()) {
    if (bytes_ + piece.size() > max_bytes_)
      return ResourceExhaustedError("connection write queue full");
    bytes_ += piece.size();
    latest_.emplace(key, std::move(piece));
    heap_.push({fifo_ ? 0 : precedence, next_seq_++, {}, key});
    return Status::Ok();
  }
  // Replaces in place: the queue does not grow, whatever the update rate.
  bytes_ = bytes_ - held->second.size() + piece.size();
  held->second = std::move(piece);
  return Status::Ok();
}

bool FrameQueue::Pop(Bytes& out) {
  if (heap_.empty()) return false;
  // priority_queue::top is const; the move is safe because we pop at once.
  Item& top = const_cast<Item&>(heap_.top());
  if (top.key.empty()) {
    out = std::move(top.data);
  } else {
    auto held = latest_.find(top.key);
    out = std::move(held->second);
    latest_.erase(held);
  }
  heap_.pop();
  bytes_ -= out.size();
  return true;
}

}  // namespace hotline
