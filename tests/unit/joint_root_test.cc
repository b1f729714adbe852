// The joint trilateral root (issue 14): no single key, folder or nation can
// admit, impersonate or revoke another nation's node.
#include <gtest/gtest.h>

#include "hotline/certs.h"
#include "hotline/file_util.h"
#include "hotline/trust_ceremony.h"
#include "hotline/trust_dir.h"
#include "test_util.h"

namespace hotline {
namespace {

class JointRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitTrustDirectory(dir_.path(), {.relays = 3, .now_unix = kNow}).ok());
    for (v1::Nation n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) {
      auto key = LoadRootKey(RootKeyPath(dir_.path(), n));
      ASSERT_TRUE(key.ok()) << key.status().ToString();
      roots_.emplace(n, *key);
    }
    auto store = LoadTrustStore(dir_.path(), kNow);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_.emplace(std::move(store).value());
  }

  // A node certificate for `nation` signed by `signers`, in that order.
  std::string CertSignedBy(v1::Nation nation, std::vector<const Ed25519KeyPair*> signers) {
    v1::CertificateDetails d;
    d.set_version(1);
    d.set_subject("node-x");
    d.set_nation(nation);
    d.set_role(v1::ROLE_NODE);
    d.set_noise_public_key(std::string(32, 'n'));
    d.set_signing_public_key(ToString(GenerateEd25519().public_key));
    d.set_e2e_public_key(std::string(32, 'e'));
    d.set_not_before_unix(kNow - 10);
    d.set_not_after_unix(kNow + 1000);
    d.set_serial(77);
    v1::Certificate cert;
    cert.set_details(d.SerializeAsString());
    for (const auto* k : signers) AddRootSignature(cert, *k);
    return cert.SerializeAsString();
  }
  CertCheck Check(const std::string& cert) {
    CertExpectations e;
    e.now_unix = kNow;
    return store_->Verify(AsBytes(cert), e);
  }
  const Ed25519KeyPair* Root(v1::Nation n) { return &roots_.at(n); }

  // The folder's root document, re-made: `serial`, `keys` by nation, signed by `signers`.
  std::string Document(uint64_t serial, std::map<v1::Nation, const Ed25519KeyPair*> keys,
                       std::vector<const Ed25519KeyPair*> signers, int64_t expires = kNow + 86400) {
    v1::RootDocumentDetails d;
    d.set_version(1);
    d.set_serial(serial);
    d.set_threshold(2);
    d.set_issued_unix(kNow);
    d.set_expires_unix(expires);
    for (const auto& [nation, key] : keys) {
      auto* k = d.add_keys();
      k->set_nation(nation);
      k->set_signing_public_key(ToString(key->public_key));
    }
    return SignRootDocument(d, signers).SerializeAsString();
  }
  ParsedRootDocument Parsed(const std::string& doc) { return *ParseRootDocument(AsBytes(doc)); }

  testing::TempDir dir_;
  std::map<v1::Nation, Ed25519KeyPair> roots_;
  std::optional<TrustStore> store_;
};

TEST_F(JointRootTest, ACertificateNeedsItsOwnNationAndOneOther) {
  auto us = Root(v1::NATION_US), jp = Root(v1::NATION_JP), kr = Root(v1::NATION_KR);
  EXPECT_TRUE(Check(CertSignedBy(v1::NATION_KR, {kr, us})).ok());
  EXPECT_TRUE(Check(CertSignedBy(v1::NATION_KR, {jp, kr})).ok());
  CertCheck alone = Check(CertSignedBy(v1::NATION_KR, {kr}));
  EXPECT_EQ(alone.failure, CertFailure::kBadSignature);
  EXPECT_NE(alone.message.find("is signed by KR: needs its own nation's root and 1 other"),
            std::string::npos)
      << alone.message;
  // Two other nations may not admit a false "KR" node between them.
  CertCheck false_kr = Check(CertSignedBy(v1::NATION_KR, {us, jp}));
  EXPECT_EQ(false_kr.failure, CertFailure::kBadSignature);
  EXPECT_NE(false_kr.message.find("signed by US, JP"), std::string::npos) << false_kr.message;
  EXPECT_EQ(Check(CertSignedBy(v1::NATION_KR, {})).failure, CertFailure::kUnknownIssuer);
}

