// Framing of the local control API (CLI <-> node over a Unix socket):
// u32 big-endian length || serialized ControlRequest or ControlResponse,
// at most limits::kMaxControlMessage bytes. Sans-I/O.
//
// Thread safety: none. Error contract: an oversized length is an error
// before any allocation; the decoder is then dead.
#ifndef HOTLINE_CONTROL_CODEC_H_
#define HOTLINE_CONTROL_CODEC_H_

#include <google/protobuf/message_lite.h>

#include "hotline/bytes.h"
#include "hotline/status.h"
#include "hotline/v1/control.pb.h"

namespace hotline {

Bytes EncodeControlMessage(const google::protobuf::MessageLite& message);

// A Status as a ControlResponse error (ok = false, error, code), and back.
v1::ControlResponse ErrorResponse(const Status& status);
Status StatusOf(const v1::ControlResponse& response);

class ControlDecoder {
 public:
  Status Feed(ByteView data);
  // Parses the next whole message into `out`; false if none is ready.
  StatusOr<bool> Next(google::protobuf::MessageLite& out);
  bool dead() const { return dead_; }

 private:
  Bytes buffer_;
  bool dead_ = false;
};

}  // namespace hotline

#endif  // HOTLINE_CONTROL_CODEC_H_
