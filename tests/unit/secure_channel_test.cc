#include "hotline/secure_channel.h"

#include <gtest/gtest.h>

#include "hotline/file_util.h"
#include "hotline/trust_dir.h"
#include "test_util.h"

namespace hotline {
namespace {

class SecureChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitTrustDirectory(dir_.path(), {.relays = 1, .now_unix = kNow}).ok());
    trust_.emplace(*LoadTrustStore(dir_.path()));
  }

  SecureChannelConfig Config(const std::filesystem::path& dir, const std::string& subject,
                             bool initiator) {
    auto id = LoadIdentity(dir, subject);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    SecureChannelConfig c;
    c.initiator = initiator;
    c.noise_static = id->keys.noise;
    c.certificate = id->certificate;
    c.trust = &*trust_;
    c.now_unix = [this] { return now_; };
    c.expected_peer_role = initiator ? v1::ROLE_RELAY : v1::ROLE_NODE;
    return c;
  }

  // Runs the handshake to completion or first failure; returns true if both established.
  static bool Handshake(SecureChannel& node, SecureChannel& relay) {
    Bytes m1, m2, m3, none;
    if (!node.Start(m1).ok()) return false;
    if (!relay.OnHandshakeMessage(m1, m2).ok()) return false;
    if (!node.OnHandshakeMessage(m2, m3).ok()) return false;
    if (!relay.OnHandshakeMessage(m3, none).ok()) return false;
    return node.established() && relay.established();
  }

  testing::TempDir dir_;
  std::optional<TrustStore> trust_;
  int64_t now_ = kNow;
};

TEST_F(SecureChannelTest, NodeAndRelayAuthenticateEachOtherAndExchangeFrames) {
  SecureChannel node(Config(dir_.path(), "node-kr", true));
  SecureChannel relay(Config(dir_.path(), "relay-1", false));
  ASSERT_TRUE(Handshake(node, relay)) << node.failure_reason() << relay.failure_reason();
  EXPECT_EQ(relay.peer().nation(), v1::NATION_KR);
  EXPECT_EQ(node.peer().subject(), "relay-1");
  Bytes wire, plain;
  ASSERT_TRUE(node.Encrypt(AsBytes("frame"), wire).ok());
  ASSERT_TRUE(relay.Decrypt(wire, plain).ok());
  EXPECT_EQ(ToString(plain), "frame");
}

TEST_F(SecureChannelTest, RelayRejectsNodeFromAnotherRoot) {
  testing::TempDir other;
  ASSERT_TRUE(InitTrustDirectory(other.path(), {.relays = 1, .now_unix = kNow}).ok());
  SecureChannel node(Config(other.path(), "node-us", true));
  SecureChannel relay(Config(dir_.path(), "relay-1", false));
  // The foreign node also distrusts our relay; give it our trust store so
  // that the relay is the one to decide.
  EXPECT_FALSE(Handshake(node, relay));
  EXPECT_TRUE(relay.dead());
  EXPECT_NE(relay.failure_reason().find("unknown root"), std::string::npos) << relay.failure_reason();
}

TEST_F(SecureChannelTest, NodeRejectsRelayPresentingANodeCertificate) {
  SecureChannel node(Config(dir_.path(), "node-us", true));
  SecureChannel fake_relay(Config(dir_.path(), "node-jp", false));
  EXPECT_FALSE(Handshake(node, fake_relay));
  EXPECT_NE(node.failure_reason().find("wrong role"), std::string::npos) << node.failure_reason();
}

TEST_F(SecureChannelTest, RejectsExpiredPeerCertificate) {
  IssueOptions o{"node-old", v1::ROLE_NODE, v1::NATION_US, kNow - 5000, kNow - 1000};
  ASSERT_TRUE(IssueCertificate(dir_.path(), o).ok());
  SecureChannel node(Config(dir_.path(), "node-old", true));
  SecureChannel relay(Config(dir_.path(), "relay-1", false));
  EXPECT_FALSE(Handshake(node, relay));
  EXPECT_NE(relay.failure_reason().find("expired"), std::string::npos) << relay.failure_reason();
}

