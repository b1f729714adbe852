// Forward secrecy (issue 15): an envelope wrapped for epoch keys stays
// closed once the epoch secrets are destroyed, even to whoever holds both
// nodes' long-term keys; a sender without a valid epoch key of the
// recipient says so; the epoch fields are signed.
#include <gtest/gtest.h>

#include "hotline/envelope.h"
#include "hotline/epoch_key.h"
#include "node/epoch_book.h"

namespace hotline {
namespace {

constexpr int64_t kNowMs = 1'800'000'000'000;

struct EpochParty {
  v1::Nation nation;
  Ed25519KeyPair signing = GenerateEd25519();
  X25519KeyPair e2e = GenerateX25519();
  node::EpochBook epochs{node::EpochBook::Options{}};
};

class ForwardSecrecyTest : public ::testing::Test {
 protected:
  ForwardSecrecyTest() : us_{v1::NATION_US}, jp_{v1::NATION_JP} {}

  // `self`'s keys with `peer`'s certificate keys (serial 0) and epochs as in the books.
  std::unique_ptr<EnvelopeKeys> Keys(EpochParty& self, EpochParty& peer, bool with_epochs = true) {
    auto keys = std::make_unique<EnvelopeKeys>(
        self.nation, self.signing, self.e2e,
        std::map<v1::Nation, PeerKeys>{
            {peer.nation, {peer.signing.public_key, peer.e2e.public_key}}});
    if (with_epochs) {
      keys->SetOwnEpochs(self.epochs.OwnForKeys(), self.epochs.newest());
      for (const auto& [n, p] : self.epochs.peers())
        keys->SetPeerEpoch(n, self.epochs.PeerForKeys(p));
    }
    return keys;
  }
  void MakeEpoch(EpochParty& p, int64_t now = kNowMs) {
    p.epochs.Adopt(p.epochs.Make(now, p.nation, 0, p.signing));
  }
  // `to` learns `from`'s newest epoch key (as from an announcement).
  void Announce(EpochParty& from, EpochParty& to) {
    const auto& own = from.epochs.own().rbegin()->second;
    auto details = VerifyEpochKey(AsBytes(own.signed_key), from.signing.public_key, from.nation, 0);
    ASSERT_TRUE(details.ok()) << details.status().ToString();
    to.epochs.OfferPeer(from.nation, *details, own.signed_key);
  }
  static v1::EnvelopeHeader Header(int64_t created = kNowMs) {
    v1::EnvelopeHeader h;
    h.set_version(kEnvelopeVersion);
    h.set_message_id(ToString(RandomBytes(kMessageIdLen)));
    h.set_sender(v1::NATION_US);
    h.add_recipients(v1::NATION_JP);
    h.set_channel(v1::CHANNEL_CRISIS);
    h.set_precedence(v1::PRECEDENCE_FLASH);
    h.set_created_at_ms(created);
    return h;
  }
  static v1::Body Text(const std::string& text) {
    v1::Body b;
    b.set_version(1);
    b.mutable_text()->set_text(text);
    return b;
  }

