// Issue 18 against real processes: a run with a deliberately missed
// acknowledgment deadline shows it in the after-action report (JSON and
// HTML agree); a log edited afterwards makes `hotline report` refuse, or,
// with --allow-unverified, leave it out and say so.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "cluster.h"
#include "hotline/merkle.h"
#include "hotline/sqlite_db.h"
#include "hotline/v1/report.pb.h"
#include "rogue_peers.h"

namespace hotline::testing {
namespace {

v1::AfterActionReport ReadReport(const fs::path& json) {
  v1::AfterActionReport r;
  auto st = google::protobuf::util::JsonStringToMessage(ReadFileOrDie(json), &r);
  EXPECT_TRUE(st.ok()) << st.message();
  return r;
}

// Edits record `idx` of the log and recomputes its leaf hash, as someone
// covering their tracks would: only the signed checkpoints can tell.
void Rewrite(const fs::path& db_path, int idx) {
  auto db = Database::Open(db_path, "");
  ASSERT_TRUE(db.ok());
  auto s = (*db)->Prepare("SELECT record FROM audit_log WHERE idx=?");
  ASSERT_TRUE(s.ok());
  s->Bind(1, idx);
  ASSERT_TRUE(s->Step().ok());
  Bytes record = s->ColumnBlob(0);
  record[record.size() / 2] ^= 0x20;
  auto u = (*db)->Prepare("UPDATE audit_log SET record=?, leaf_hash=? WHERE idx=?");
  ASSERT_TRUE(u.ok());
  auto leaf = merkle::LeafHash(record);
  u->Bind(1, record).Bind(2, leaf).Bind(3, idx);
  ASSERT_TRUE(u->Run().ok());
}

TEST(AfterActionReportTest, AMissedDeadlineShowsAndAnEditedLogIsRefused) {
  Cluster c;
  c.StartRelay(1);
  // FLASH must be acknowledged within 1 s at US's deadlines: JP will not.
  c.StartNode("us", {1}, {"--deadline", "flash=10s/1s", "--checkpoint-interval", "200ms"});
  c.StartNode("jp", {1}, {"--checkpoint-interval", "200ms"});
  c.StartNode("kr", {1});  // the checkpoint notes to it arrive: the history stays clean
  ASSERT_TRUE(c.WaitLinksUp("us") && c.WaitLinksUp("jp") && c.WaitLinksUp("kr"));
  std::string ignored =
      c.CliOk("us", {"send", "--to", "JP", "--channel", "crisis", "--text", "nobody answers"});
  std::string routine = c.CliOk("us", {"send", "--to", "JP", "--text", "routine, answered"});
  c.CliOk("us", {"wait", routine, "--tier", "delivered", "--timeout", "20"});
  c.CliOk("jp", {"ack", routine});
  c.CliOk("us", {"wait", routine, "--tier", "acknowledged", "--timeout", "20"});
  ASSERT_TRUE(
      Audited(NodeDb(c, "us"), v1::AUDIT_EVENT_OVERDUE, "not acknowledged by its deadline"));
  c.StopAll();  // the final checkpoints cover every record

  fs::path out = c.path() / "report";
  auto r =
      c.Cli({"report", c.path().string(), "--certs", c.certs().string(), "--out", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("VERIFIED: 4 logs"), std::string::npos) << r.output;
  v1::AfterActionReport report = ReadReport(out / "report.json");
  EXPECT_TRUE(report.verified());
  EXPECT_TRUE(report.history().clean());
  ASSERT_EQ(report.messages_size(), 2);
  const auto& missed = report.messages(0);
  EXPECT_EQ(missed.message_id(), ignored);
  EXPECT_EQ(missed.precedence(), v1::PRECEDENCE_FLASH);
  ASSERT_EQ(missed.recipients_size(), 1);
  EXPECT_TRUE(missed.recipients(0).acknowledgment_overdue());
  EXPECT_GT(missed.recipients(0).delivered_ms(), 0);
  EXPECT_EQ(missed.recipients(0).acknowledged_ms(), 0);
  const auto& answered = report.messages(1).recipients(0);
  EXPECT_GT(answered.acknowledged_ms(), 0);
  EXPECT_FALSE(answered.acknowledgment_overdue());
  EXPECT_EQ(answered.acknowledged_by().rfind("cli:", 0), 0u) << answered.acknowledged_by();
  EXPECT_EQ(report.counts().deadlines_missed(), 1u);
  EXPECT_EQ(report.counts().acknowledged(), 1u);
  std::string html = ReadFileOrDie(out / "report.html");
  EXPECT_NE(html.find("<b data-figure=\"counts.deadlines_missed\">1</b>"), std::string::npos);
  EXPECT_NE(html.find("NOT ACKNOWLEDGED IN TIME"), std::string::npos);
  EXPECT_NE(html.find("VERIFIED: every log is intact"), std::string::npos);

  // JP's log edited after the run: no report unless asked, and then JP's
  // log is left out and the page says so.
  Rewrite(NodeDb(c, "jp"), 2);
  fs::path refused = c.path() / "refused";
  r = c.Cli(
      {"report", c.path().string(), "--certs", c.certs().string(), "--out", refused.string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("log not intact: node-jp"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(refused / "report.html"));
  r = c.Cli({"report", c.path().string(), "--certs", c.certs().string(), "--out", refused.string(),
             "--allow-unverified"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("NOT VERIFIED"), std::string::npos) << r.output;
  report = ReadReport(refused / "report.json");
  EXPECT_FALSE(report.verified());
  int left_out = 0;
  for (const auto& log : report.logs()) left_out += !log.intact() && log.origin() == "node-jp";
  EXPECT_EQ(left_out, 1);
  EXPECT_NE(ReadFileOrDie(refused / "report.html").find("NOT VERIFIED"), std::string::npos);
}

}  // namespace
}  // namespace hotline::testing
