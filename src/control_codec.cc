#include "hotline/control_codec.h"

#include "hotline/limits.h"

namespace hotline {

Bytes EncodeControlMessage(const google::protobuf::MessageLite& message) {
  Bytes out;
  size_t n = message.ByteSizeLong();
  out.reserve(4 + n);
  AppendU32BE(out, static_cast<uint32_t>(n));
  out.resize(4 + n);
  message.SerializeToArray(out.data() + 4, static_cast<int>(n));
  return out;
}

v1::ControlResponse ErrorResponse(const Status& status) {
  v1::ControlResponse r;
  r.set_ok(false);
  r.set_error(status.message());
  // ErrorCode numbers are StatusCode's (control.proto).
  r.set_code(static_cast<v1::ErrorCode>(static_cast<int>(status.code())));
  return r;
}

Status StatusOf(const v1::ControlResponse& response) {
  if (response.ok()) return Status::Ok();
  int code = response.code();
  bool known = code > 0 && code <= static_cast<int>(StatusCode::kInternal);
  return Status(known ? static_cast<StatusCode>(code) : StatusCode::kFailedPrecondition,
                response.error());
}

Status ControlDecoder::Feed(ByteView data) {
  if (dead_) return FailedPreconditionError("control decoder is dead");
  Append(buffer_, data);
  if (buffer_.size() >= 4) {
    size_t len = static_cast<size_t>(buffer_[0]) << 24 | static_cast<size_t>(buffer_[1]) << 16 |
                 static_cast<size_t>(buffer_[2]) << 8 | buffer_[3];
    if (len > limits::kMaxControlMessage) {
      dead_ = true;
      buffer_.clear();
      return InvalidArgumentError("control message of " + std::to_string(len) +
                                  " bytes exceeds the limit");
    }
  }
  return Status::Ok();
}

StatusOr<bool> ControlDecoder::Next(google::protobuf::MessageLite& out) {
  if (dead_ || buffer_.size() < 4) return false;
  size_t len = static_cast<size_t>(buffer_[0]) << 24 | static_cast<size_t>(buffer_[1]) << 16 |
               static_cast<size_t>(buffer_[2]) << 8 | buffer_[3];
  if (buffer_.size() < 4 + len) return false;
  bool ok = out.ParseFromArray(buffer_.data() + 4, static_cast<int>(len));
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(4 + len));
  if (!ok) {
    dead_ = true;
    return InvalidArgumentError("control message is not valid protobuf");
  }
  // The length check in Feed only saw the first header; check the next one too.
  if (buffer_.size() >= 4) HOTLINE_RETURN_IF_ERROR(Feed({}));
  return true;
}

}  // namespace hotline
