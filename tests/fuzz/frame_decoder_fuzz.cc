// Fuzz target: the u16-length wire frame decoder (untrusted TCP bytes).
#include "hotline/frame_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hotline::FrameDecoder d;
  // Feed in two pieces to exercise partial frames.
  size_t half = size / 2;
  if (!d.Feed(hotline::ByteView(data, half)).ok()) return 0;
  (void)d.Feed(hotline::ByteView(data + half, size - half));
  hotline::Bytes out;
  while (d.Next(out)) {
  }
  return 0;
}
