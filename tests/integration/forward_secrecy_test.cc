// Forward secrecy with the real binaries (issue 15): first contact is sent
// at once and marked at both ends; once epoch keys are known messages are
// forward secret; `keys rotate` is taken from the next message on; an
// epoch secret past its retention is destroyed in the database file.
#include <gtest/gtest.h>

#include "cluster.h"
#include "hotline/file_util.h"
#include "hotline/sqlite_db.h"
#include "rogue_peers.h"

namespace hotline::testing {
namespace {

bool Contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(ForwardSecrecyIntegrationTest, FirstContactIsMarkedThenMessagesAreForwardSecret) {
  Cluster c;
  c.StartRelay(1);
  c.StartNode("us");
  ASSERT_TRUE(c.WaitLinksUp("us"));
  // JP has never run: no epoch key of it is known. The message goes at once.
  std::string first = c.CliOk("us", {"send", "--to", "JP", "--text", "first contact"});
  EXPECT_TRUE(Contains(c.CliOk("us", {"status", first}), "NO FORWARD SECRECY"))
      << c.CliOk("us", {"status", first});
  c.StartNode("jp");
  c.CliOk("us", {"wait", first, "--tier", "delivered", "--timeout", "30"});
  std::string inbox = c.CliOk("jp", {"inbox"});
  EXPECT_TRUE(Contains(inbox, "first contact") && Contains(inbox, "[NO FORWARD SECRECY]")) << inbox;

  // JP's delivery receipt carried JP's epoch key: US's next message is
  // forward secret (and carries US's key, so JP's answers are too).
  std::string secret = c.CliOk("us", {"send", "--to", "JP", "--text", "secret"});
  EXPECT_FALSE(Contains(c.CliOk("us", {"status", secret}), "NO FORWARD SECRECY"))
      << c.CliOk("us", {"status", secret});
  c.CliOk("us", {"wait", secret, "--tier", "delivered", "--timeout", "30"});
  std::string answer = c.CliOk("jp", {"send", "--to", "US", "--text", "answer"});
  EXPECT_FALSE(Contains(c.CliOk("jp", {"status", answer}), "NO FORWARD SECRECY"))
      << c.CliOk("jp", {"status", answer});
  c.CliOk("jp", {"wait", answer, "--tier", "delivered", "--timeout", "30"});
  std::string us_inbox = c.CliOk("us", {"inbox"});
  EXPECT_TRUE(Contains(us_inbox, "answer") && !Contains(us_inbox, "NO FORWARD SECRECY"))
      << us_inbox;

  // A suspected compromise: a new key now, taken by JP from US's next message.
  std::string rotated = c.Cli({"keys", "rotate", "--node", c.NodeData("us").string()}).output;
  EXPECT_TRUE(Contains(rotated, "epoch key 2 made; announced to JP")) << rotated;
  std::string after = c.CliOk("us", {"send", "--to", "JP", "--text", "after rotation"});
  c.CliOk("us", {"wait", after, "--tier", "delivered", "--timeout", "30"});
  EXPECT_FALSE(Contains(c.CliOk("us", {"status", after}), "NO FORWARD SECRECY"));
  // JP took US's new key (from the announcement or that envelope): its
  // next message to US is wrapped for epoch 2.
  EXPECT_TRUE(WaitUntil(
      [&] { return Contains(ReadFileOrDie(c.NodeLog("jp")), "epoch key 2 of US taken"); }));
  c.StopAll();
  fs::path us_db = c.NodeData("us") / "node.db";
  EXPECT_EQ(
      CountAudit(us_db, v1::AUDIT_EVENT_EPOCH_KEY, "epoch key 2 made (rotation asked for by cli:"),
      1);
  EXPECT_EQ(CountAudit(us_db, v1::AUDIT_EVENT_SENT, "without forward secrecy to JP"), 1);
  EXPECT_TRUE(WaitUntil([&] {
    return CountAudit(c.NodeData("jp") / "node.db", v1::AUDIT_EVENT_INPUT_REJECTED, "") == 0;
  }));
}

// An epoch secret past its retention is gone from the database file and
// its write-ahead log, not merely unlinked from a table.
TEST(ForwardSecrecyIntegrationTest, AnEpochSecretIsDestroyedWhereItWasStored) {
  Cluster c;
  c.StartRelay(1);
  c.StartNode("us", {1}, {"--epoch", "2s", "--key-retention", "2s"});
  ASSERT_TRUE(c.WaitLinksUp("us"));
  fs::path db_path = c.NodeData("us") / "node.db";
  Bytes first_secret;
  ASSERT_TRUE(WaitUntil([&] {
    auto db = Database::OpenReadOnly(db_path);
    if (!db.ok()) return false;
    auto st = (*db)->ForEachRow("SELECT secret FROM epoch_keys WHERE epoch = 1", [&](Statement& s) {
      first_secret = s.ColumnBlob(0);
      return Status::Ok();
    });
    return st.ok() && first_secret.size() == 32;
  }));
  // Epoch 1 ends after 2 s and is kept 2 s more: then destroyed (audited).
  ASSERT_TRUE(WaitUntil([&] {
    return CountAudit(db_path, v1::AUDIT_EVENT_EPOCH_KEY, "epoch key 1 destroyed") == 1;
  }));
  // While the node runs: neither the database nor its write-ahead log
  // holds those 32 bytes any more.
  auto holds_secret = [&](const fs::path& file) {
    auto bytes = ReadFileBytes(file, 1 << 30);
    return bytes.ok() && std::search(bytes->begin(), bytes->end(), first_secret.begin(),
                                     first_secret.end()) != bytes->end();
  };
  EXPECT_TRUE(WaitUntil([&] {
    return !holds_secret(db_path) && !holds_secret(fs::path(db_path.string() + "-wal"));
  })) << "epoch 1's secret is still on disk";
  c.StopAll();
}

// At rest (issue 15 item 4): with --retain-bodies, a handled message's
// body is removed at both ends after the retention; its audit digest stays
// and the logs still verify.
TEST(ForwardSecrecyIntegrationTest, BodiesAreRemovedAfterTheRetentionOnceHandled) {
  Cluster c;
  c.StartRelay(1);
  c.StartNode("us", {1}, {"--retain-bodies", "1s"});
  c.StartNode("jp", {1}, {"--retain-bodies", "1s"});
  ASSERT_TRUE(c.WaitLinksUp("us") && c.WaitLinksUp("jp"));
  std::string id = c.CliOk("us", {"send", "--to", "JP", "--text", "keep this only a second"});
  c.CliOk("us", {"wait", id, "--tier", "delivered", "--timeout", "30"});
  // Not yet acknowledged: it stays, however old.
  std::string unhandled = c.CliOk("jp", {"send", "--to", "US", "--text", "awaiting action"});
  c.CliOk("jp", {"wait", unhandled, "--tier", "delivered", "--timeout", "30"});
  c.CliOk("jp", {"ack", id});
  EXPECT_TRUE(WaitUntil([&] {
    return Contains(c.CliOk("jp", {"inbox", "show", id}),
                    "removed after the node's retention period");
  })) << c.CliOk("jp", {"inbox", "show", id});
  EXPECT_TRUE(WaitUntil([&] {
    return Contains(c.CliOk("us", {"status", id}), "(removed after the retention period)");
  })) << c.CliOk("us", {"status", id});
  EXPECT_TRUE(Contains(c.CliOk("us", {"inbox"}), "awaiting action"));
  c.StopAll();
  fs::path jp_db = c.NodeData("jp") / "node.db";
  EXPECT_GE(CountAudit(jp_db, v1::AUDIT_EVENT_DROPPED, "at-rest retention"), 1);
  CommandResult verify = c.Cli({"audit", "verify", jp_db.string(), "--certs", c.certs().string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  auto bytes = ReadFileBytes(jp_db, 1 << 30);
  ASSERT_TRUE(bytes.ok());
  std::string text = "keep this only a second";
  EXPECT_TRUE(std::search(bytes->begin(), bytes->end(), text.begin(), text.end()) == bytes->end())
      << "the body is still in the database file";
}

// Relay expiry (issue 15 item 2): an envelope JP never collects is removed
// from the relay after its retention and US is told; US does not send that
// sealed copy again (not even after the relay restarts), and JP, when it
// comes, receives only what was sent afterwards.
TEST(ForwardSecrecyIntegrationTest, AnUndeliveredEnvelopeExpiresAtTheRelayAndItsSenderIsTold) {
  Cluster c;
  c.relay_extra = {"--retention", "2s"};
  c.StartRelay(1);
  c.StartNode("us");
  c.StartNode("kr");
  ASSERT_TRUE(c.WaitLinksUp("us"));
  ASSERT_TRUE(c.WaitLinksUp("kr"));
  std::string id = c.CliOk("us", {"send", "--to", "all", "--text", "never collected by JP"});
  ASSERT_TRUE(WaitUntil([&] {
    return Contains(c.CliOk("us", {"status", id}), "EXPIRED");
  })) << c.CliOk("us", {"status", id});
  std::string status = c.CliOk("us", {"status", id});
  EXPECT_TRUE(Contains(status, "JP  accepted") &&
              Contains(status, "EXPIRED at relay-1 (undelivered; send again)"))
      << status;
  EXPECT_TRUE(Contains(c.CliOk("us", {"status"}), "EXPIRED: ")) << c.CliOk("us", {"status"});

  c.StopRelay(1);
  c.StartRelay(1);
  // JP learns of the missing message as a gap in US's stream to it.
  c.StartNode("jp", {1}, {"--gap-timeout", "1s"});
  ASSERT_TRUE(c.WaitLinksUp("jp"));
  ASSERT_TRUE(c.WaitLinksUp("us"));
  std::string later = c.CliOk("us", {"send", "--to", "JP", "--text", "sent after the expiry"});
  c.CliOk("us", {"wait", later, "--tier", "delivered", "--timeout", "30"});
  EXPECT_TRUE(WaitUntil([&] {
    return Contains(c.CliOk("jp", {"inbox"}), "sent after the expiry");
  })) << c.CliOk("jp", {"inbox"});
  std::string inbox = c.CliOk("jp", {"inbox"});
  EXPECT_TRUE(Contains(c.CliOk("jp", {"status"}), "STREAM GAP")) << c.CliOk("jp", {"status"});
  EXPECT_FALSE(Contains(inbox, "never collected by JP")) << inbox;
  c.StopAll();
  EXPECT_EQ(CountAuditOfMessage(c.RelayData(1) / "relay.db", v1::AUDIT_EVENT_EXPIRED, id), 1);
  EXPECT_EQ(CountAuditOfMessage(c.NodeData("us") / "node.db", v1::AUDIT_EVENT_EXPIRED, id), 1);
  EXPECT_EQ(CountAudit(c.NodeData("us") / "node.db", v1::AUDIT_EVENT_INPUT_REJECTED, ""), 0);
}

}  // namespace
}  // namespace hotline::testing
