// Wire framing (Noise §13): every Noise message on TCP is preceded by its
// length as a 2-byte big-endian integer. A sans-I/O decoder: feed it bytes
// as they arrive, take out whole messages.
//
// Thread safety: none; one owner per connection. Error contract: a zero
// length is a protocol error; the decoder is then dead (sticky). The u16
// prefix bounds every allocation at 65535 bytes.
#ifndef HOTLINE_FRAME_CODEC_H_
#define HOTLINE_FRAME_CODEC_H_

#include <deque>

#include "hotline/bytes.h"

namespace hotline {

// Appends u16 BE length || message to `out`. `message` must be 1..65535 bytes.
Status AppendWireFrame(Bytes& out, ByteView message);

class FrameDecoder {
 public:
  // Buffers `data`; returns an error if it completes a malformed frame.
  Status Feed(ByteView data);
  // Moves the next whole message into `out`; false if none is ready.
  bool Next(Bytes& out);
  // Bytes of an incomplete frame held (for "truncated frame" diagnostics).
  size_t pending_bytes() const { return buffer_.size(); }
  bool dead() const { return dead_; }

 private:
  Bytes buffer_;
  std::deque<Bytes> ready_;
  bool dead_ = false;
};

}  // namespace hotline

#endif  // HOTLINE_FRAME_CODEC_H_
