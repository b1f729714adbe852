// Costs of the two cryptographic layers: sealing and opening a 256-byte
// message for two recipients, and Noise transport throughput.
// Run: build/bench/hotline_crypto_bench (see docs/BENCHMARKS.md).
#include <benchmark/benchmark.h>

#include "hotline/envelope.h"
#include "hotline/epoch_key.h"
#include "hotline/noise_handshake.h"

namespace hotline {
namespace {

constexpr int64_t kNow = 1'800'000'000'000;

struct Party {
  Ed25519KeyPair signing = GenerateEd25519();
  X25519KeyPair e2e = GenerateX25519();
  X25519KeyPair epoch = GenerateX25519();
  std::string signed_epoch;  // epoch 1, valid for an hour from kNow
};

struct World {
  std::map<v1::Nation, Party> parties;
  World() {
    (void)InitCrypto();
    for (auto n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) {
      Party& p = parties[n];
      v1::EpochKeyDetails d;
      d.set_version(1);
      d.set_nation(n);
      d.set_epoch(1);
      d.set_public_key(ToString(p.epoch.public_key));
      d.set_not_before_ms(kNow);
      d.set_not_after_ms(kNow + 3600'000);
      d.set_keep_until_ms(kNow + 76 * 3600'000LL);
      p.signed_epoch = SignEpochKey(d, p.signing);
    }
  }
  // `self`'s keys; with `epochs`, every party's epoch key as well (the
  // forward-secret form), else only the long-term keys (the form before).
  std::unique_ptr<EnvelopeKeys> Keys(v1::Nation self, bool epochs = false) {
    std::map<v1::Nation, PeerKeys> peers;
    for (auto& [n, p] : parties)
      if (n != self) peers[n] = {p.signing.public_key, p.e2e.public_key};
    auto keys =
        std::make_unique<EnvelopeKeys>(self, parties[self].signing, parties[self].e2e, peers);
    if (!epochs) return keys;
    std::vector<EnvelopeKeys::OwnEpoch> own(1);
    own[0].epoch = 1;
    own[0].keys = X25519FromSecret(parties[self].epoch.secret.view());
    own[0].signed_key = parties[self].signed_epoch;
    own[0].not_before_ms = kNow;
    own[0].not_after_ms = kNow + 3600'000;
    keys->SetOwnEpochs(std::move(own), 1);
    for (auto& [n, p] : parties) {
      if (n != self) keys->SetPeerEpoch(n, {1, p.epoch.public_key, kNow + 40 * 3600'000LL});
    }
    return keys;
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
  h.set_created_at_ms(kNow + 1000);
  return h;
}

v1::Body Body256() {
  v1::Body b;
  b.set_version(1);
  b.mutable_text()->set_text(std::string(250, 'x'));  // 256 bytes serialized
  return b;
}

// Arg 0: the long-term form (before epoch keys); arg 1: wrapped for epoch
// keys (forward secrecy), with the sender's signed epoch key on board.
void BM_SealTwoRecipients256(benchmark::State& state) {
  World w;
  bool epochs = state.range(0) != 0;
  auto kr = w.Keys(v1::NATION_KR, epochs);
  auto header = Header();
  auto body = Body256();
  std::vector<v1::Nation> without;
  for (auto _ : state) benchmark::DoNotOptimize(kr->Seal(header, body, nullptr, &without));
  if (without.empty() != epochs) state.SkipWithError("not sealed in the intended form");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SealTwoRecipients256)->ArgName("epochs")->Arg(0)->Arg(1);

void BM_OpenTwoRecipients256(benchmark::State& state) {
  World w;
  bool epochs = state.range(0) != 0;
  auto sealed = w.Keys(v1::NATION_KR, epochs)->Seal(Header(), Body256());
  auto us = w.Keys(v1::NATION_US, epochs);
  auto probe = us->Open(*sealed);
  if (!probe.ok() || probe->forward_secret != epochs) {
    state.SkipWithError("did not open in the intended form");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(us->Open(*sealed));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OpenTwoRecipients256)->ArgName("epochs")->Arg(0)->Arg(1);

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
