// Audit logs with the real binaries: witnessing over the hotline, verify,
// reconcile, prove / check-proof, and a restored older copy caught by the
// witnesses' evidence.
#include <gtest/gtest.h>

#include "cluster.h"
#include "hotline/sqlite_db.h"

namespace hotline::testing {
namespace {

int WitnessedRows(const fs::path& store, const std::string& origin) {
  auto db = Database::Open(store, "");
  if (!db.ok()) return -1;
  auto s = (*db)->Prepare("SELECT count(*) FROM witnessed WHERE origin=?");
  if (!s.ok()) return -1;
  s->BindText(1, origin);
  (void)s->Step();
  return static_cast<int>(s->ColumnInt(0));
}

TEST(AuditIntegrationTest, WitnessedLogsVerifyReconcileProveAndCatchARestoredCopy) {
  Cluster c;
  c.StartRelay(1);
  std::vector<std::string> fast = {"--checkpoint-interval-ms", "200"};
  for (const char* n : {"us", "jp", "kr"}) c.StartNode(n, {1}, fast);
  for (const char* n : {"us", "jp", "kr"}) ASSERT_TRUE(c.WaitLinksUp(n));
  std::string id = c.CliOk("us", {"send", "--to", "all", "--channel", "crisis", "--text", "first"});
  c.CliOk("us", {"wait", id, "--tier", "delivered", "--timeout", "20"});
  ASSERT_TRUE(WaitUntil([&] { return WitnessedRows(c.NodeData("jp") / "node.db", "node-us") > 0; }));

  // Keep a copy of US's log as it is now, then let it grow and be witnessed again.
  c.StopNode("us");
  fs::copy_file(c.NodeData("us") / "node.db", c.path() / "us-older.db");
  int before = WitnessedRows(c.NodeData("jp") / "node.db", "node-us");
  c.StartNode("us", {1}, fast);
  ASSERT_TRUE(c.WaitLinksUp("us"));
  std::string second = c.CliOk("us", {"send", "--to", "JP", "--text", "second"});
  c.CliOk("us", {"wait", second, "--tier", "delivered", "--timeout", "20"});
  ASSERT_TRUE(WaitUntil([&] { return WitnessedRows(c.NodeData("jp") / "node.db", "node-us") > before; }));
  // Let in-flight messages (checkpoint notes too) settle before stopping.
  ASSERT_TRUE(WaitUntil([&] {
    return c.Cli({"audit", "reconcile", c.path().string(), "--certs", c.certs().string()})
               .exit_code == 0;
  }));
  c.StopAll();

  std::string certs = c.certs().string();
  auto verify = c.Cli({"audit", "verify", (c.NodeData("us") / "node.db").string(), "--certs", certs,
                       "--witness", c.NodeData("jp").string(), "--witness", c.NodeData("kr").string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_NE(verify.output.find("OK node-us"), std::string::npos) << verify.output;

  // reconcile = every log verified (against what the others witnessed), then the history.
  auto reconcile = c.Cli({"audit", "reconcile", c.path().string(), "--certs", certs});
  EXPECT_EQ(reconcile.exit_code, 0) << reconcile.output;
  EXPECT_NE(reconcile.output.find("OK node-us"), std::string::npos) << reconcile.output;
  EXPECT_NE(reconcile.output.find("witnessed copies)"), std::string::npos) << reconcile.output;
  EXPECT_NE(reconcile.output.find("CLEAN"), std::string::npos) << reconcile.output;
  // The same reports as proto3 JSON, one object each.
  auto verify_json = c.Cli({"audit", "verify", (c.NodeData("us") / "node.db").string(), "--certs",
                            certs, "--witness", c.NodeData("jp").string(), "--json"});
  EXPECT_EQ(verify_json.exit_code, 0) << verify_json.output;
  EXPECT_EQ(verify_json.output.rfind("{\"store\":", 0), 0u) << verify_json.output;
  EXPECT_NE(verify_json.output.find("\"origin\":\"node-us\""), std::string::npos);
  EXPECT_NE(verify_json.output.find("\"intact\":true"), std::string::npos);
  auto history_json = c.Cli({"history", c.path().string(), "--json"});
  EXPECT_EQ(history_json.exit_code, 0) << history_json.output;
  EXPECT_NE(history_json.output.find("\"clean\":true"), std::string::npos) << history_json.output;
  EXPECT_EQ(history_json.output.find("\"lost\""), std::string::npos);  // zero: omitted
  auto reconcile_json = c.Cli({"audit", "reconcile", c.path().string(), "--certs", certs, "--json"});
  EXPECT_EQ(reconcile_json.exit_code, 0) << reconcile_json.output;
  EXPECT_EQ(reconcile_json.output.rfind("{\"logs\":[{", 0), 0u) << reconcile_json.output;
  EXPECT_NE(reconcile_json.output.find("\"history\":{"), std::string::npos);
  auto readable = c.Cli({"audit", "export", (c.NodeData("us") / "node.db").string()});
  EXPECT_EQ(readable.exit_code, 0);
  EXPECT_NE(readable.output.find("  SENT  "), std::string::npos) << readable.output;
  EXPECT_EQ(readable.output.find("{\""), std::string::npos) << readable.output;

  auto prove = c.Cli({"audit", "prove", (c.NodeData("us") / "node.db").string(), "--message", id, "--out",
                      (c.path() / "proof.json").string()});
  ASSERT_EQ(prove.exit_code, 0) << prove.output;
  auto check = c.Cli({"audit", "check-proof", (c.path() / "proof.json").string(), "--certs", certs});
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("VALID"), std::string::npos) << check.output;

  // An auditor is handed the older copy of US's log: alone it looks fine,
  // but the checkpoints JP and KR witnessed show it was cut short.
  auto alone = c.Cli({"audit", "verify", (c.path() / "us-older.db").string(), "--certs", certs});
  EXPECT_EQ(alone.exit_code, 0) << alone.output;
  auto caught = c.Cli({"audit", "verify", (c.path() / "us-older.db").string(), "--certs", certs,
                       "--witness", c.NodeData("jp").string()});
  EXPECT_EQ(caught.exit_code, 1) << caught.output;
  EXPECT_NE(caught.output.find("older copy restored"), std::string::npos) << caught.output;
}

}  // namespace
}  // namespace hotline::testing
