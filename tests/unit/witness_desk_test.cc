#include "node/witness_desk.h"

#include <gtest/gtest.h>

#include "hotline/audit_log.h"
#include "hotline/crypto.h"

namespace hotline::node {
namespace {

class WitnessDeskTest : public ::testing::Test {
 protected:
  std::unique_ptr<WitnessDesk> Desk(v1::Nation self, const std::string& name,
                                    const Ed25519KeyPair& key) {
    auto witness =
        std::make_unique<Witness>(name, key.secret, key.public_key,
                                  [this](const std::string& origin) -> StatusOr<Ed25519Public> {
                                    if (origin == "node-us") return us_.public_key;
                                    return NotFoundError("no key for " + origin);
                                  });
    return std::make_unique<WitnessDesk>(self, std::move(witness));
  }
  std::vector<merkle::Hash> Leaves(size_t n, uint8_t salt = 0) {
    std::vector<merkle::Hash> out;
    for (size_t i = 0; i < n; ++i)
      out.push_back(merkle::LeafHash(Bytes(1, static_cast<uint8_t>(i + salt))));
    return out;
  }
  static merkle::Tree TreeOf(const std::vector<merkle::Hash>& leaves) {
    merkle::Tree tree;
    for (const auto& leaf : leaves) tree.Append(leaf);
    return tree;
  }
  v1::SignedCheckpoint Checkpoint(const std::vector<merkle::Hash>& leaves, size_t size) {
    v1::Checkpoint cp;
    cp.set_origin("node-us");
    cp.set_size(size);
    auto root = merkle::RootOf(std::span<const merkle::Hash>(leaves).first(size));
    cp.set_root(std::string(root.begin(), root.end()));
    cp.set_at_ms(1);
    v1::SignedCheckpoint signed_cp;
    signed_cp.set_checkpoint(cp.SerializeAsString());
    *signed_cp.add_signatures() =
        SignCheckpointBytes(signed_cp.checkpoint(), "node-us", us_.secret, us_.public_key);
    return signed_cp;
  }
  Ed25519KeyPair us_ = GenerateEd25519();
  Ed25519KeyPair jp_ = GenerateEd25519();
};

TEST_F(WitnessDeskTest, NotesGoToEachOtherNationWithAProofFromWhatItSaw) {
  auto us = Desk(v1::NATION_US, "node-us", us_);
  auto jp = Desk(v1::NATION_JP, "node-jp", jp_);
  auto leaves = Leaves(5);
  auto notes = us->NotesFor(Checkpoint(leaves, 3), TreeOf(leaves));
  ASSERT_EQ(notes.size(), 2u);  // JP and KR
  EXPECT_EQ(notes[0].note.from_size(), 0u);
  auto seen = jp->Observe(v1::NATION_US, notes[0].note);
  EXPECT_EQ(seen.record.event, v1::AUDIT_EVENT_CHECKPOINT_WITNESSED);
  ASSERT_TRUE(seen.evidence);
  EXPECT_EQ(seen.evidence->origin, "node-us");
  EXPECT_EQ(seen.evidence->size, 3u);
  EXPECT_TRUE(seen.alert.empty());
  EXPECT_TRUE(jp->Observe(v1::NATION_US, notes[0].note).seen_before);
  us->Sent(v1::NATION_JP, 3);
  notes = us->NotesFor(Checkpoint(leaves, 5), TreeOf(leaves));
  ASSERT_EQ(notes.size(), 2u);
  const auto& to_jp = notes[0].to == v1::NATION_JP ? notes[0] : notes[1];
  EXPECT_EQ(to_jp.note.from_size(), 3u);
  EXPECT_GT(to_jp.note.consistency_proof_size(), 0);
  EXPECT_EQ(jp->Observe(v1::NATION_US, to_jp.note).record.event,
            v1::AUDIT_EVENT_CHECKPOINT_WITNESSED);
  // Nothing new for a nation that has seen this size.
  us->Sent(v1::NATION_JP, 5);
  us->Sent(v1::NATION_KR, 5);
  EXPECT_TRUE(us->NotesFor(Checkpoint(leaves, 5), TreeOf(leaves)).empty());
}

TEST_F(WitnessDeskTest, AForkedLogIsAConflictForTheOperator) {
  auto us = Desk(v1::NATION_US, "node-us", us_);
  auto jp = Desk(v1::NATION_JP, "node-jp", jp_);
  auto leaves = Leaves(4);
  auto first = us->NotesFor(Checkpoint(leaves, 4), TreeOf(leaves));
  ASSERT_FALSE(first.empty());
  ASSERT_TRUE(jp->Observe(v1::NATION_US, first[0].note).evidence);
  auto forked = Leaves(4, 100);  // the same size, another history
  auto notes = us->NotesFor(Checkpoint(forked, 4), TreeOf(forked));
  auto seen = jp->Observe(v1::NATION_US, notes[0].note);
  EXPECT_EQ(seen.record.event, v1::AUDIT_EVENT_CHECKPOINT_CONFLICT);
  EXPECT_NE(seen.alert.find("AUDIT LOG CONFLICT from US"), std::string::npos) << seen.alert;
  EXPECT_FALSE(seen.evidence);
  v1::CheckpointNote garbage;
  garbage.set_signed_checkpoint("\xff");
  EXPECT_EQ(jp->Observe(v1::NATION_US, garbage).record.event, v1::AUDIT_EVENT_CHECKPOINT_CONFLICT);
}

TEST_F(WitnessDeskTest, SharingIsDueOnlyAfterTraffic) {
  auto us = Desk(v1::NATION_US, "node-us", us_);
  EXPECT_FALSE(us->TakeShareDue());
  us->NoteTraffic();
  EXPECT_TRUE(us->TakeShareDue());
  EXPECT_FALSE(us->TakeShareDue());
}

}  // namespace
}  // namespace hotline::node
