// Costs of the two cryptographic layers: sealing and opening a 256-byte
// message for two recipients, and Noise transport throughput.
// Run: build/bench/hotline_crypto_bench (see docs/BENCHMARKS.md).
#include <benchmark/benchmark.h>

#include "hotline/envelope.h"
#include "hotline/noise_handshake.h"

namespace hotline {
namespace {

struct Party {
  Ed25519KeyPair signing = GenerateEd25519();
  X25519KeyPair e2e = GenerateX25519();
};

struct World {
  std::map<v1::Nation, Party> parties;
  World() {
    (void)InitCrypto();
    for (auto n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) parties[n] = Party();
  }
  std::unique_ptr<EnvelopeKeys> Keys(v1::Nation self) {
    std::map<v1::Nation, PeerKeys> peers;
    for (auto& [n, p] : parties)
      if (n != self) peers[n] = {p.signing.public_key, p.e2e.public_key};
    return std::make_unique<EnvelopeKeys>(self, parties[self].signing, parties[self].e2e, peers);
  }
};

v1::EnvelopeHeader Header() {
  v1::EnvelopeHeader h;
  h.set_version(kEnvelopeVersion);
  h.set_message_id(ToString(RandomBytes(kMessageIdLen)));
  h.set_sender(v1::NATION_KR);
  h.add_recipients(v1::NATION_US);
  h.add_recipients(v1::NATION_JP);
  h.set_channel(v1::CHANNEL_MISSILE_WARNING);
  h.set_precedence(v1::PRECEDENCE_FLASH);
  h.set_sequence(1);
  return h;
}

v1::Body Body256() {
  v1::Body b;
  b.set_version(1);
  b.mutable_text()->set_text(std::string(250, 'x'));  // 256 bytes serialized
  return b;
}

void BM_SealTwoRecipients256(benchmark::State& state) {
  World w;
  auto kr = w.Keys(v1::NATION_KR);
  auto header = Header();
  auto body = Body256();
  for (auto _ : state) benchmark::DoNotOptimize(kr->Seal(header, body));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SealTwoRecipients256);

void BM_OpenTwoRecipients256(benchmark::State& state) {
  World w;
  auto sealed = w.Keys(v1::NATION_KR)->Seal(Header(), Body256());
  auto us = w.Keys(v1::NATION_US);
  for (auto _ : state) benchmark::DoNotOptimize(us->Open(*sealed));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OpenTwoRecipients256);

noise::TransportCiphers Established(noise::TransportCiphers* responder) {
  noise::HandshakeConfig a, b;
  a.initiator = true;
  b.initiator = false;
  a.local_static = GenerateX25519();
  b.local_static = GenerateX25519();
  auto i = noise::HandshakeState::Create(a);
  auto r = noise::HandshakeState::Create(b);
  for (int step = 0; step < 3; ++step) {
    Bytes msg, payload;
    auto& w = step % 2 == 0 ? *i : *r;
    auto& rd = step % 2 == 0 ? *r : *i;
    (void)w.WriteMessage({}, msg);
    (void)rd.ReadMessage(msg, payload);
  }
  *responder = *r->Split();
  return *i->Split();
}

// Encrypt on one side and decrypt on the other: the transport's full cost.
void BM_NoiseTransport(benchmark::State& state) {
  (void)InitCrypto();
  noise::TransportCiphers resp;
  noise::TransportCiphers init = Established(&resp);
  Bytes plaintext(static_cast<size_t>(state.range(0)), 0x5a), wire, out;
  for (auto _ : state) {
    wire.clear();
    out.clear();
    (void)init.send.EncryptWithAd({}, plaintext, wire);
    (void)resp.receive.DecryptWithAd({}, wire, out);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NoiseTransport)->Arg(256)->Arg(16 * 1024)->Arg(65535 - 16);

void BM_NoiseHandshakeXX(benchmark::State& state) {
  (void)InitCrypto();
  for (auto _ : state) {
    noise::TransportCiphers resp;
    benchmark::DoNotOptimize(Established(&resp));
  }
}
BENCHMARK(BM_NoiseHandshakeXX);

}  // namespace
}  // namespace hotline

BENCHMARK_MAIN();
