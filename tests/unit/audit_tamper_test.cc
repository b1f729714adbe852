// TESTING.md B14 (a tampered audit log is detected, first bad index named)
// and B15 (bad, rolled-back and forked checkpoints are caught by witnesses).
#include <gtest/gtest.h>

#include <filesystem>

#include "hotline/audit_log.h"
#include "hotline/audit_verify.h"
#include "hotline/merkle.h"
#include "hotline/witness.h"
#include "test_util.h"

namespace hotline {
namespace {

namespace fs = std::filesystem;

class AuditTamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = GenerateEd25519();
    original_ = dir_.path() / "original.db";
    auto db = Database::Open(original_, kAuditSchema);
    ASSERT_TRUE(db.ok());
    AuditLog log(**db, "node-us", [] { return int64_t{1'800'000'000'000}; });
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE((*db)->Begin().ok());
      ASSERT_TRUE(log.Append({.event = v1::AUDIT_EVENT_SENT,
                              .message_id = std::string(16, static_cast<char>(i)),
                              .detail = "record " + std::to_string(i)})
                      .ok());
      if (i == 19) {
        auto cp = log.SignCheckpoint(keys_.secret, keys_.public_key);
        ASSERT_TRUE(cp.ok());
        at20_ = *cp;
        ASSERT_TRUE((*db)->Commit().ok());
        ASSERT_TRUE((*db)->Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());  // all in the main file
        fs::copy_file(original_, dir_.path() / "older.db");  // a copy an attacker might restore
        continue;
      }
      if (i == 49) {
        ASSERT_TRUE(log.SignCheckpoint(keys_.secret, keys_.public_key).ok());
      }
      ASSERT_TRUE((*db)->Commit().ok());
      if (i == 49) at50_ = **log.LatestCheckpoint();
    }
  }

  AuditVerifyOptions Options() {
    AuditVerifyOptions o;
    Ed25519Public pk = keys_.public_key;
    o.key_for = [pk](const std::string&) -> StatusOr<Ed25519Public> { return pk; };
    return o;
  }

  // A fresh copy of the untouched log, to tamper with.
  fs::path FreshCopy() {
    fs::path p = dir_.path() / ("t" + std::to_string(copies_++) + ".db");
    fs::copy_file(original_, p);
    return p;
  }

  // A copy tampered with by `sql`.
  fs::path Tampered(const std::string& sql) {
    fs::path p = FreshCopy();
    auto db = Database::Open(p, "");
    EXPECT_TRUE(db.ok());
    EXPECT_TRUE((*db)->Exec(sql).ok()) << sql;
    return p;
  }

  // Rewrites record `idx` with `mutate` applied; `fix_leaf` recomputes its leaf hash.
  fs::path Rewritten(int idx, const std::function<void(Bytes&)>& mutate, bool fix_leaf) {
    fs::path p = FreshCopy();
    auto db = Database::Open(p, "");
    auto s = (*db)->Prepare("SELECT record FROM audit_log WHERE idx=?");
    s->Bind(1, idx);
    (void)s->Step();
    Bytes record = s->ColumnBlob(0);
    mutate(record);
    auto u = (*db)->Prepare(fix_leaf ? "UPDATE audit_log SET record=?, leaf_hash=? WHERE idx=?"
                                     : "UPDATE audit_log SET record=? WHERE idx=?");
    u->Bind(1, record);
    if (fix_leaf) {
      auto leaf = merkle::LeafHash(record);
      u->Bind(2, leaf).Bind(3, idx);
    } else {
      u->Bind(2, idx);
    }
    EXPECT_TRUE(u->Run().ok());
    return p;
  }

  AuditVerifyReport Verify(const fs::path& p, AuditVerifyOptions o) {
    auto r = VerifyAuditStore(p, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return *r;
  }

  testing::TempDir dir_;
  Ed25519KeyPair keys_;
  fs::path original_;
  v1::SignedCheckpoint at20_, at50_;
  int copies_ = 0;
};

TEST_F(AuditTamperTest, UntouchedLogVerifies) {
  auto r = Verify(original_, Options());
  EXPECT_TRUE(r.ok()) << r.problem;
  EXPECT_EQ(r.records, 50u);
  EXPECT_EQ(r.latest_checkpoint, 50u);
}