TEST_F(JointRootTest, TwoSignaturesByOneKeyCountOnce) {
  auto kr = Root(v1::NATION_KR);
  CertCheck twice = Check(CertSignedBy(v1::NATION_KR, {kr, kr, kr}));
  EXPECT_EQ(twice.failure, CertFailure::kBadSignature) << twice.message;
}

TEST_F(JointRootTest, SignaturesByKeysOutsideTheDocumentCountForNobody) {
  Ed25519KeyPair stranger = GenerateEd25519();
  CertCheck c = Check(CertSignedBy(v1::NATION_KR, {Root(v1::NATION_KR), &stranger}));
  EXPECT_EQ(c.failure, CertFailure::kBadSignature) << c.message;
  // A signature that claims the US key id but was made by another key.
  std::string forged = CertSignedBy(v1::NATION_KR, {Root(v1::NATION_KR), &stranger});
  v1::Certificate cert;
  ASSERT_TRUE(cert.ParseFromString(forged));
  cert.mutable_signatures(1)->set_key_id(ToString(KeyIdOf(Root(v1::NATION_US)->public_key)));
  EXPECT_EQ(Check(cert.SerializeAsString()).failure, CertFailure::kBadSignature);
}

TEST_F(JointRootTest, TheRootDocumentNeedsItsThresholdOfDistinctNations) {
  auto us = Root(v1::NATION_US), jp = Root(v1::NATION_JP), kr = Root(v1::NATION_KR);
  std::map<v1::Nation, const Ed25519KeyPair*> keys = {
      {v1::NATION_US, us}, {v1::NATION_JP, jp}, {v1::NATION_KR, kr}};
  EXPECT_TRUE(CheckRootDocument(Parsed(Document(1, keys, {us, jp})), kNow).ok());
  Status one = CheckRootDocument(Parsed(Document(1, keys, {us, us, us})), kNow);
  EXPECT_EQ(one.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(one.message().find("signed by US: needs 2"), std::string::npos) << one.message();
  EXPECT_EQ(CheckRootDocument(Parsed(Document(1, keys, {us, jp}, kNow - 1)), kNow).code(),
            StatusCode::kPermissionDenied);  // expired
  // One nation, two keys: refused as structure.
  v1::RootDocumentDetails d;
  d.set_version(1);
  d.set_threshold(2);
  for (int i = 0; i < 2; ++i) {
    auto* k = d.add_keys();
    k->set_nation(v1::NATION_US);
    k->set_signing_public_key(std::string(32, static_cast<char>('a' + i)));
  }
  EXPECT_FALSE(ParseRootDocument(AsBytes(SignRootDocument(d, {}).SerializeAsString())).ok());
}

TEST_F(JointRootTest, RotationFollowsAChainAndRefusesRollback) {
  auto us = Root(v1::NATION_US), jp = Root(v1::NATION_JP), kr = Root(v1::NATION_KR);
  Ed25519KeyPair jp2 = GenerateEd25519(), kr2 = GenerateEd25519();
  std::map<v1::Nation, const Ed25519KeyPair*> v1_keys = {
      {v1::NATION_US, us}, {v1::NATION_JP, jp}, {v1::NATION_KR, kr}};
  std::map<v1::Nation, const Ed25519KeyPair*> v2_keys = {
      {v1::NATION_US, us}, {v1::NATION_JP, &jp2}, {v1::NATION_KR, kr}};
  std::map<v1::Nation, const Ed25519KeyPair*> v3_keys = {
      {v1::NATION_US, us}, {v1::NATION_JP, &jp2}, {v1::NATION_KR, &kr2}};
  ParsedRootDocument doc1 = Parsed(Document(1, v1_keys, {us, jp, kr}));
  // JP replaces its key: signed by two of version 1's keys and two of its own.
  ParsedRootDocument doc2 = Parsed(Document(2, v2_keys, {us, jp, &jp2}));
  ParsedRootDocument doc3 = Parsed(Document(3, v3_keys, {us, &jp2, &kr2}));
  EXPECT_TRUE(CheckRootUpdate(doc1, doc2, kNow).ok());
  EXPECT_TRUE(CheckRootUpdate(doc2, doc3, kNow).ok());
  Status skip = CheckRootUpdate(doc1, doc3, kNow);  // only US of version 1 signed 3
  EXPECT_EQ(skip.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(skip.message().find("signed by US of the keys in force"), std::string::npos)
      << skip.message();
  Status rollback = CheckRootUpdate(doc2, doc1, kNow);
  EXPECT_NE(rollback.message().find("rollback refused"), std::string::npos) << rollback.message();
  EXPECT_FALSE(CheckRootUpdate(doc2, doc2, kNow).ok());
  // Not enough of its own keys: the new JP key must agree to its own document.
  ParsedRootDocument unsigned_by_new = Parsed(Document(2, v2_keys, {us, jp}));
  Status own = CheckRootUpdate(doc1, unsigned_by_new, kNow);
  EXPECT_NE(own.message().find("root document 2 is signed by US: needs 2"), std::string::npos)
      << own.message();
  // US and KR may not put a JP key of their making in JP's place: the new key must sign.
  ParsedRootDocument imposed = Parsed(Document(2, v2_keys, {us, kr}));
  Status impose = CheckRootUpdate(doc1, imposed, kNow);
  EXPECT_NE(impose.message().find("new key for JP that did not sign it"), std::string::npos)
      << impose.message();
  // After the rotation the retired JP key no longer certifies anything.
  auto store = TrustStore::Create(AsBytes(doc2.document.SerializeAsString()), kNow);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  CertExpectations e;
  e.now_unix = kNow;
  std::string by_retired = CertSignedBy(v1::NATION_JP, {jp, us});
  CertCheck retired = store->Verify(AsBytes(by_retired), e);
  EXPECT_EQ(retired.failure, CertFailure::kBadSignature) << retired.message;
  EXPECT_TRUE(store->Verify(AsBytes(CertSignedBy(v1::NATION_JP, {&jp2, us})), e).ok());
}

TEST_F(JointRootTest, ANationCannotRevokeAnotherNationsNodeAlone) {
  // JP signs a list of its own that names a KR certificate: refused.
  v1::RevocationListDetails d;
  d.set_version(2);
  d.set_number(1);
  d.set_issuer(v1::NATION_JP);
  auto* r = d.add_revoked();
  r->set_serial(123);
  r->set_nation(v1::NATION_KR);
  std::string list = SignRevocationList(d, {Root(v1::NATION_JP)}).SerializeAsString();
  Status st = store_->AddRevocationList(AsBytes(list));
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(st.message().find("a nation revokes only its own certificates alone"),
            std::string::npos)
      << st.message();
  // A "KR" list signed by JP: refused.
  d.set_issuer(v1::NATION_KR);
  list = SignRevocationList(d, {Root(v1::NATION_JP)}).SerializeAsString();
  EXPECT_EQ(store_->AddRevocationList(AsBytes(list)).code(), StatusCode::kPermissionDenied);
  // The joint list with one signature: refused; with two: accepted.
  d.set_issuer(v1::NATION_UNSPECIFIED);
  list = SignRevocationList(d, {Root(v1::NATION_JP), Root(v1::NATION_JP)}).SerializeAsString();
  EXPECT_EQ(store_->AddRevocationList(AsBytes(list)).code(), StatusCode::kPermissionDenied);
  list = SignRevocationList(d, {Root(v1::NATION_JP), Root(v1::NATION_US)}).SerializeAsString();
  EXPECT_TRUE(store_->AddRevocationList(AsBytes(list)).ok());
  EXPECT_TRUE(store_->IsRevoked(123, v1::NATION_KR));
  EXPECT_FALSE(store_->IsRevoked(123, v1::NATION_US));
  // Through the folder: --joint with only one root key at hand is refused.
  testing::TempDir lone;
  ASSERT_TRUE(WriteFileAtomic(lone.path() / kRootDocumentFile,
                              *ReadFileBytes(dir_.path() / kRootDocumentFile, 4096), 0644)
                  .ok());
  Status joint_alone = RevokeCertificate(
      lone.path(), {.serial = 5, .nation = v1::NATION_KR, .joint = true,
                    .root_key_files = {RootKeyPath(dir_.path(), v1::NATION_JP)}, .now_unix = kNow});
  EXPECT_EQ(joint_alone.code(), StatusCode::kPermissionDenied) << joint_alone.message();
  Status other_alone = RevokeCertificate(
      lone.path(), {.serial = 5, .nation = v1::NATION_KR,
                    .root_key_files = {RootKeyPath(dir_.path(), v1::NATION_JP)}, .now_unix = kNow});
  EXPECT_EQ(other_alone.code(), StatusCode::kPermissionDenied) << other_alone.message();
}

TEST_F(JointRootTest, AKeyListedUnderTwoNationsIsRefused) {
  auto us = Root(v1::NATION_US), jp = Root(v1::NATION_JP);
  // The coordinator slips US's key in as KR's: US alone would be two nations.
  std::string doc = Document(1, {{v1::NATION_US, us}, {v1::NATION_JP, jp}, {v1::NATION_KR, us}},
                             {us, jp});
  auto parsed = ParseRootDocument(AsBytes(doc));
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("distinct 32-byte keys"), std::string::npos);
}

TEST_F(JointRootTest, NoListCanTakeBackARevocation) {
  auto us = Root(v1::NATION_US), jp = Root(v1::NATION_JP), kr = Root(v1::NATION_KR);
  auto list = [](v1::Nation issuer, uint64_t number, std::vector<uint64_t> kr_serials) {
    v1::RevocationListDetails d;
    d.set_version(2);
    d.set_number(number);
    d.set_issuer(issuer);
    for (uint64_t s : kr_serials) {
      auto* r = d.add_revoked();
      r->set_serial(s);
      r->set_nation(v1::NATION_KR);
    }
    return d;
  };
  // US and JP jointly revoke a compromised KR node; KR's own list (which
  // does not name it) cannot bring it back, whatever the order.
  ASSERT_TRUE(store_->AddRevocationList(AsBytes(
      SignRevocationList(list(v1::NATION_UNSPECIFIED, 1, {500}), {us, jp}).SerializeAsString())).ok());
  ASSERT_TRUE(store_->AddRevocationList(AsBytes(
      SignRevocationList(list(v1::NATION_KR, 1, {600}), {kr}).SerializeAsString())).ok());
  EXPECT_TRUE(store_->IsRevoked(500, v1::NATION_KR));
  EXPECT_TRUE(store_->IsRevoked(600, v1::NATION_KR));
  // A newer KR list that leaves out 600 (KR's key stolen, a node brought back): refused.
  Status dropped = store_->AddRevocationList(AsBytes(
      SignRevocationList(list(v1::NATION_KR, 2, {}), {kr}).SerializeAsString()));
  EXPECT_NE(dropped.message().find("drops the revocation of KR serial 600"), std::string::npos)
      << dropped.message();
  EXPECT_TRUE(store_->IsRevoked(600, v1::NATION_KR));
  // Another list with the same number: refused; the same one again: harmless.
  EXPECT_FALSE(store_->AddRevocationList(AsBytes(
      SignRevocationList(list(v1::NATION_KR, 1, {600, 601}), {kr}).SerializeAsString())).ok());
  EXPECT_TRUE(store_->AddRevocationList(AsBytes(
      SignRevocationList(list(v1::NATION_KR, 2, {600, 601}), {kr}).SerializeAsString())).ok());
  EXPECT_TRUE(store_->IsRevoked(601, v1::NATION_KR));
}

TEST_F(JointRootTest, ASubjectCannotNameAPath) {
  std::string cert = CertSignedBy(v1::NATION_KR, {Root(v1::NATION_KR), Root(v1::NATION_US)});
  v1::Certificate c;
  ASSERT_TRUE(c.ParseFromString(cert));
  v1::CertificateDetails d;
  ASSERT_TRUE(d.ParseFromString(c.details()));
  for (const char* bad : {"../x", "/etc/passwd", "node_kr", "Node-KR", "root-kr", ""}) {
    d.set_subject(bad);
    c.set_details(d.SerializeAsString());
    EXPECT_FALSE(ParseCertificate(AsBytes(c.SerializeAsString())).ok()) << bad;
    // The same rule where keys are made: no request is made for a subject
    // that could never be assembled.
    IssueOptions o{bad, v1::ROLE_NODE, v1::NATION_KR, kNow, kNow + 10};
    EXPECT_FALSE(MakeSubjectKeys(dir_.path(), o).ok()) << bad;
  }
}

TEST_F(JointRootTest, RelaysBelongToANationToo) {
  for (auto [subject, nation] : std::vector<std::pair<std::string, v1::Nation>>{
           {"relay-1", v1::NATION_US}, {"relay-2", v1::NATION_JP}, {"relay-3", v1::NATION_KR}}) {
    Bytes cert = *ReadFileBytes(dir_.path() / (subject + ".cert"), 4096);
    CertExpectations e;
    e.now_unix = kNow;
    e.role = v1::ROLE_RELAY;
    e.nation = nation;
    CertCheck c = store_->Verify(cert, e);
    EXPECT_TRUE(c.ok()) << subject << ": " << c.message;
  }
}

// A national root never certifies one serial twice for different keys
// (serials are chosen by the requester): its own record refuses it.
TEST_F(JointRootTest, ARootSignsASerialOnlyForOneSetOfKeys) {
  auto request_with_serial = [&](const std::string& name, uint64_t serial) {
    Ed25519KeyPair signing = GenerateEd25519();
    v1::CertificateDetails d;
    d.set_version(1);
    d.set_subject("node-jp");
    d.set_nation(v1::NATION_JP);
    d.set_role(v1::ROLE_NODE);
    d.set_noise_public_key(ToString(GenerateX25519().public_key));
    d.set_signing_public_key(ToString(signing.public_key));
    d.set_e2e_public_key(ToString(GenerateX25519().public_key));
    d.set_not_before_unix(kNow);
    d.set_not_after_unix(kNow + 1000);
    d.set_serial(serial);
    v1::CertificateRequest r;
    r.set_details(d.SerializeAsString());
    r.set_proof(ToString(Ed25519Sign(
        signing.secret, DomainSeparated(kCertificateRequestTag, {AsBytes(r.details())}))));
    std::filesystem::path path = dir_.path() / name;
    std::string bytes = r.SerializeAsString();
    EXPECT_TRUE(WriteFileAtomic(path, AsBytes(bytes), 0644).ok());
    return path;
  };
  std::filesystem::path key = RootKeyPath(dir_.path(), v1::NATION_JP);
  auto first = request_with_serial("first.req", 4242);
  ASSERT_TRUE(SignCertificateRequest(first, key, kNow).ok());
  auto review = ReviewCertificateRequest(first, key);
  ASSERT_TRUE(review.ok());
  EXPECT_EQ(review->signed_before_unix, kNow);  // the very same details: harmless
  EXPECT_EQ(review->key_ids_signed.size(), 1u);
  auto second = request_with_serial("second.req", 4242);
  auto refused = SignCertificateRequest(second, key, kNow);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("serial 4242 of JP was already signed"),
            std::string::npos)
      << refused.status().ToString();
  EXPECT_TRUE(SignCertificateRequest(request_with_serial("third.req", 4243), key, kNow).ok());
}

}  // namespace
}  // namespace hotline
