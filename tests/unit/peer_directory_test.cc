#include "node/peer_directory.h"

#include <gtest/gtest.h>

#include "hotline/net_util.h"
#include "hotline/trust_dir.h"
#include "test_util.h"

namespace hotline::node {
namespace {

class PeerDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitTrustDirectory(dir_.path(), {1, now_ - 86400, 30}).ok());
  }
  PeerDirectory Load(int64_t now, const std::filesystem::path& archive = {}) {
    auto trust = LoadTrustStore(dir_.path());
    trust_.emplace(std::move(trust).value());
    PeerDirectory::Options options;
    options.now_unix = now;
    options.archive_dir = archive;
    return PeerDirectory::Load(dir_.path(), *trust_, v1::NATION_US, options);
  }
  uint64_t Serial(const std::string& subject) {
    return LoadCertificateFile(dir_.path() / (subject + ".cert"))->details.serial();
  }
  testing::TempDir dir_;
  int64_t now_ = NowUnix();
  std::optional<TrustStore> trust_;
};

TEST_F(PeerDirectoryTest, KnowsEachOtherNationsCurrentCertificate) {
  PeerDirectory d = Load(now_);
  EXPECT_TRUE(d.problems().empty());
  ASSERT_NE(d.Current(v1::NATION_JP), nullptr);
  ASSERT_NE(d.Current(v1::NATION_KR), nullptr);
  EXPECT_EQ(d.Current(v1::NATION_US), nullptr);  // ourselves
  EXPECT_TRUE(d.CheckUse(v1::NATION_JP, Serial("node-jp"), now_ * 1000, now_ * 1000, *trust_).ok());
  EXPECT_EQ(
      d.CheckUse(v1::NATION_JP, Serial("node-jp") ^ 1, now_ * 1000, now_ * 1000, *trust_).code(),
      StatusCode::kNotFound);
  EXPECT_EQ(d.CheckUse(v1::NATION_KR, Serial("node-jp"), now_ * 1000, now_ * 1000, *trust_).code(),
            StatusCode::kNotFound);  // a JP serial does not speak for KR
}

