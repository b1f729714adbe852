#include "hotline/certs.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "hotline/file_util.h"
#include "hotline/trust_dir.h"
#include "test_util.h"

namespace hotline {
namespace {

constexpr int64_t kSkew = 300;

class CertsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitTrustDirectory(dir_.path(), {.relays = 2, .now_unix = kNow}).ok());
    auto store = LoadTrustStore(dir_.path(), kNow);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_.emplace(std::move(store).value());
  }

  Bytes Cert(const std::string& subject) {
    return *ReadFileBytes(dir_.path() / (subject + ".cert"), 4096);
  }

  CertExpectations Expect(std::optional<v1::Role> role = std::nullopt,
                          std::optional<v1::Nation> nation = std::nullopt) {
    CertExpectations e;
    e.now_unix = kNow;
    e.allowed_skew_seconds = kSkew;
    e.role = role;
    e.nation = nation;
    return e;
  }

  testing::TempDir dir_;
  std::optional<TrustStore> store_;
};

TEST_F(CertsTest, InitCreatesEveryIdentityWithPrivateKeysMode0600) {
  for (std::string s : {"node-us", "node-jp", "node-kr", "relay-1", "relay-2"}) {
    auto mode = FileMode(dir_.path() / (s + ".key"));
    ASSERT_TRUE(mode.ok()) << s;
    EXPECT_EQ(*mode, 0600u) << s;
    EXPECT_EQ(*FileMode(dir_.path() / (s + ".cert")), 0644u) << s;
  }
  for (std::string s : {"root-us", "root-jp", "root-kr"}) {
    EXPECT_EQ(*FileMode(dir_.path() / (s + ".key")), 0600u) << s;
  }
  EXPECT_TRUE(LoadIdentity(dir_.path(), "node-jp").ok());
  EXPECT_TRUE(store_->root().details.demo());
  EXPECT_EQ(store_->root().details.threshold(), 2u);
}

TEST_F(CertsTest, InitRefusesToOverwriteAnExistingRoot) {
  Status st = InitTrustDirectory(dir_.path(), {.relays = 1, .now_unix = kNow});
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists);
}

TEST_F(CertsTest, AcceptsNodeCertificateWithExpectedRoleAndNation) {
  CertCheck c = store_->Verify(Cert("node-kr"), Expect(v1::ROLE_NODE, v1::NATION_KR));
  EXPECT_TRUE(c.ok()) << c.message;
  EXPECT_EQ(c.cert->details.subject(), "node-kr");
}

TEST_F(CertsTest, RejectsWrongRoleAndWrongNation) {
  EXPECT_EQ(store_->Verify(Cert("relay-1"), Expect(v1::ROLE_NODE)).failure,
            CertFailure::kWrongRole);
  EXPECT_EQ(store_->Verify(Cert("node-us"), Expect(v1::ROLE_NODE, v1::NATION_JP)).failure,
            CertFailure::kWrongNation);
}

TEST_F(CertsTest, RejectsCertFromUnknownRoot) {
  testing::TempDir other;
  ASSERT_TRUE(InitTrustDirectory(other.path(), {.relays = 1, .now_unix = kNow}).ok());
  Bytes foreign = *ReadFileBytes(other.path() / "node-us.cert", 4096);
  EXPECT_EQ(store_->Verify(foreign, Expect()).failure, CertFailure::kUnknownIssuer);
}

TEST_F(CertsTest, RejectsForgedSignatureUnderOurIssuerId) {
  auto parsed = ParseCertificate(Cert("node-us"));
  ASSERT_TRUE(parsed.ok());
  v1::CertificateDetails d = parsed->details;
  d.set_nation(v1::NATION_JP);  // an attacker re-labels the cert
  v1::Certificate forged = parsed->certificate;
  forged.set_details(d.SerializeAsString());
  std::string bytes = forged.SerializeAsString();
  EXPECT_EQ(store_->Verify(AsBytes(bytes), Expect()).failure, CertFailure::kBadSignature);
}

TEST_F(CertsTest, ValidityBoundariesAreExactWithSkew) {
  IssueOptions o{"node-late", v1::ROLE_NODE, v1::NATION_US, kNow + 1000, kNow + 2000};
  ASSERT_TRUE(IssueCertificate(dir_.path(), o).ok());
  Bytes cert = Cert("node-late");
  auto at = [&](int64_t now) {
    CertExpectations e = Expect();
    e.now_unix = now;
    return store_->Verify(cert, e).failure;
  };
  EXPECT_EQ(at(kNow + 1000 - kSkew - 1), CertFailure::kNotYetValid);
  EXPECT_EQ(at(kNow + 1000 - kSkew), CertFailure::kNone);
  EXPECT_EQ(at(kNow + 2000 + kSkew), CertFailure::kNone);
  EXPECT_EQ(at(kNow + 2000 + kSkew + 1), CertFailure::kExpired);
}

