// TrustKeeper (issue 14 items 4-5): what a host takes from links, operators
// and its trust folder, and that neither a restart nor a folder copied
// back from a backup ever goes back to an older root document or list.
#include "hotline/trust_keeper.h"

#include <gtest/gtest.h>

#include "hotline/file_util.h"
#include "hotline/trust_dir.h"
#include "test_util.h"

namespace hotline {
namespace {

class TrustKeeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitTrustDirectory(folder(), {.relays = 1, .now_unix = kNow}).ok());
    for (v1::Nation n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) {
      roots_.emplace(n, *LoadRootKey(RootKeyPath(folder(), n)));
    }
  }
  std::filesystem::path folder() const { return dir_.path() / "certs"; }
  std::filesystem::path ledger() const { return dir_.path() / "data" / "trust.db"; }
  std::unique_ptr<TrustKeeper> Open(std::vector<TrustResult>* results = nullptr) {
    std::filesystem::create_directories(ledger().parent_path());
    auto keeper = TrustKeeper::Open(folder(), ledger(), kNow, results);
    EXPECT_TRUE(keeper.ok()) << keeper.status().ToString();
    return keeper.ok() ? std::move(keeper).value() : nullptr;
  }
  const Ed25519KeyPair* Root(v1::Nation n) { return &roots_.at(n); }

  v1::TrustDocument List(v1::Nation issuer, uint64_t number, std::vector<uint64_t> serials,
                         std::vector<const Ed25519KeyPair*> signers) {
    v1::RevocationListDetails d;
    d.set_version(2);
    d.set_number(number);
    d.set_issuer(issuer);
    d.set_issued_at_unix(kNow);
    for (uint64_t s : serials) {
      auto* r = d.add_revoked();
      r->set_serial(s);
      r->set_nation(issuer == v1::NATION_UNSPECIFIED ? v1::NATION_KR : issuer);
    }
    v1::TrustDocument doc;
    doc.set_revocation_list(SignRevocationList(d, signers).SerializeAsString());
    return doc;
  }
  // Root document `serial` with JP's key `jp`, signed by `signers`.
  v1::TrustDocument Root(uint64_t serial, const Ed25519KeyPair& jp,
                         std::vector<const Ed25519KeyPair*> signers) {
    v1::RootDocumentDetails d;
    d.set_version(1);
    d.set_serial(serial);
    d.set_threshold(2);
    d.set_issued_unix(kNow);
    d.set_expires_unix(kNow + 86400);
    for (auto [nation, key] :
         {std::pair{v1::NATION_US, Root(v1::NATION_US)}, std::pair{v1::NATION_JP, &jp},
          std::pair{v1::NATION_KR, Root(v1::NATION_KR)}}) {
      auto* k = d.add_keys();
      k->set_nation(nation);
      k->set_signing_public_key(ToString(key->public_key));
    }
    v1::TrustDocument doc;
    doc.set_root_document(SignRootDocument(d, signers).SerializeAsString());
    return doc;
  }
  void WriteToFolder(const v1::TrustDocument& doc) {
    if (doc.has_root_document()) {
      ASSERT_TRUE(
          WriteFileAtomic(folder() / kRootDocumentFile, AsBytes(doc.root_document()), 0644).ok());
    } else {
      auto details = v1::RevocationListDetails();
      v1::RevocationList list;
      list.ParseFromString(doc.revocation_list());
      details.ParseFromString(list.details());
      ASSERT_TRUE(WriteFileAtomic(RevocationListPath(folder(), details.issuer()),
                                  AsBytes(doc.revocation_list()), 0644)
                      .ok());
    }
  }

  testing::TempDir dir_;
  std::map<v1::Nation, Ed25519KeyPair> roots_;
};