TEST_F(PeerDirectoryTest, ARenewedCertificateStillOpensWhatWasMadeUnderItForTheGracePeriod) {
  uint64_t old = Serial("node-jp");
  ASSERT_TRUE(
      IssueCertificate(dir_.path(), {"node-jp", v1::ROLE_NODE, v1::NATION_JP, now_, now_ + 86400})
          .ok());
  PeerDirectory d = Load(now_);
  ASSERT_NE(d.Find(v1::NATION_JP, old), nullptr);
  EXPECT_FALSE(d.Find(v1::NATION_JP, old)->current);
  EXPECT_EQ(d.Current(v1::NATION_JP)->details.serial(), Serial("node-jp"));
  int64_t made = (now_ - 10) * 1000;
  EXPECT_TRUE(d.CheckUse(v1::NATION_JP, old, made, (now_ + 71 * 3600) * 1000, *trust_).ok());
  Status late = d.CheckUse(v1::NATION_JP, old, made, (now_ + 73 * 3600) * 1000, *trust_);
  EXPECT_EQ(late.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(late.message().find("stopped being current"), std::string::npos) << late.message();
}

// A nation whose trust folder received only the renewed certificate (no
// previous/) still opens what was signed under the old one: the node kept
// every certificate it verified in its own archive.
TEST_F(PeerDirectoryTest, ArchivedCertificatesOutliveTheFileTheyCameFrom) {
  testing::TempDir archive;
  uint64_t old = Serial("node-jp");
  Load(now_, archive.path());  // sees and archives the current one
  ASSERT_TRUE(
      IssueCertificate(dir_.path(), {"node-jp", v1::ROLE_NODE, v1::NATION_JP, now_, now_ + 86400})
          .ok());
  std::filesystem::remove_all(dir_.path() / "previous");
  EXPECT_EQ(Load(now_).Find(v1::NATION_JP, old), nullptr);  // the folder alone has lost it
  PeerDirectory d = Load(now_, archive.path());
  ASSERT_NE(d.Find(v1::NATION_JP, old), nullptr);
  EXPECT_FALSE(d.Find(v1::NATION_JP, old)->current);
  EXPECT_EQ(d.Find(v1::NATION_JP, old)->superseded_at_unix, now_);
  EXPECT_TRUE(d.CheckUse(v1::NATION_JP, old, (now_ - 10) * 1000, now_ * 1000, *trust_).ok());
}

// Each replaced certificate stopped being current when its successor began,
// not when the newest one did.
TEST_F(PeerDirectoryTest, EachEarlierCertificateEndsWhereItsSuccessorBegins) {
  uint64_t first = Serial("node-jp");
  ASSERT_TRUE(IssueCertificate(dir_.path(),
                               {"node-jp", v1::ROLE_NODE, v1::NATION_JP, now_ - 3600, now_ + 86400})
                  .ok());
  uint64_t second = Serial("node-jp");
  ASSERT_TRUE(
      IssueCertificate(dir_.path(), {"node-jp", v1::ROLE_NODE, v1::NATION_JP, now_, now_ + 86400})
          .ok());
  PeerDirectory d = Load(now_);
  EXPECT_EQ(d.Find(v1::NATION_JP, first)->superseded_at_unix, now_ - 3600);
  EXPECT_EQ(d.Find(v1::NATION_JP, second)->superseded_at_unix, now_);
  EXPECT_TRUE(d.Find(v1::NATION_JP, Serial("node-jp"))->current);
}

TEST_F(PeerDirectoryTest, RevokedAndOutOfValidityUsesAreRefused) {
  uint64_t jp = Serial("node-jp");
  ASSERT_TRUE(RevokeCertificate(dir_.path(), {.serial = jp, .nation = v1::NATION_JP, .now_unix = now_}).ok());
  PeerDirectory d = Load(now_);
  Status revoked = d.CheckUse(v1::NATION_JP, jp, now_ * 1000, now_ * 1000, *trust_);
  EXPECT_NE(revoked.message().find("is revoked"), std::string::npos) << revoked.message();
  uint64_t kr = Serial("node-kr");
  int64_t after_expiry =
      (now_ + 32 * 86400) * 1000;  // past the 24 h tolerance for the sender's clock
  Status outside = d.CheckUse(v1::NATION_KR, kr, after_expiry, now_ * 1000, *trust_);
  EXPECT_NE(outside.message().find("outside certificate serial"), std::string::npos)
      << outside.message();
}

TEST_F(PeerDirectoryTest, AnExpiredOrMissingCertificateIsAProblemNotAFailure) {
  ASSERT_TRUE(IssueCertificate(dir_.path(),
                               {"node-jp", v1::ROLE_NODE, v1::NATION_JP, now_ - 7200, now_ - 3600})
                  .ok());
  std::filesystem::remove(dir_.path() / "node-kr.cert");
  PeerDirectory d = Load(now_);
  EXPECT_EQ(d.Current(v1::NATION_JP), nullptr);
  EXPECT_EQ(d.Current(v1::NATION_KR), nullptr);
  ASSERT_EQ(d.problems().size(), 2u);
  EXPECT_NE(d.ProblemFor(v1::NATION_JP).find("expired at"), std::string::npos)
      << d.ProblemFor(v1::NATION_JP);
  EXPECT_NE(d.ProblemFor(v1::NATION_KR).find("node-kr.cert"), std::string::npos);
  // Still opens what JP made while its certificate was valid, within grace.
  uint64_t jp = Serial("node-jp");
  EXPECT_TRUE(d.CheckUse(v1::NATION_JP, jp, (now_ - 5000) * 1000, now_ * 1000, *trust_).ok());
}

TEST_F(PeerDirectoryTest, ExpiryWarningsNameTheFileAndTheTimeInUtc) {
  ASSERT_TRUE(IssueCertificate(dir_.path(), {"relay-1", v1::ROLE_RELAY, v1::NATION_US,
                                             now_ - 60, now_ + 2 * 86400 + 60})
                  .ok());
  auto warnings = CertificateExpiryWarnings(dir_.path(), now_, 14 * 86400);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("CERTIFICATE EXPIRING: relay-1.cert"), std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[0].find("(in 2 days)"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("Z"), std::string::npos);
  EXPECT_TRUE(CertificateExpiryWarnings(dir_.path(), now_, 86400).empty());
}

}  // namespace
}  // namespace hotline::node
