// Fuzz target: a relay's side of the Noise XX handshake fed arbitrary
// messages 1 and 3 (the peer's certificate check included). Input: a u16
// little-endian length of message 1, message 1, then message 3.
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& w = hotline::fuzz::World::Get();
  hotline::SecureChannel ch(w.Channel(*w.relay, /*initiator=*/false, hotline::v1::ROLE_NODE));
  if (size < 2) return 0;
  size_t split = (size_t{data[0]} | size_t{data[1]} << 8) % (size - 1);
  data += 2;
  size -= 2;
  hotline::Bytes out;
  if (!ch.OnHandshakeMessage(hotline::ByteView(data, split), out).ok()) return 0;
  out.clear();
  (void)ch.OnHandshakeMessage(hotline::ByteView(data + split, size - split), out);
  return 0;
}
