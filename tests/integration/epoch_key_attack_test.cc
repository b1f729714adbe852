// Epoch keys under attack (issue 15): a relay delivers envelopes with
// wrong epoch fields made with a node's real keys, and forged and replayed
// epoch-key announcements; each is refused with an audited reason and the
// genuine traffic still goes through.
#include <gtest/gtest.h>
#include <sodium.h>

#include <set>

#include "cluster.h"
#include "epoch_secrets_probe.h"
#include "hotline/envelope.h"
#include "rogue_peers.h"

namespace hotline::testing {
namespace {

// A relay delivers envelopes from US made with US's real keys but wrong
// epoch fields, forged and replayed epoch-key announcements, and then one
// genuine message: JP refuses each bad one with an audited reason, keeps
// the newest genuine epoch key, and delivers the genuine message.
TEST(EpochKeyAttackTest, BadEpochKeysAndForgedOrReplayedAnnouncementsAreRefused) {
  Cluster c(2);
  std::string relay = c.StartRelay(1);
  auto trust = *LoadTrustStore(c.certs());
  Identity us = *LoadIdentity(c.certs(), "node-us");
  Identity jp = *LoadIdentity(c.certs(), "node-jp");
  const int64_t now = NowUnixMs();
  // A US epoch key, signed by `signer`, valid from `not_before` for an hour.
  auto us_epoch = [&](uint64_t epoch, int64_t not_before, const Ed25519KeyPair& signer) {
    EnvelopeKeys::OwnEpoch own;
    own.epoch = epoch;
    own.keys = GenerateX25519();
    v1::EpochKeyDetails d;
    d.set_version(1);
    d.set_nation(v1::NATION_US);
    d.set_epoch(epoch);
    d.set_public_key(ToString(own.keys.public_key));
    d.set_not_before_ms(not_before);
    d.set_not_after_ms(not_before + 3600'000);
    d.set_keep_until_ms(not_before + 4 * 3600'000);
    d.set_cert_serial(us.details.serial());
    own.signed_key = SignEpochKey(d, signer);
    own.not_before_ms = now - 60'000;  // the sealer seals with it regardless
    own.not_after_ms = now + 3600'000;
    return own;
  };
  uint32_t sequence = 0;
  auto header = [&](uint32_t seq) {
    v1::EnvelopeHeader h;
    h.set_version(kEnvelopeVersion);
    h.set_message_id(ToString(RandomBytes(kMessageIdLen)));
    h.set_sender(v1::NATION_US);
    h.add_recipients(v1::NATION_JP);
    h.add_recipient_sequences(seq);
    h.set_channel(v1::CHANNEL_GENERAL);
    h.set_precedence(v1::PRECEDENCE_IMMEDIATE);
    h.set_created_at_ms(now);
    h.set_sender_cert_serial(us.details.serial());
    return h;
  };
  const auto good = us_epoch(5, now - 60'000, us.keys.signing);
  const std::string good_key = good.signed_key;
  auto good_copy = [&] {
    EnvelopeKeys::OwnEpoch own;
    own.epoch = good.epoch;
    own.keys = X25519FromSecret(good.keys.secret.view());
    own.signed_key = good.signed_key;
    own.not_before_ms = good.not_before_ms;
    own.not_after_ms = good.not_after_ms;
    return own;
  };
  // Seals `body` as US with `own` as US's sealing epoch key and JP's epoch
  // key `jp_epoch` (its real one unless told otherwise).
  auto seal = [&](const v1::Body& body, EnvelopeKeys::OwnEpoch own,
                  const EnvelopeKeys::PeerEpoch& jp_epoch, uint32_t seq) {
    EnvelopeKeys sender(v1::NATION_US, us.keys.signing, *us.keys.e2e);
    sender.AddPeer(v1::NATION_JP, jp.details.serial(), *PeerKeysOf(jp.details), true);
    uint64_t epoch = own.epoch;
    std::vector<EnvelopeKeys::OwnEpoch> owns;
    owns.push_back(std::move(own));
    sender.SetOwnEpochs(std::move(owns), epoch);
    sender.SetPeerEpoch(v1::NATION_JP, jp_epoch);
    std::vector<v1::Nation> without;
    auto sealed = sender.Seal(header(seq), body, nullptr, &without);
    EXPECT_TRUE(sealed.ok() && without.empty());
    v1::Envelope e;
    if (sealed.ok()) e.ParseFromArray(sealed->data(), static_cast<int>(sealed->size()));
    return e;
  };
  auto announcement = [](const std::string& signed_key) {
    v1::Body b;
    b.set_version(1);
    b.mutable_epoch_key()->set_signed_epoch_key(signed_key);
    return b;
  };
  v1::Body text;
  text.set_version(1);
  text.mutable_text()->set_text("the genuine forward-secret text");

  std::vector<v1::Envelope> script;
  std::string genuine_id;
  std::atomic<bool> delivered_once{false};
  RogueRelay rogue(
      ChannelConfigFor(*LoadIdentity(c.certs(), "relay-2"), trust, false, v1::ROLE_NODE),
      [&](const LinkConnection::Ptr& link) {
        if (delivered_once.exchange(true)) return;
        // JP's real epoch key, from its store (made before it dials out).
        v1::EpochKeyDetails jp_details;
        (void)WaitUntil([&] {
          auto db = Database::OpenReadOnly(c.NodeData("jp") / "node.db");
          bool found = false;
          if (db.ok()) {
            (void)(*db)->ForEachRow("SELECT signed FROM epoch_keys ORDER BY epoch DESC LIMIT 1",
                                    [&](Statement& s) {
                                      jp_details = DetailsOf(ToString(s.ColumnBlob(0)));
                                      found = true;
                                      return Status::Ok();
                                    });
          }
          return found;
        });
        X25519Public jp_public{};
        std::copy(jp_details.public_key().begin(), jp_details.public_key().end(),
                  jp_public.begin());
        EnvelopeKeys::PeerEpoch real{jp_details.epoch(), jp_public, now + 3600'000};
        EnvelopeKeys::PeerEpoch unknown{42, GenerateX25519().public_key, now + 3600'000};
        Ed25519KeyPair stranger = GenerateEd25519();
        // In stream order: announcements of 5 (taken), of an older 3 (a
        // replay: not taken), of a key signed by a stranger (refused); the
        // first again, byte for byte; three envelopes refused for their
        // epoch fields (outside the stream); the genuine message.
        script.push_back(seal(announcement(good_key), good_copy(), real, ++sequence));
        script.push_back(seal(announcement(us_epoch(3, now - 120'000, us.keys.signing).signed_key),
                              good_copy(), real, ++sequence));
        script.push_back(seal(announcement(us_epoch(6, now, stranger).signed_key), good_copy(),
                              real, ++sequence));
        script.push_back(script.front());
        script.push_back(seal(text, good_copy(), unknown, 100));
        script.push_back(
            seal(text, us_epoch(7, now - 10 * 86400'000LL, us.keys.signing), real, 101));
        script.push_back(seal(text, us_epoch(8, now - 60'000, stranger), real, 102));
        v1::Envelope genuine = seal(text, good_copy(), real, ++sequence);
        v1::EnvelopeHeader gh;
        gh.ParseFromString(genuine.header());
        genuine_id = ToHex(AsBytes(gh.message_id()));
        script.push_back(genuine);
        uint64_t delivery = 1;
        for (const v1::Envelope& e : script) {
          v1::LinkFrame f;
          f.mutable_deliver()->set_envelope(e.SerializeAsString());
          f.mutable_deliver()->set_delivery_id(delivery++);
          (void)link->Send(f, v1::PRECEDENCE_IMMEDIATE);
        }
      });
  c.StartNodeAt("jp", {relay, rogue.address()});
  fs::path jp_db = c.NodeData("jp") / "node.db";
  ASSERT_TRUE(WaitUntil([&] {
    return !genuine_id.empty() &&
           Contains(c.CliOk("jp", {"inbox"}), "the genuine forward-secret text");
  })) << c.CliOk("jp", {"inbox"});
  EXPECT_FALSE(Contains(c.CliOk("jp", {"inbox", "show", genuine_id}), "NO FORWARD SECRECY"));
  EXPECT_TRUE(Audited(jp_db, v1::AUDIT_EVENT_INPUT_REJECTED,
                      "epoch key 42, which is destroyed or was never ours"));
  EXPECT_TRUE(
      Audited(jp_db, v1::AUDIT_EVENT_INPUT_REJECTED, "outside the sender's epoch key 7 validity"));
  EXPECT_TRUE(Audited(jp_db, v1::AUDIT_EVENT_INPUT_REJECTED, "bad sender epoch key"));
  EXPECT_TRUE(
      Audited(jp_db, v1::AUDIT_EVENT_INPUT_REJECTED, "epoch key announcement from US refused"));
  EXPECT_TRUE(WaitUntil([&] {
    std::string log = ReadFileOrDie(c.NodeLog("jp"));
    return Contains(log, "epoch key 3 of US announced: not taken");
  }));
  c.StopAll();
  EXPECT_EQ(CountAudit(jp_db, v1::AUDIT_EVENT_INPUT_REJECTED, ""), 4);
  // JP holds US's epoch key 5: neither the replayed older key nor the forgery.
  auto db = Database::OpenReadOnly(jp_db);
  ASSERT_TRUE(db.ok());
  std::string held;
  ASSERT_TRUE((*db)
                  ->ForEachRow("SELECT signed FROM peer_epoch_keys WHERE nation = " +
                                   std::to_string(v1::NATION_US),
                               [&](Statement& s) {
                                 held = ToString(s.ColumnBlob(0));
                                 return Status::Ok();
                               })
                  .ok());
  EXPECT_EQ(held, good_key);
}

}  // namespace
}  // namespace hotline::testing
