// Fuzz target: opening an envelope from the network at a recipient, and the
// relay's routing parse of the same bytes.
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& w = hotline::fuzz::World::Get();
  static auto keys = w.KeysFor(*w.jp, *w.us);
  (void)hotline::ParseEnvelopeForRouting(hotline::ByteView(data, size));
  (void)keys->Open(hotline::ByteView(data, size));
  return 0;
}