TEST_F(CertsTest, ANationRevokesItsOwnCertificateAlone) {
  auto parsed = ParseCertificate(Cert("node-jp"));
  ASSERT_TRUE(RevokeCertificate(dir_.path(), {.serial = parsed->details.serial(),
                                              .nation = v1::NATION_JP, .now_unix = kNow})
                  .ok());
  auto store = LoadTrustStore(dir_.path(), kNow);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(store->Verify(Cert("node-jp"), Expect()).failure, CertFailure::kRevoked);
  EXPECT_TRUE(store->Verify(Cert("node-us"), Expect()).ok());
  EXPECT_EQ(store->revocation_list_number(v1::NATION_JP), 1u);
  // Signed by JP's root alone: the file names JP as its issuer.
  v1::RevocationList list;
  ASSERT_TRUE(list.ParseFromString(ToString(
      *ReadFileBytes(RevocationListPath(dir_.path(), v1::NATION_JP), 65536))));
  EXPECT_EQ(list.signatures_size(), 1);
}

TEST_F(CertsTest, RejectsOlderOrForeignRevocationList) {
  ASSERT_TRUE(RevokeCertificate(dir_.path(), {.serial = 41, .nation = v1::NATION_US, .now_unix = kNow}).ok());
  Bytes first = *ReadFileBytes(RevocationListPath(dir_.path(), v1::NATION_US), 65536);
  ASSERT_TRUE(RevokeCertificate(dir_.path(), {.serial = 42, .nation = v1::NATION_US, .now_unix = kNow}).ok());
  Bytes second = *ReadFileBytes(RevocationListPath(dir_.path(), v1::NATION_US), 65536);
  ASSERT_TRUE(store_->AddRevocationList(second).ok());
  EXPECT_EQ(store_->AddRevocationList(first).code(), StatusCode::kFailedPrecondition);
  testing::TempDir other;
  ASSERT_TRUE(InitTrustDirectory(other.path(), {.relays = 1, .now_unix = kNow}).ok());
  ASSERT_TRUE(RevokeCertificate(other.path(), {.serial = 7, .nation = v1::NATION_US, .now_unix = kNow}).ok());
  Bytes foreign = *ReadFileBytes(RevocationListPath(other.path(), v1::NATION_US), 65536);
  EXPECT_EQ(store_->AddRevocationList(foreign).code(), StatusCode::kPermissionDenied);
}

TEST_F(CertsTest, RejectsNoiseKeyMismatch) {
  CertExpectations e = Expect();
  e.noise_public_key = GenerateX25519().public_key;
  EXPECT_EQ(store_->Verify(Cert("node-us"), e).failure, CertFailure::kKeyMismatch);
}

TEST_F(CertsTest, RejectsMalformedAndOversizedCertificates) {
  Bytes garbage = {1, 2, 3, 4, 5};
  EXPECT_EQ(store_->Verify(garbage, Expect()).failure, CertFailure::kMalformed);
  Bytes huge(10000, 0x0a);
  EXPECT_EQ(store_->Verify(huge, Expect()).failure, CertFailure::kMalformed);
  EXPECT_EQ(store_->Verify({}, Expect()).failure, CertFailure::kMalformed);
}

TEST_F(CertsTest, RefusesKeyFileReadableByOthers) {
  ASSERT_EQ(::chmod((dir_.path() / "node-us.key").c_str(), 0644), 0);
  auto id = LoadIdentity(dir_.path(), "node-us");
  EXPECT_EQ(id.status().code(), StatusCode::kPermissionDenied);
}

TEST_F(CertsTest, DescribeShowsFieldsButNoSecrets) {
  auto parsed = ParseCertificate(Cert("node-us"));
  std::string text = DescribeCertificate(*parsed);
  EXPECT_NE(text.find("nation:         US"), std::string::npos);
  auto id = LoadIdentity(dir_.path(), "node-us");
  EXPECT_EQ(text.find(ToHex(id->keys.signing.seed())), std::string::npos);
  EXPECT_EQ(text.find(ToHex(id->keys.noise.secret.view())), std::string::npos);
}

}  // namespace
}  // namespace hotline