  EpochParty us_, jp_;
};

TEST_F(ForwardSecrecyTest, ARecordedEnvelopeStaysClosedOnceTheEpochKeysAreDestroyed) {
  MakeEpoch(us_);
  MakeEpoch(jp_);
  Announce(jp_, us_);
  std::vector<v1::Nation> without;
  auto sealed = Keys(us_, jp_)->Seal(Header(), Text("launch detected"), nullptr, &without);
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  EXPECT_TRUE(without.empty());
  v1::Envelope recorded;  // what a relay, or a tap, keeps
  ASSERT_TRUE(recorded.ParseFromArray(sealed->data(), static_cast<int>(sealed->size())));
  EXPECT_EQ(recorded.wraps(0).recipient_epoch(), 1u);
  EXPECT_FALSE(recorded.sender_epoch_key().empty());

  auto opened = Keys(jp_, us_)->Open(*sealed);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_TRUE(opened->forward_secret);
  EXPECT_EQ(opened->body.text().text(), "launch detected");
  ASSERT_TRUE(opened->sender_epoch.has_value());
  EXPECT_EQ(opened->sender_epoch->epoch(), 1u);

  // Later both epoch secrets are destroyed. A thief with both nodes'
  // long-term keys (signing and e2e) cannot open the recording.
  // The same keys object, which has opened it once (and keeps what it
  // computed for the sender's epoch key), no longer does once its epoch
  // keys are replaced without that one.
  auto jp_keys = Keys(jp_, us_);
  ASSERT_TRUE(jp_keys->Open(*sealed).ok());
  ASSERT_TRUE(jp_keys->Open(*sealed).ok()) << "and again, from what it kept";
  MakeEpoch(jp_, kNowMs + 1000);
  jp_.epochs.Destroy(1);
  jp_keys->SetOwnEpochs(jp_.epochs.OwnForKeys(), jp_.epochs.newest());
  EXPECT_EQ(jp_keys->Open(*sealed).status().code(), StatusCode::kDataLoss);

  us_.epochs.Destroy(1);
  auto thief_at_jp = Keys(jp_, us_);
  auto closed = thief_at_jp->Open(*sealed);
  EXPECT_EQ(closed.status().code(), StatusCode::kDataLoss) << closed.status().ToString();
  EXPECT_NE(closed.status().message().find("destroyed"), std::string::npos);
}

TEST_F(ForwardSecrecyTest, WithoutARecipientEpochKeyTheSenderSaysSo) {
  MakeEpoch(us_);  // JP has announced nothing
  std::vector<v1::Nation> without;
  auto sealed = Keys(us_, jp_)->Seal(Header(), Text("first contact"), nullptr, &without);
  ASSERT_TRUE(sealed.ok());
  ASSERT_EQ(without, std::vector<v1::Nation>{v1::NATION_JP});
  v1::Envelope e;
  ASSERT_TRUE(e.ParseFromArray(sealed->data(), static_cast<int>(sealed->size())));
  EXPECT_TRUE(e.sender_epoch_key().empty()) << "the form from before epoch keys: any node opens it";
  auto opened = Keys(jp_, us_)->Open(*sealed);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_FALSE(opened->forward_secret);
  EXPECT_FALSE(opened->sender_epoch.has_value());
  // JP's receipt carries JP's key; US's next envelope is forward secret
  // and carries US's, so JP's answer is forward secret too.
  MakeEpoch(jp_);
  Announce(jp_, us_);
  without.clear();
  auto next = Keys(us_, jp_)->Seal(Header(), Text("second"), nullptr, &without);
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE(without.empty());
  auto second = Keys(jp_, us_)->Open(*next);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->forward_secret);
  ASSERT_TRUE(second->sender_epoch.has_value());
  jp_.epochs.OfferPeer(v1::NATION_US, *second->sender_epoch, second->sender_epoch_key);
  v1::EnvelopeHeader back = Header();
  back.set_sender(v1::NATION_JP);
  back.set_recipients(0, v1::NATION_US);
  without.clear();
  auto answer = Keys(jp_, us_)->Seal(back, Text("answer"), nullptr, &without);
  ASSERT_TRUE(answer.ok());
  EXPECT_TRUE(without.empty());
  auto got = Keys(us_, jp_)->Open(*answer);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->forward_secret);
}

TEST_F(ForwardSecrecyTest, AnExpiredRecipientEpochKeyIsNotUsed) {
  MakeEpoch(us_);
  MakeEpoch(jp_);
  Announce(jp_, us_);
  const auto& options = us_.epochs.options();
  // Past its not_after plus half the retention: long-term, and said so.
  int64_t late = kNowMs + options.epoch_ms + options.retention_ms / 2 + 1;
  std::vector<v1::Nation> without;
  auto sealed = Keys(us_, jp_)->Seal(Header(late), Text("late"), nullptr, &without);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(without, std::vector<v1::Nation>{v1::NATION_JP});
}

