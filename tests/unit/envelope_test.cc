#include "hotline/envelope.h"

#include <gtest/gtest.h>

#include <functional>

namespace hotline {
namespace {

struct SealParty {
  Ed25519KeyPair signing = GenerateEd25519();
  X25519KeyPair e2e = GenerateX25519();
};

class EnvelopeTest : public ::testing::Test {
 protected:
  EnvelopeTest() {
    for (v1::Nation n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) parties_[n] = SealParty();
  }

  std::unique_ptr<EnvelopeKeys> KeysFor(v1::Nation self) {
    return KeysWith(self, parties_[self]);
  }
  // Keys for `self` built from `own` (which may be an impostor's).
  std::unique_ptr<EnvelopeKeys> KeysWith(v1::Nation self, const SealParty& own) {
    std::map<v1::Nation, PeerKeys> peers;
    for (auto& [n, p] : parties_) {
      if (n != self) peers[n] = PeerKeys{p.signing.public_key, p.e2e.public_key};
    }
    return std::make_unique<EnvelopeKeys>(self, own.signing, own.e2e, peers);
  }

  static v1::EnvelopeHeader Header(v1::Nation from, std::vector<v1::Nation> to) {
    v1::EnvelopeHeader h;
    h.set_version(kEnvelopeVersion);
    h.set_message_id(ToString(RandomBytes(kMessageIdLen)));
    h.set_sender(from);
    for (auto n : to) h.add_recipients(n);
    h.set_channel(v1::CHANNEL_CRISIS);
    h.set_precedence(v1::PRECEDENCE_FLASH);
    h.set_sequence(7);
    h.set_created_at_ms(1'800'000'000'000);
    return h;
  }

  static v1::Body TextBody(const std::string& text) {
    v1::Body b;
    b.set_version(1);
    b.mutable_text()->set_text(text);
    return b;
  }