TEST_F(TrustKeeperTest, ANewerListIsTakenOnceAndAnOlderOneIgnored) {
  auto keeper = Open();
  auto first = List(v1::NATION_KR, 1, {501}, {Root(v1::NATION_KR)});
  TrustResult r = keeper->Offer(first, kNow);
  EXPECT_EQ(r.outcome, TrustOutcome::kApplied) << r.reason;
  EXPECT_EQ(r.what, "revocation list KR #1");
  ASSERT_EQ(r.newly_revoked.size(), 1u);
  EXPECT_EQ(r.newly_revoked[0], std::make_pair(uint64_t{501}, v1::NATION_KR));
  EXPECT_TRUE(keeper->store().IsRevoked(501, v1::NATION_KR));
  EXPECT_EQ(keeper->Offer(first, kNow).outcome, TrustOutcome::kUnchanged);
  auto second = List(v1::NATION_KR, 2, {501, 502}, {Root(v1::NATION_KR)});
  r = keeper->Offer(second, kNow);
  EXPECT_EQ(r.outcome, TrustOutcome::kApplied);
  ASSERT_EQ(r.newly_revoked.size(), 1u);  // 501 was revoked already
  EXPECT_EQ(keeper->Offer(first, kNow).outcome, TrustOutcome::kStale);
  auto summary = keeper->Summary();
  ASSERT_EQ(summary.lists_size(), 1);
  EXPECT_EQ(summary.lists(0).number(), 2u);
  EXPECT_EQ(summary.lists(0).revoked(), 2u);
}

TEST_F(TrustKeeperTest, AForgedOrForeignListIsRefused) {
  auto keeper = Open();
  // JP cannot revoke KR's node alone, nor can a list signed by nobody.
  v1::RevocationListDetails d;
  d.set_version(2);
  d.set_number(1);
  d.set_issuer(v1::NATION_JP);
  auto* e = d.add_revoked();
  e->set_serial(9);
  e->set_nation(v1::NATION_KR);
  v1::TrustDocument foreign;
  foreign.set_revocation_list(SignRevocationList(d, {Root(v1::NATION_JP)}).SerializeAsString());
  TrustResult r = keeper->Offer(foreign, kNow);
  EXPECT_EQ(r.outcome, TrustOutcome::kRefused);
  EXPECT_NE(r.reason.find("revokes only its own"), std::string::npos) << r.reason;
  r = keeper->Offer(List(v1::NATION_UNSPECIFIED, 1, {9}, {Root(v1::NATION_JP)}), kNow);
  EXPECT_EQ(r.outcome, TrustOutcome::kRefused);
  EXPECT_NE(r.reason.find("needs 2 nations"), std::string::npos) << r.reason;
  v1::TrustDocument garbage;
  garbage.set_revocation_list("not a list");
  EXPECT_EQ(keeper->Offer(garbage, kNow).outcome, TrustOutcome::kRefused);
  EXPECT_EQ(keeper->Offer(v1::TrustDocument(), kNow).outcome, TrustOutcome::kRefused);
  EXPECT_FALSE(keeper->store().IsRevoked(9, v1::NATION_KR));
  // The joint list with two nations' signatures may revoke KR's.
  r = keeper->Offer(
      List(v1::NATION_UNSPECIFIED, 1, {9}, {Root(v1::NATION_JP), Root(v1::NATION_US)}), kNow);
  EXPECT_EQ(r.outcome, TrustOutcome::kApplied) << r.reason;
  EXPECT_TRUE(keeper->store().IsRevoked(9, v1::NATION_KR));
}

// Rollback by file copy: after a restart the ledger, not an older folder, decides.
TEST_F(TrustKeeperTest, ARestartWithAnOlderFolderKeepsWhatWasTaken) {
  Ed25519KeyPair new_jp = GenerateEd25519();
  auto us = Root(v1::NATION_US), old_jp = Root(v1::NATION_JP);
  std::string old_root = ToString(*ReadFileBytes(folder() / kRootDocumentFile, 1 << 16));
  {
    auto keeper = Open();
    ASSERT_EQ(keeper->Offer(List(v1::NATION_KR, 3, {7}, {Root(v1::NATION_KR)}), kNow).outcome,
              TrustOutcome::kApplied);
    TrustResult r = keeper->Offer(Root(2, new_jp, {us, old_jp, &new_jp}), kNow);
    ASSERT_EQ(r.outcome, TrustOutcome::kApplied) << r.reason;
    EXPECT_TRUE(r.root_replaced);
  }
  // The folder still holds document 1 and no list (as if restored from a backup).
  std::vector<TrustResult> results;
  auto keeper = Open(&results);
  EXPECT_EQ(keeper->store().root().details.serial(), 2u);
  EXPECT_TRUE(keeper->store().IsRevoked(7, v1::NATION_KR));
  bool saw_stale_root = false;
  for (const auto& r : results)
    saw_stale_root |= r.outcome == TrustOutcome::kStale && r.what == "root document 1";
  EXPECT_TRUE(saw_stale_root);
  v1::TrustDocument old;
  old.set_root_document(old_root);
  EXPECT_EQ(keeper->Offer(old, kNow).outcome, TrustOutcome::kStale);
  // What a new link is sent: the root first, then the lists.
  auto in_force = keeper->InForce();
  ASSERT_EQ(in_force.size(), 2u);
  EXPECT_EQ(DescribeTrustDocument(in_force[0]), "root document 2");
  EXPECT_EQ(DescribeTrustDocument(in_force[1]), "revocation list KR #3");
}