TEST_F(ForwardSecrecyTest, TheEpochFieldsAreSigned) {
  MakeEpoch(us_);
  MakeEpoch(jp_);
  Announce(jp_, us_);
  auto sealed = Keys(us_, jp_)->Seal(Header(), Text("signed"));
  ASSERT_TRUE(sealed.ok());
  auto jp = Keys(jp_, us_);
  auto tamper = [&](const std::function<void(v1::Envelope&)>& edit) {
    v1::Envelope e;
    e.ParseFromArray(sealed->data(), static_cast<int>(sealed->size()));
    edit(e);
    std::string bytes = e.SerializeAsString();
    return jp->Open(AsBytes(bytes)).status();
  };
  // A relay that strips the epoch fields (to push the recipient onto its
  // long-term key) or renames the epoch breaks the signature.
  Status stripped = tamper([](v1::Envelope& e) {
    e.clear_sender_epoch_key();
    e.mutable_wraps(0)->set_recipient_epoch(0);
  });
  EXPECT_EQ(stripped.code(), StatusCode::kPermissionDenied) << stripped.ToString();
  Status renamed = tamper([](v1::Envelope& e) { e.mutable_wraps(0)->set_recipient_epoch(2); });
  EXPECT_EQ(renamed.code(), StatusCode::kPermissionDenied) << renamed.ToString();
  Status no_sender_key = tamper([](v1::Envelope& e) { e.clear_sender_epoch_key(); });
  EXPECT_EQ(no_sender_key.code(), StatusCode::kInvalidArgument) << no_sender_key.ToString();
}