  std::map<v1::Nation, SealParty> parties_;
};

TEST_F(EnvelopeTest, RoundTripToOneRecipient) {
  auto us = KeysFor(v1::NATION_US);
  auto jp = KeysFor(v1::NATION_JP);
  auto sealed = us->Seal(Header(v1::NATION_US, {v1::NATION_JP}), TextBody("hello Tokyo"));
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  auto opened = jp->Open(*sealed);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->body.text().text(), "hello Tokyo");
  EXPECT_EQ(opened->header.sender(), v1::NATION_US);
  v1::Envelope e;
  ASSERT_TRUE(e.ParseFromArray(sealed->data(), static_cast<int>(sealed->size())));
  EXPECT_EQ(opened->digest, EnvelopeDigest(e));
}

// Issue 11 item 1: bytes outside the signature (an unknown field, a
// non-minimal re-encoding) neither break opening nor change the digest that
// receipts bind; the digest follows the signed content only.
TEST_F(EnvelopeTest, DigestIgnoresBytesOutsideTheSignedContent) {
  auto us = KeysFor(v1::NATION_US);
  auto jp = KeysFor(v1::NATION_JP);
  Sha256Digest sealed_digest{};
  auto sealed = us->Seal(Header(v1::NATION_US, {v1::NATION_JP}), TextBody("hello"), &sealed_digest);
  ASSERT_TRUE(sealed.ok());
  Bytes padded = *sealed;
  padded.push_back(0x78);  // field 15, varint
  padded.push_back(0x01);
  Bytes reencoded = *sealed;
  // Field 5 (signature) moved to the front: a different, valid encoding.
  v1::Envelope e;
  ASSERT_TRUE(e.ParseFromArray(sealed->data(), static_cast<int>(sealed->size())));
  v1::Envelope only_signature;
  only_signature.set_signature(e.signature());
  v1::Envelope rest = e;
  rest.clear_signature();
  reencoded = ToBytes(only_signature.SerializeAsString() + rest.SerializeAsString());
  for (const Bytes& variant : {*sealed, padded, reencoded}) {
    auto opened = jp->Open(variant);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ(opened->digest, sealed_digest);
  }
  EXPECT_NE(Sha256({padded}), Sha256({*sealed}));  // the old digest would differ
}

TEST_F(EnvelopeTest, RoundTripToTwoRecipients) {
  auto kr = KeysFor(v1::NATION_KR);
  auto sealed = kr->Seal(Header(v1::NATION_KR, {v1::NATION_US, v1::NATION_JP}), TextBody("launch"));
  ASSERT_TRUE(sealed.ok());
  for (v1::Nation n : {v1::NATION_US, v1::NATION_JP}) {
    auto opened = KeysFor(n)->Open(*sealed);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ(opened->body.text().text(), "launch");
  }
}

TEST_F(EnvelopeTest, NonRecipientCannotOpen) {
  auto sealed = KeysFor(v1::NATION_US)->Seal(Header(v1::NATION_US, {v1::NATION_JP}), TextBody("x"));
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(KeysFor(v1::NATION_KR)->Open(*sealed).status().code(), StatusCode::kPermissionDenied);
  // KR claiming to be JP, with its own keys, still cannot unwrap JP's key.
  auto impostor = KeysWith(v1::NATION_JP, parties_[v1::NATION_KR]);
  EXPECT_FALSE(impostor->Open(*sealed).ok());
}

TEST_F(EnvelopeTest, EverySingleByteFlipIsRejected) {
  auto sealed = KeysFor(v1::NATION_US)->Seal(Header(v1::NATION_US, {v1::NATION_JP, v1::NATION_KR}),
                                             TextBody(std::string(256, 'm')));
  ASSERT_TRUE(sealed.ok());
  auto jp = KeysFor(v1::NATION_JP);
  size_t accepted = 0;
  for (size_t i = 0; i < sealed->size(); ++i) {
    for (int mask : {0x01, 0x80}) {
      Bytes flipped = *sealed;
      flipped[i] = static_cast<uint8_t>(flipped[i] ^ mask);
      if (jp->Open(flipped).ok()) ++accepted;
    }
  }
  EXPECT_EQ(accepted, 0u) << "of " << sealed->size() * 2 << " flips";
}

TEST_F(EnvelopeTest, ForgedSenderIsRejected) {
  // JP's keys, claiming to be US.
  auto forger = KeysWith(v1::NATION_US, parties_[v1::NATION_JP]);
  auto sealed = forger->Seal(Header(v1::NATION_US, {v1::NATION_KR}), TextBody("forged"));
  ASSERT_TRUE(sealed.ok());
  auto opened = KeysFor(v1::NATION_KR)->Open(*sealed);
  EXPECT_EQ(opened.status().code(), StatusCode::kPermissionDenied);
  // And the honest API refuses to seal as another nation.
  EXPECT_FALSE(KeysFor(v1::NATION_JP)->Seal(Header(v1::NATION_US, {v1::NATION_KR}), TextBody("")).ok());
}

// A relay re-serialises the envelope with one header field changed.
TEST_F(EnvelopeTest, RewrittenRecipientsChannelOrPrecedenceAreDetected) {
  auto sealed = KeysFor(v1::NATION_US)->Seal(Header(v1::NATION_US, {v1::NATION_JP, v1::NATION_KR}),
                                             TextBody("consult"));
  ASSERT_TRUE(sealed.ok());
  auto kr = KeysFor(v1::NATION_KR);
  using Mutator = std::function<void(v1::EnvelopeHeader&, v1::Envelope&)>;
  std::vector<std::pair<std::string, Mutator>> cases = {
      {"drop recipient", [](auto& h, auto& e) {
         h.mutable_recipients()->RemoveLast();
         e.mutable_wraps()->RemoveLast();
       }},
      {"channel", [](auto& h, auto&) { h.set_channel(v1::CHANNEL_GENERAL); }},
      {"precedence", [](auto& h, auto&) { h.set_precedence(v1::PRECEDENCE_ROUTINE); }},
      {"sequence", [](auto& h, auto&) { h.set_sequence(8); }},
      {"sender", [](auto& h, auto&) { h.set_sender(v1::NATION_JP); }},
  };
  for (auto& [name, mutate] : cases) {
    v1::Envelope e;
    ASSERT_TRUE(e.ParseFromArray(sealed->data(), static_cast<int>(sealed->size())));
    v1::EnvelopeHeader h;
    ASSERT_TRUE(h.ParseFromString(e.header()));
    mutate(h, e);
    e.set_header(h.SerializeAsString());
    std::string rewritten = e.SerializeAsString();
    EXPECT_FALSE(kr->Open(AsBytes(rewritten)).ok()) << name;
  }
}

TEST_F(EnvelopeTest, RelayParsesHeaderWithoutKeys) {
  auto sealed = KeysFor(v1::NATION_JP)->Seal(Header(v1::NATION_JP, {v1::NATION_US}), TextBody("x"));
  auto routed = ParseEnvelopeForRouting(*sealed);
  ASSERT_TRUE(routed.ok());
  EXPECT_EQ(routed->header.sender(), v1::NATION_JP);
  EXPECT_EQ(routed->header.precedence(), v1::PRECEDENCE_FLASH);
  // The plaintext is nowhere in the sealed bytes.
  EXPECT_EQ(AsChars(*sealed).find("hello"), std::string_view::npos);
}

TEST_F(EnvelopeTest, RejectsInvalidHeaders) {
  auto us = KeysFor(v1::NATION_US);
  auto h = Header(v1::NATION_US, {v1::NATION_JP, v1::NATION_JP});
  EXPECT_EQ(us->Seal(h, TextBody("")).status().code(), StatusCode::kInvalidArgument);
  h = Header(v1::NATION_US, {v1::NATION_US});
  EXPECT_FALSE(us->Seal(h, TextBody("")).ok());
  h = Header(v1::NATION_US, {});
  EXPECT_FALSE(us->Seal(h, TextBody("")).ok());
  h = Header(v1::NATION_US, {v1::NATION_JP});
  h.set_message_id("short");
  EXPECT_FALSE(us->Seal(h, TextBody("")).ok());
  EXPECT_FALSE(ParseEnvelopeForRouting(Bytes{0xff, 0xff, 0xff}).ok());
}

}  // namespace
}  // namespace hotline
