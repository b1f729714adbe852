// Fuzz target: a relay's side of the Noise XX handshake fed arbitrary
// messages 1 and 3 (the peer's certificate check included).
#include "fuzz_common.h"
#include "hotline/secure_channel.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& w = hotline::fuzz::World::Get();
  hotline::SecureChannelConfig c;
  c.initiator = false;
  c.noise_static = w.relay->keys.noise;
  c.certificate = w.relay->certificate;
  c.trust = &*w.trust;
  c.now_unix = [] { return int64_t{1'800'000'100}; };
  c.expected_peer_role = hotline::v1::ROLE_NODE;
  hotline::SecureChannel ch(c);
  size_t split = size > 0 ? data[0] % (size + 1) : 0;
  hotline::Bytes out;
  if (!ch.OnHandshakeMessage(hotline::ByteView(data, split), out).ok()) return 0;
  out.clear();
  (void)ch.OnHandshakeMessage(hotline::ByteView(data + split, size - split), out);
  return 0;
}