// The recipient refuses, naming why: a wrap for an epoch key it never
// had, a sender epoch key not in force when the envelope was made, and a
// sender epoch key not signed by the sender's certificate.
TEST_F(ForwardSecrecyTest, AnEnvelopeForAnUnknownExpiredOrBadlySignedEpochKeyIsRefused) {
  MakeEpoch(us_);
  MakeEpoch(jp_);
  auto jp = Keys(jp_, us_);
  auto sealed_by = [&](EnvelopeKeys& keys) {
    std::vector<v1::Nation> without;
    auto sealed = keys.Seal(Header(), Text("refused"), nullptr, &without);
    EXPECT_TRUE(sealed.ok() && without.empty()) << "sealed with epoch keys";
    return sealed.ok() ? *sealed : Bytes();
  };

  // Unknown: wrapped for a JP epoch key JP never made.
  {
    auto us = Keys(us_, jp_);
    us->SetPeerEpoch(v1::NATION_JP, {.epoch = 42,
                                     .public_key = GenerateX25519().public_key,
                                     .usable_until_ms = kNowMs + 3600'000});
    auto opened = jp->Open(sealed_by(*us));
    EXPECT_EQ(opened.status().code(), StatusCode::kDataLoss) << opened.status().ToString();
    EXPECT_NE(opened.status().message().find("epoch key 42, which is destroyed or was never ours"),
              std::string::npos)
        << opened.status().ToString();
  }
  Announce(jp_, us_);
  // Our own epoch key as the sender presents it, with chosen details and signer.
  auto with_sender_epoch = [&](int64_t not_before, const Ed25519KeyPair& signer) {
    auto us = Keys(us_, jp_);
    X25519KeyPair pair = GenerateX25519();
    v1::EpochKeyDetails d;
    d.set_version(1);
    d.set_nation(v1::NATION_US);
    d.set_epoch(7);
    d.set_public_key(ToString(pair.public_key));
    d.set_not_before_ms(not_before);
    d.set_not_after_ms(not_before + 3600'000);
    d.set_keep_until_ms(not_before + 4 * 3600'000);
    d.set_cert_serial(0);
    std::vector<EnvelopeKeys::OwnEpoch> own(1);
    own[0].epoch = 7;
    own[0].keys = std::move(pair);
    own[0].signed_key = SignEpochKey(d, signer);
    // What the sealer believes: valid now (it seals only then).
    own[0].not_before_ms = kNowMs - 1000;
    own[0].not_after_ms = kNowMs + 3600'000;
    us->SetOwnEpochs(std::move(own), 7);
    return jp->Open(sealed_by(*us)).status();
  };
  EXPECT_TRUE(with_sender_epoch(kNowMs - 1000, us_.signing).ok()) << "the control case opens";

  // Expired: the sender's epoch key ended days before the envelope was made.
  Status expired = with_sender_epoch(kNowMs - 10 * 86400'000LL, us_.signing);
  EXPECT_EQ(expired.code(), StatusCode::kPermissionDenied) << expired.ToString();
  EXPECT_NE(expired.message().find("outside the sender's epoch key 7 validity"), std::string::npos)
      << expired.ToString();

  // Badly signed: by a key that is not the sender certificate's.
  Status forged = with_sender_epoch(kNowMs - 1000, GenerateEd25519());
  EXPECT_EQ(forged.code(), StatusCode::kPermissionDenied) << forged.ToString();
  EXPECT_NE(forged.message().find("bad sender epoch key"), std::string::npos) << forged.ToString();
}

TEST_F(ForwardSecrecyTest, AnEpochKeyMustBeSignedByItsNation) {
  MakeEpoch(us_);
  const auto& own = us_.epochs.own().rbegin()->second;
  EXPECT_TRUE(
      VerifyEpochKey(AsBytes(own.signed_key), us_.signing.public_key, v1::NATION_US, 0).ok());
  EXPECT_EQ(VerifyEpochKey(AsBytes(own.signed_key), jp_.signing.public_key, v1::NATION_US, 0)
                .status()
                .code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(VerifyEpochKey(AsBytes(own.signed_key), us_.signing.public_key, v1::NATION_JP, 0)
                .status()
                .code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(VerifyEpochKey(AsBytes(own.signed_key), us_.signing.public_key, v1::NATION_US, 7)
                .status()
                .code(),
            StatusCode::kPermissionDenied)
      << "signed under another certificate than it names";
}

TEST(EpochBookTest, AKeyIsMadeAheadOfTheEndAndDestroyedAfterItsRetention) {
  node::EpochBook::Options o;
  o.epoch_ms = 3600'000;
  o.retention_ms = 72 * 3600'000LL;
  o.lead_ms = 300'000;
  node::EpochBook book(o);
  Ed25519KeyPair signing = GenerateEd25519();
  EXPECT_TRUE(book.Due(kNowMs, 9));
  book.Adopt(book.Make(kNowMs, v1::NATION_KR, 9, signing));
  EXPECT_FALSE(book.Due(kNowMs + 1000, 9));
  EXPECT_TRUE(book.Due(kNowMs + 1000, 10)) << "our certificate was renewed: sign a new one";
  EXPECT_EQ(book.SealingEpoch(10), 0u);
  EXPECT_TRUE(book.Due(kNowMs + o.epoch_ms - o.lead_ms, 9));
  book.Adopt(book.Make(kNowMs + o.epoch_ms - o.lead_ms, v1::NATION_KR, 9, signing));
  EXPECT_EQ(book.newest(), 2u);
  EXPECT_TRUE(book.Expired(kNowMs + o.epoch_ms + o.retention_ms).empty());
  EXPECT_EQ(book.Expired(kNowMs + o.epoch_ms + o.retention_ms + 1), std::vector<uint64_t>{1});
  // The newest is never destroyed, however old.
  book.Destroy(1);
  EXPECT_TRUE(book.Expired(kNowMs + 1000 * o.retention_ms).empty());
  book.RotateNow(kNowMs + 1000);
  EXPECT_TRUE(book.Due(kNowMs + 1000, 9));
  book.Adopt(book.Make(kNowMs + 500, v1::NATION_KR, 9, signing));  // begun before the request
  EXPECT_TRUE(book.Due(kNowMs + 1000, 9)) << "a rotation is not answered by a key made before it";
  book.Adopt(book.Make(kNowMs + 1000, v1::NATION_KR, 9, signing));
  EXPECT_FALSE(book.Due(kNowMs + 1000, 9));
  // A peer's older key never replaces a newer one; a huge epoch number
  // does not make a key newer; a node that starts again at 1 is heard.
  v1::EpochKeyDetails d;
  d.set_cert_serial(3);
  d.set_epoch(5);
  d.set_not_before_ms(kNowMs);
  EXPECT_TRUE(book.OfferPeer(v1::NATION_US, d, "five"));
  d.set_epoch(4);
  EXPECT_FALSE(book.OfferPeer(v1::NATION_US, d, "four"));
  d.set_epoch(UINT64_MAX);
  d.set_not_before_ms(kNowMs - 1);
  EXPECT_FALSE(book.OfferPeer(v1::NATION_US, d, "older, however numbered"));
  d.set_epoch(1);
  d.set_not_before_ms(kNowMs + 10);
  EXPECT_TRUE(book.OfferPeer(v1::NATION_US, d, "reset"));
  EXPECT_EQ(book.peers().at(v1::NATION_US).signed_key, "reset");
}

TEST(EpochBookTest, AKeyMadeAfterALostOneIsNumberedAfterIt) {
  node::EpochBook book{node::EpochBook::Options{}};
  Ed25519KeyPair signing = GenerateEd25519();
  book.NoteLost(7);  // its secret was gone at start
  EXPECT_EQ(book.Make(kNowMs, v1::NATION_JP, 0, signing).epoch, 8u);
}

}  // namespace
}  // namespace hotline
