// Fuzz target: the control-socket decoder and request parser (a local but
// untrusted client).
#include "hotline/control_codec.h"
#include "hotline/v1/control.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hotline::ControlDecoder d;
  if (!d.Feed(hotline::ByteView(data, size)).ok()) return 0;
  for (int i = 0; i < 64; ++i) {
    hotline::v1::ControlRequest r;
    auto next = d.Next(r);
    if (!next.ok() || !*next) break;
  }
  return 0;
}
