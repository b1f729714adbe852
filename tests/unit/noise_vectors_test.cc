// Replays every shared Noise known-answer vector byte for byte.
#include <gtest/gtest.h>

#include "hotline/noise_handshake.h"
#include "test_util.h"

namespace hotline::noise {
namespace {

using hotline::testing::Field;
using hotline::testing::HexField;
using hotline::testing::LoadJson;
using hotline::testing::StringField;
using hotline::testing::VectorsDir;

struct VectorResult {
  int replayed = 0;
};

HandshakeConfig SideConfig(const google::protobuf::Value& v, Pattern pattern, bool initiator) {
  const std::string side = initiator ? "init_" : "resp_";
  HandshakeConfig c;
  c.pattern = pattern;
  c.initiator = initiator;
  c.prologue = HexField(v, side + "prologue");
  if (Field(v, side + "static")) c.local_static = X25519FromSecret(HexField(v, side + "static"));
  c.local_ephemeral = X25519FromSecret(HexField(v, side + "ephemeral"));
  if (Field(v, side + "remote_static")) {
    Bytes rs = HexField(v, side + "remote_static");
    X25519Public key{};
    std::copy_n(rs.begin(), std::min(rs.size(), key.size()), key.begin());
    c.remote_static = key;
  }
  return c;
}

// Returns the number of vectors replayed from `file`.
int ReplayFile(const std::string& file, bool explicit_sender) {
  auto root = LoadJson(VectorsDir() / "noise" / file);
  int replayed = 0;
  for (const auto& v : Field(root, "vectors")->list_value().values()) {
    std::string name = StringField(v, "protocol_name");
    SCOPED_TRACE(file + " #" + std::to_string(replayed) + " " + name);
    auto pattern = PatternFromProtocolName(name);
    EXPECT_TRUE(pattern.ok()) << name;
    if (!pattern.ok()) continue;
    auto init = HandshakeState::Create(SideConfig(v, *pattern, true));
    auto resp = HandshakeState::Create(SideConfig(v, *pattern, false));
    EXPECT_TRUE(init.ok() && resp.ok());
    if (!init.ok() || !resp.ok()) continue;

    std::optional<TransportCiphers> init_t, resp_t;
    int index = 0;
    bool ok = true;
    for (const auto& m : Field(v, "messages")->list_value().values()) {
      SCOPED_TRACE("message " + std::to_string(index));
      Bytes payload = HexField(m, "payload");
      Bytes expected = HexField(m, "ciphertext");
      bool from_initiator = explicit_sender ? StringField(m, "sender") == "initiator"
                                            : index % 2 == 0;
      Bytes wire, read_back;
      if (!init->IsComplete()) {
        HandshakeState& writer = from_initiator ? *init : *resp;
        HandshakeState& reader = from_initiator ? *resp : *init;
        EXPECT_TRUE(writer.WriteMessage(payload, wire).ok());
        EXPECT_TRUE(reader.ReadMessage(wire, read_back).ok());
        if (init->IsComplete() && resp->IsComplete()) {
          init_t = *init->Split();
          resp_t = *resp->Split();
          EXPECT_EQ(ToHex(init->handshake_hash()), ToHex(resp->handshake_hash()));
          if (Field(v, "handshake_hash")) {
            EXPECT_EQ(ToHex(init->handshake_hash()), ToHex(HexField(v, "handshake_hash")));
          }
        }
      } else {
        CipherState& send = from_initiator ? init_t->send : resp_t->send;
        CipherState& recv = from_initiator ? resp_t->receive : init_t->receive;
        EXPECT_TRUE(send.EncryptWithAd({}, payload, wire).ok());
        EXPECT_TRUE(recv.DecryptWithAd({}, wire, read_back).ok());
      }
      if (ToHex(wire) != ToHex(expected) || read_back != payload) ok = false;
      EXPECT_EQ(ToHex(wire), ToHex(expected));
      EXPECT_EQ(ToHex(read_back), ToHex(payload));
      ++index;
    }
    EXPECT_TRUE(init->IsComplete() && resp->IsComplete());
    if (ok) ++replayed;
  }
  return replayed;
}

TEST(NoiseVectorsTest, CacophonyReplaysByteForByteWithHandshakeHash) {
  EXPECT_EQ(ReplayFile("cacophony_25519_ChaChaPoly_BLAKE2b.json", false), 4);
}

TEST(NoiseVectorsTest, SnowReplaysByteForByte) {
  EXPECT_EQ(ReplayFile("snow_25519_ChaChaPoly_BLAKE2b.json", false), 4);
}

TEST(NoiseVectorsTest, FlynnReplaysByteForByte) {
  EXPECT_EQ(ReplayFile("flynn_25519_ChaChaPoly_BLAKE2b.json", true), 16);
}

}  // namespace
}  // namespace hotline::noise
