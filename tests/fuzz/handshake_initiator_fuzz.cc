// Fuzz target: a node's side of the Noise XX handshake fed an arbitrary
// message 2 (the relay's certificate check included).
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& w = hotline::fuzz::World::Get();
  hotline::SecureChannel ch(w.Channel(*w.us, /*initiator=*/true, hotline::v1::ROLE_RELAY));
  hotline::Bytes first, out;
  if (!ch.Start(first).ok()) return 0;
  (void)ch.OnHandshakeMessage(hotline::ByteView(data, size), out);
  return 0;
}