TEST_F(SecureChannelTest, RejectsCertificateWhoseNoiseKeyIsNotThePeers) {
  // A node presents JP's certificate with its own (US) Noise key.
  SecureChannelConfig c = Config(dir_.path(), "node-us", true);
  c.certificate = *ReadFileBytes(dir_.path() / "node-jp.cert", 4096);
  SecureChannel node(std::move(c));
  SecureChannel relay(Config(dir_.path(), "relay-1", false));
  EXPECT_FALSE(Handshake(node, relay));
  EXPECT_NE(relay.failure_reason().find("does not match"), std::string::npos)
      << relay.failure_reason();
}

TEST_F(SecureChannelTest, GarbageHandshakeMessagesKillTheChannel) {
  SecureChannel relay(Config(dir_.path(), "relay-1", false));
  Bytes out;
  EXPECT_FALSE(relay.OnHandshakeMessage(Bytes(10, 0x41), out).ok());
  EXPECT_TRUE(relay.dead());
  EXPECT_FALSE(relay.OnHandshakeMessage(Bytes(32, 0x41), out).ok());  // sticky
  EXPECT_TRUE(out.empty());  // nothing sent back to an unauthenticated peer
}

// Issue 7 item 4: an unauthenticated peer never gets more bytes back than it sent.
TEST_F(SecureChannelTest, RelayNeverRepliesWithMoreBytesThanMessageOneCarried) {
  SecureChannel node(Config(dir_.path(), "node-us", true));
  Bytes m1, m2;
  ASSERT_TRUE(node.Start(m1).ok());
  EXPECT_EQ(m1.size(), limits::kHandshakeInitiationBytes);
  SecureChannel relay(Config(dir_.path(), "relay-1", false));
  ASSERT_TRUE(relay.OnHandshakeMessage(m1, m2).ok()) << relay.failure_reason();
  EXPECT_LE(m2.size(), m1.size());

  // An unpadded message 1 (a bare ephemeral key) gets nothing back.
  SecureChannel short_relay(Config(dir_.path(), "relay-1", false));
  Bytes bare(m1.begin(), m1.begin() + 32), reply;
  EXPECT_FALSE(short_relay.OnHandshakeMessage(bare, reply).ok());
  EXPECT_TRUE(reply.empty());
  EXPECT_NE(short_relay.failure_reason().find("refusing to amplify"), std::string::npos)
      << short_relay.failure_reason();

  // Padding that is not zeros is refused too (nothing unauthenticated is carried).
  SecureChannel odd_relay(Config(dir_.path(), "relay-1", false));
  Bytes odd = m1;
  odd.back() = 1;
  EXPECT_FALSE(odd_relay.OnHandshakeMessage(odd, reply).ok());
  EXPECT_TRUE(reply.empty());
  EXPECT_NE(odd_relay.failure_reason().find("not all zeros"), std::string::npos)
      << odd_relay.failure_reason();
}

TEST_F(SecureChannelTest, OversizedResponderCertificateIsRefusedUpFront) {
  auto relay = LoadIdentity(dir_.path(), "relay-1");
  ASSERT_TRUE(relay.ok());
  EXPECT_TRUE(CheckResponderCertificateFits(relay->certificate).ok());
  Status st = CheckResponderCertificateFits(Bytes(limits::kHandshakeInitiationBytes, 1));
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("no amplification"), std::string::npos) << st.message();
}

TEST_F(SecureChannelTest, LowOrderEphemeralKeyAbortsTheHandshake) {
  SecureChannel node(Config(dir_.path(), "node-us", true));
  SecureChannel relay(Config(dir_.path(), "relay-1", false));
  Bytes m1, m2, m3;
  ASSERT_TRUE(node.Start(m1).ok());
  ASSERT_TRUE(relay.OnHandshakeMessage(m1, m2).ok());
  // Replace the relay's ephemeral key with all zeros: ee yields a low-order result.
  std::fill(m2.begin(), m2.begin() + 32, 0);
  EXPECT_FALSE(node.OnHandshakeMessage(m2, m3).ok());
  EXPECT_NE(node.failure_reason().find("low-order"), std::string::npos) << node.failure_reason();
}