TEST_F(AuditTamperTest, FlippedByteIsDetectedAtItsIndex) {
  auto r = Verify(Rewritten(30, [](Bytes& b) { b[b.size() - 2] ^= 0x01; }, false), Options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(*r.first_bad_index, 30u) << r.problem;
}

TEST_F(AuditTamperTest, FlippedByteWithRecomputedLeafHashBreaksTheSignedRoot) {
  auto r = Verify(Rewritten(30, [](Bytes& b) { b[b.size() - 2] ^= 0x01; }, true), Options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(*r.first_bad_index, 20u) << r.problem;  // after the last checkpoint that still matches
  EXPECT_NE(r.problem.find("[20, 50)"), std::string::npos) << r.problem;
}

TEST_F(AuditTamperTest, DeletedRecordIsNamed) {
  auto r = Verify(Tampered("DELETE FROM audit_log WHERE idx=10"), Options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(*r.first_bad_index, 10u) << r.problem;
  EXPECT_NE(r.problem.find("missing"), std::string::npos) << r.problem;
}

TEST_F(AuditTamperTest, InsertedRecordIsNamed) {
  // Shift records 10.. up by one and slip a forged record in at 10.
  auto p = Tampered(
      "UPDATE audit_log SET idx = idx + 1000 WHERE idx >= 10;"
      "UPDATE audit_log SET idx = idx - 999 WHERE idx >= 1000;"
      "INSERT INTO audit_log(idx, record, leaf_hash) SELECT 10, record, leaf_hash FROM audit_log WHERE idx = 3;");
  auto r = Verify(p, Options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(*r.first_bad_index, 10u) << r.problem;
}

TEST_F(AuditTamperTest, SwappedRecordsAreNamed) {
  auto p = Tampered(
      "UPDATE audit_log SET idx = -1 WHERE idx = 5;"
      "UPDATE audit_log SET idx = 5 WHERE idx = 6;"
      "UPDATE audit_log SET idx = 6 WHERE idx = -1;");
  auto r = Verify(p, Options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(*r.first_bad_index, 5u) << r.problem;
  EXPECT_NE(r.problem.find("swapped"), std::string::npos) << r.problem;
}

TEST_F(AuditTamperTest, TruncatedTailIsDetected) {
  auto r = Verify(Tampered("DELETE FROM audit_log WHERE idx >= 40"), Options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(*r.first_bad_index, 40u) << r.problem;
  EXPECT_NE(r.problem.find("truncated"), std::string::npos) << r.problem;
}

TEST_F(AuditTamperTest, RestoredOlderCopyIsCaughtByWitnessedCheckpoints) {
  fs::path older = dir_.path() / "older.db";
  EXPECT_TRUE(Verify(older, Options()).ok()) << "alone, an older copy is self-consistent";
  AuditVerifyOptions o = Options();
  o.witnessed = {at50_};  // what a witness was shown before the restore
  auto r = Verify(older, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(*r.first_bad_index, 20u) << r.problem;
  EXPECT_NE(r.problem.find("older copy restored"), std::string::npos) << r.problem;
}

TEST_F(AuditTamperTest, CheckpointSignedByAnotherKeyIsRejected) {
  AuditVerifyOptions o = Options();
  Ed25519Public other = GenerateEd25519().public_key;
  o.key_for = [other](const std::string&) -> StatusOr<Ed25519Public> { return other; };
  auto r = Verify(original_, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.problem.find("signature"), std::string::npos) << r.problem;
}

// B15 at the witness.
class WitnessTest : public AuditTamperTest {};

TEST_F(WitnessTest, AcceptsConsistentGrowthAndCountersigns) {
  Ed25519KeyPair wk = GenerateEd25519();
  Ed25519Public origin_key = keys_.public_key;
  Witness w("node-jp", wk.secret, wk.public_key,
            [origin_key](const std::string&) -> StatusOr<Ed25519Public> { return origin_key; });
  auto first = w.Observe(at20_, 0, {});
  ASSERT_EQ(first.verdict, WitnessVerdict::kAccepted) << first.detail;
  EXPECT_EQ(first.countersigned.signatures_size(), 2);
  // Consistency proof 20 -> 50 from the original log's leaves.
  auto records = *VerifyAuditStore(original_, Options());
  (void)records;
  auto db = Database::Open(original_, "");
  auto s = (*db)->Prepare("SELECT leaf_hash FROM audit_log ORDER BY idx");
  std::vector<merkle::Hash> leaves;
  while (*s->Step()) {
    Bytes h = s->ColumnBlob(0);
    merkle::Hash x;
    std::copy(h.begin(), h.end(), x.begin());
    leaves.push_back(x);
  }
  std::vector<Bytes> proof;
  for (const auto& h : merkle::ConsistencyProof(leaves, 20)) proof.emplace_back(h.begin(), h.end());
  EXPECT_EQ(w.Observe(at50_, 20, proof).verdict, WitnessVerdict::kAccepted);
  EXPECT_EQ(w.Observe(at50_, 50, {}).verdict, WitnessVerdict::kAlreadySeen);

  // B15: a smaller size afterwards is a rollback.
  EXPECT_EQ(w.Observe(at20_, 0, {}).verdict, WitnessVerdict::kRollback);

  // B15: same size, another root, validly signed: a fork.
  v1::Checkpoint forked;
  forked.ParseFromString(at50_.checkpoint());
  forked.set_root(std::string(32, 'f'));
  v1::SignedCheckpoint fork_cp;
  fork_cp.set_checkpoint(forked.SerializeAsString());
  *fork_cp.add_signatures() = SignCheckpointBytes(fork_cp.checkpoint(), "node-us", keys_.secret, keys_.public_key);
  EXPECT_EQ(w.Observe(fork_cp, 50, {}).verdict, WitnessVerdict::kFork);

  // B15: a bad signature.
  v1::SignedCheckpoint bad = at50_;
  bad.mutable_signatures(0)->mutable_signature()->at(0) ^= 1;
  EXPECT_EQ(w.Observe(bad, 50, {}).verdict, WitnessVerdict::kBadSignature);

  // A larger size whose proof does not hold is a fork too.
  forked.set_size(60);
  v1::SignedCheckpoint grown;
  grown.set_checkpoint(forked.SerializeAsString());
  *grown.add_signatures() = SignCheckpointBytes(grown.checkpoint(), "node-us", keys_.secret, keys_.public_key);
  EXPECT_EQ(w.Observe(grown, 50, proof).verdict, WitnessVerdict::kFork);
}

}  // namespace
}  // namespace hotline
