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

  // JP learned US's epoch key from that envelope, and US learns JP's from
  // JP's announcement: from now on every message is forward secret.
  std::string answer = c.CliOk("jp", {"send", "--to", "US", "--text", "answer"});
  c.CliOk("jp", {"wait", answer, "--tier", "delivered", "--timeout", "30"});
  std::string us_inbox = c.CliOk("us", {"inbox"});
  EXPECT_TRUE(Contains(us_inbox, "answer") && !Contains(us_inbox, "NO FORWARD SECRECY"))
      << us_inbox;
  bool forward_secret = WaitUntil([&] {
    std::string id = c.CliOk("us", {"send", "--to", "JP", "--text", "secret"});
    return !Contains(c.CliOk("us", {"status", id}), "NO FORWARD SECRECY");
  });
  EXPECT_TRUE(forward_secret);

  // A suspected compromise: a new key now, taken by JP from US's next message.
  std::string rotated = c.Cli({"keys", "rotate", "--node", c.NodeData("us").string()}).output;
  EXPECT_TRUE(Contains(rotated, "epoch key 2 made and announced")) << rotated;
  std::string after = c.CliOk("us", {"send", "--to", "JP", "--text", "after rotation"});
  c.CliOk("us", {"wait", after, "--tier", "delivered", "--timeout", "30"});
  EXPECT_FALSE(Contains(c.CliOk("us", {"status", after}), "NO FORWARD SECRECY"));
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

}  // namespace
}  // namespace hotline::testing
