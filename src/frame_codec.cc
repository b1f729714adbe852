#include "hotline/frame_codec.h"

#include "hotline/limits.h"

namespace hotline {

Status AppendWireFrame(Bytes& out, ByteView message) {
  if (message.empty() || message.size() > limits::kNoiseMaxMessage) {
    return InvalidArgumentError("wire frame must hold 1 to 65535 bytes, not " +
                                std::to_string(message.size()));
  }
  AppendU16BE(out, static_cast<uint16_t>(message.size()));
  Append(out, message);
  return Status::Ok();
}

Status FrameDecoder::Feed(ByteView data) {
  if (dead_) return FailedPreconditionError("frame decoder is dead after a malformed frame");
  Append(buffer_, data);
  size_t offset = 0;
  while (buffer_.size() - offset >= limits::kWireLengthPrefix) {
    size_t len = static_cast<size_t>(buffer_[offset]) << 8 | buffer_[offset + 1];
    if (len == 0) {
      dead_ = true;
      buffer_.clear();
      return InvalidArgumentError("zero-length wire frame");
    }
    if (buffer_.size() - offset - limits::kWireLengthPrefix < len) break;
    auto begin = buffer_.begin() + static_cast<std::ptrdiff_t>(offset + limits::kWireLengthPrefix);
    ready_.emplace_back(begin, begin + static_cast<std::ptrdiff_t>(len));
    offset += limits::kWireLengthPrefix + len;
  }
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(offset));
  return Status::Ok();
}

bool FrameDecoder::Next(Bytes& out) {
  if (ready_.empty()) return false;
  out = std::move(ready_.front());
  ready_.pop_front();
  return true;
}

}  // namespace hotline
