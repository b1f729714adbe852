// Shared set-up for the libFuzzer targets: one trust folder with every
// identity, created once per process.
#ifndef HOTLINE_TESTS_FUZZ_FUZZ_COMMON_H_
#define HOTLINE_TESTS_FUZZ_FUZZ_COMMON_H_

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "hotline/certs.h"
#include "hotline/crypto.h"
#include "hotline/envelope.h"
#include "hotline/secure_channel.h"
#include "hotline/trust_dir.h"

namespace hotline::fuzz {

struct World {
  std::filesystem::path dir;
  std::optional<TrustStore> trust;
  std::optional<Identity> us, jp, relay;

  World() {
    (void)InitCrypto();
    char tmpl[] = "/tmp/hotline-fuzz-XXXXXX";
    dir = mkdtemp(tmpl);
    if (!InitTrustDirectory(dir, {1, 1'800'000'000, 3650}).ok()) std::abort();
    trust.emplace(*LoadTrustStore(dir));
    us.emplace(*LoadIdentity(dir, "node-us"));
    jp.emplace(*LoadIdentity(dir, "node-jp"));
    relay.emplace(*LoadIdentity(dir, "relay-1"));
  }
  static World& Get() {
    static World w;
    return w;
  }
  // A handshake config for `self` at a fixed time inside every certificate's validity.
  SecureChannelConfig Channel(const Identity& self, bool initiator, v1::Role peer_role) const {
    SecureChannelConfig c = ChannelConfigFor(self, *trust, initiator, peer_role);
    c.now_unix = [] { return int64_t{1'800'000'100}; };
    return c;
  }
  std::unique_ptr<EnvelopeKeys> KeysFor(const Identity& self, const Identity& peer) {
    return std::make_unique<EnvelopeKeys>(
        self.details.nation(), self.keys.signing, *self.keys.e2e,
        std::map<v1::Nation, PeerKeys>{{peer.details.nation(), *PeerKeysOf(peer.details)}});
  }
};

}  // namespace hotline::fuzz

#endif  // HOTLINE_TESTS_FUZZ_FUZZ_COMMON_H_