// A list signed under the old JP key stays in force after the rotation
// (nothing is un-revoked), and after a restart too; new JP lists need the new key.
TEST_F(TrustKeeperTest, RevocationsSurviveARootRotation) {
  Ed25519KeyPair new_jp = GenerateEd25519();
  auto us = Root(v1::NATION_US), old_jp = Root(v1::NATION_JP);
  {
    auto keeper = Open();
    ASSERT_EQ(keeper->Offer(List(v1::NATION_JP, 1, {11}, {old_jp}), kNow).outcome,
              TrustOutcome::kApplied);
    // Not signed by the new key itself: refused.
    TrustResult r = keeper->Offer(Root(2, new_jp, {us, old_jp}), kNow);
    EXPECT_EQ(r.outcome, TrustOutcome::kRefused);
    ASSERT_EQ(keeper->Offer(Root(2, new_jp, {us, old_jp, &new_jp}), kNow).outcome,
              TrustOutcome::kApplied);
    EXPECT_TRUE(keeper->store().IsRevoked(11, v1::NATION_JP));
    r = keeper->Offer(List(v1::NATION_JP, 2, {11, 12}, {old_jp}), kNow);
    EXPECT_EQ(r.outcome, TrustOutcome::kStale) << "the old key no longer counts";
    EXPECT_NE(r.reason.find("signed by no key of root document 2"), std::string::npos) << r.reason;
  }
  auto keeper = Open();
  EXPECT_TRUE(keeper->store().IsRevoked(11, v1::NATION_JP));
  TrustResult r = keeper->Offer(List(v1::NATION_JP, 2, {11, 12}, {&new_jp}), kNow);
  EXPECT_EQ(r.outcome, TrustOutcome::kApplied) << r.reason;
}

// The folder is one more source: a list dropped into it is taken; a bad one
// is refused without stopping a host that has started before.
TEST_F(TrustKeeperTest, TheFolderIsOfferedLikeALink) {
  auto keeper = Open();
  WriteToFolder(List(v1::NATION_US, 1, {21}, {Root(v1::NATION_US)}));
  auto results = keeper->OfferFolder(kNow);
  ASSERT_EQ(results.size(), 2u);  // root.doc (unchanged) and the US list
  EXPECT_EQ(results[0].outcome, TrustOutcome::kUnchanged);
  EXPECT_EQ(results[1].outcome, TrustOutcome::kApplied);
  EXPECT_TRUE(keeper->store().IsRevoked(21, v1::NATION_US));
  WriteToFolder(List(v1::NATION_KR, 1, {22}, {Root(v1::NATION_US)}));  // KR's list, US's signature
  results = keeper->OfferFolder(kNow);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[2].outcome, TrustOutcome::kRefused);
  auto again = Open();  // a restart with that bad file present still starts
  EXPECT_TRUE(again->store().IsRevoked(21, v1::NATION_US));
}

