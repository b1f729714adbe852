// Fuzz target: a node's side of the Noise XX handshake fed an arbitrary
// message 2 (the relay's certificate check included).
#include "fuzz_common.h"
#include "hotline/secure_channel.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& w = hotline::fuzz::World::Get();
  hotline::SecureChannelConfig c;
  c.initiator = true;
  c.noise_static = w.us->keys.noise;
  c.certificate = w.us->certificate;
  c.trust = &*w.trust;
  c.now_unix = [] { return int64_t{1'800'000'100}; };
  c.expected_peer_role = hotline::v1::ROLE_RELAY;
  hotline::SecureChannel ch(c);
  hotline::Bytes first, out;
  if (!ch.Start(first).ok()) return 0;
  (void)ch.OnHandshakeMessage(hotline::ByteView(data, size), out);
  return 0;
}