TEST_F(SecureChannelTest, ReplayedHandshakeMessageIsRejected) {
  SecureChannel node(Config(dir_.path(), "node-us", true));
  SecureChannel relay(Config(dir_.path(), "relay-1", false));
  ASSERT_TRUE(Handshake(node, relay));
  // A second relay sees a replay of the first node's message 3 for a different session.
  SecureChannel node2(Config(dir_.path(), "node-us", true));
  SecureChannel relay2(Config(dir_.path(), "relay-1", false));
  Bytes m1, m2, out;
  ASSERT_TRUE(node2.Start(m1).ok());
  ASSERT_TRUE(relay2.OnHandshakeMessage(m1, m2).ok());
  SecureChannel node3(Config(dir_.path(), "node-us", true));
  Bytes m1b, m2b, m3b;
  ASSERT_TRUE(node3.Start(m1b).ok());
  SecureChannel relay3(Config(dir_.path(), "relay-1", false));
  ASSERT_TRUE(relay3.OnHandshakeMessage(m1b, m2b).ok());
  ASSERT_TRUE(node3.OnHandshakeMessage(m2b, m3b).ok());
  EXPECT_FALSE(relay2.OnHandshakeMessage(m3b, out).ok());  // message 3 of another session
}

TEST_F(SecureChannelTest, ReplayedOrReorderedTransportFramesAreRejected) {
  SecureChannel node(Config(dir_.path(), "node-us", true));
  SecureChannel relay(Config(dir_.path(), "relay-1", false));
  ASSERT_TRUE(Handshake(node, relay));
  Bytes a, b, plain;
  ASSERT_TRUE(node.Encrypt(AsBytes("first"), a).ok());
  ASSERT_TRUE(node.Encrypt(AsBytes("second"), b).ok());
  EXPECT_FALSE(relay.Decrypt(b, plain).ok());  // reordered
  EXPECT_TRUE(relay.dead());
}

TEST_F(SecureChannelTest, DuplicatedTransportFrameIsRejected) {
  SecureChannel node(Config(dir_.path(), "node-us", true));
  SecureChannel relay(Config(dir_.path(), "relay-1", false));
  ASSERT_TRUE(Handshake(node, relay));
  Bytes a, plain;
  ASSERT_TRUE(node.Encrypt(AsBytes("once"), a).ok());
  ASSERT_TRUE(relay.Decrypt(a, plain).ok());
  EXPECT_FALSE(relay.Decrypt(a, plain).ok());
}

TEST_F(SecureChannelTest, NonceNearExhaustionAsksForRekeyAndNeverWraps) {
  SecureChannel node(Config(dir_.path(), "node-us", true));
  SecureChannel relay(Config(dir_.path(), "relay-1", false));
  ASSERT_TRUE(Handshake(node, relay));
  EXPECT_FALSE(node.NeedsRekey());
  node.SetSendNonceForTesting(limits::kRekeyAfterMessages);
  EXPECT_TRUE(node.NeedsRekey());
  node.SetSendNonceForTesting(UINT64_MAX - 1);
  Bytes out;
  EXPECT_TRUE(node.Encrypt(AsBytes("last"), out).ok());
  EXPECT_FALSE(node.Encrypt(AsBytes("wraps"), out).ok());
  EXPECT_TRUE(node.dead());
}

TEST(NoiseCipherTest, ReservedNonceIsNeverUsed) {
  noise::CipherState c;
  c.InitializeKey(Bytes(32, 7));
  c.SetNonce(UINT64_MAX);
  Bytes out;
  EXPECT_EQ(c.EncryptWithAd({}, AsBytes("x"), out).code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(out.empty());
}

TEST(NoiseLowOrderTest, AllZeroAndOtherLowOrderKeysFailDh) {
  X25519KeyPair kp = GenerateX25519();
  Secret<32> shared;
  // All zero, one, and the order-8 points (RFC 7748 §6.1 / libsodium blocklist).
  std::vector<std::string> low_order = {
      std::string(64, '0'),
      "0100000000000000000000000000000000000000000000000000000000000000",
      "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
      "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  };
  for (const auto& hex : low_order) {
    Bytes key = *FromHex(hex);
    EXPECT_FALSE(X25519Dh(kp.secret, key, shared).ok()) << hex;
  }
}

}  // namespace
}  // namespace hotline