// A thief of JP's root key pushes JP's list number to the maximum before
// JP rotates its key: the rotation retires that list (its revocations stay)
// and JP's new key starts its numbering afresh.
TEST_F(TrustKeeperTest, ARotationRetiresListsOfTheOldKeyAndFreesTheirNumbering) {
  Ed25519KeyPair new_jp = GenerateEd25519();
  auto us = Root(v1::NATION_US), old_jp = Root(v1::NATION_JP);
  {
    auto keeper = Open();
    auto poisoned = List(v1::NATION_JP, UINT64_MAX, {31}, {old_jp});
    ASSERT_EQ(keeper->Offer(poisoned, kNow).outcome, TrustOutcome::kApplied);
    EXPECT_EQ(keeper->Offer(List(v1::NATION_JP, 1, {31, 32}, {old_jp}), kNow).outcome,
              TrustOutcome::kStale);
    TrustResult r = keeper->Offer(Root(2, new_jp, {us, old_jp, &new_jp}), kNow);
    ASSERT_EQ(r.outcome, TrustOutcome::kApplied) << r.reason;
    EXPECT_NE(r.reason.find("revocation(s) stay in force"), std::string::npos) << r.reason;
    EXPECT_EQ(keeper->InForce().size(), 1u) << "the retired list is no longer sent";
  }
  auto keeper = Open();
  EXPECT_TRUE(keeper->store().IsRevoked(31, v1::NATION_JP)) << "retired, never un-revoked";
  TrustResult r = keeper->Offer(List(v1::NATION_JP, 1, {33}, {&new_jp}), kNow);
  EXPECT_EQ(r.outcome, TrustOutcome::kApplied) << r.reason;
  EXPECT_TRUE(keeper->store().IsRevoked(31, v1::NATION_JP));
  EXPECT_TRUE(keeper->store().IsRevoked(33, v1::NATION_JP));
}

// Two validly signed lists with one number: the first stays, the second
// is a conflict, said once however often it is offered.
TEST_F(TrustKeeperTest, TwoDifferentListsWithOneNumberAreAConflict) {
  auto keeper = Open();
  ASSERT_EQ(keeper->Offer(List(v1::NATION_KR, 4, {41}, {Root(v1::NATION_KR)}), kNow).outcome,
            TrustOutcome::kApplied);
  auto other = List(v1::NATION_KR, 4, {42}, {Root(v1::NATION_KR)});
  TrustResult r = keeper->Offer(other, kNow);
  EXPECT_EQ(r.outcome, TrustOutcome::kConflict) << r.reason;
  EXPECT_FALSE(r.repeated);
  EXPECT_TRUE(keeper->Offer(other, kNow).repeated);
  EXPECT_FALSE(keeper->store().IsRevoked(42, v1::NATION_KR));
  // An unsigned one with that number is merely stale.
  EXPECT_EQ(keeper->Offer(List(v1::NATION_KR, 4, {43}, {Root(v1::NATION_US)}), kNow).outcome,
            TrustOutcome::kStale);
}

// More signatures than any honest document carries count for nobody (each
// would cost a verification).
TEST_F(TrustKeeperTest, TooManySignaturesCountForNobody) {
  auto keeper = Open();
  std::vector<const Ed25519KeyPair*> signers(9, Root(v1::NATION_KR));
  TrustResult r = keeper->Offer(List(v1::NATION_KR, 1, {51}, signers), kNow);
  EXPECT_EQ(r.outcome, TrustOutcome::kRefused);
  EXPECT_FALSE(keeper->store().IsRevoked(51, v1::NATION_KR));
}

// The root document in force expired while the host was down: its
// successor in the folder lets it start.
TEST_F(TrustKeeperTest, AnExpiredRootInForceGivesWayToItsSuccessorInTheFolder) {
  (void)Open();
  Ed25519KeyPair new_jp = GenerateEd25519();
  auto next = Root(2, new_jp, {Root(v1::NATION_US), Root(v1::NATION_JP), &new_jp});
  WriteToFolder(next);
  int64_t later = kNow + 400 * 86400LL;  // past the demo document's 365 days, and next's 1 day
  auto expired = TrustKeeper::Open(folder(), ledger(), later, nullptr);
  EXPECT_FALSE(expired.ok()) << "the successor has expired too";
  // A successor valid at that time.
  v1::RootDocumentDetails d;
  d.set_version(1);
  d.set_serial(3);
  d.set_threshold(2);
  d.set_issued_unix(later);
  d.set_expires_unix(later + 86400);
  for (auto n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) {
    auto* k = d.add_keys();
    k->set_nation(n);
    k->set_signing_public_key(ToString(Root(n)->public_key));
  }
  v1::TrustDocument fresh;
  fresh.set_root_document(
      SignRootDocument(d, {Root(v1::NATION_US), Root(v1::NATION_JP), Root(v1::NATION_KR)})
          .SerializeAsString());
  WriteToFolder(fresh);
  auto keeper = TrustKeeper::Open(folder(), ledger(), later, nullptr);
  ASSERT_TRUE(keeper.ok()) << keeper.status().ToString();
  EXPECT_EQ((*keeper)->store().root().details.serial(), 3u);
}

}  // namespace
}  // namespace hotline
