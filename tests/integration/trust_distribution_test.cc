// Trust documents over the hotline (issue 14 items 4-5), with the real
// binaries and a trust folder per host as on separate machines: a nation
// revokes its own node and every relay and node drops it within seconds;
// a nation's root key is replaced while the hotline runs.
#include <gtest/gtest.h>

#include "cluster.h"
#include "hotline/file_util.h"
#include "rogue_peers.h"

namespace hotline::testing {
namespace {

// The bound docs/TRUST.md gives for a trust document to reach every host
// and take effect (generous for sanitizer builds on a loaded machine).
constexpr auto kTakesEffectWithin = std::chrono::seconds(10);

uint64_t SerialOf(const fs::path& certs, const std::string& subject) {
  return LoadCertificateFile(certs / (subject + ".cert"))->details.serial();
}

std::string Status(Cluster& c, const std::string& nation) {
  return c.Cli({"status", "--node", c.NodeData(nation).string(), "--limit", "0"}).output;
}

void StartAll(Cluster& c) {
  c.SeparateTrustFolders();
  c.StartRelay(1);
  c.StartRelay(2);
  for (const char* n : {"us", "jp", "kr"}) c.StartNode(n, {1, 2});
  for (const char* n : {"us", "jp", "kr"}) ASSERT_TRUE(c.WaitLinksUp(n, 2)) << Status(c, n);
}

TEST(TrustDistributionTest, ANationRevokesItsOwnNodeAndEveryHostDropsItsLinks) {
  Cluster c(2);
  StartAll(c);
  uint64_t kr_serial = SerialOf(c.certs(), "node-kr");
  // KR's root, on its own machine, revokes KR's node; the list reaches the
  // hotline through the US node (any node will do). No host's folder holds it.
  CommandResult revoke = c.Cli({"certs", "revoke", std::to_string(kr_serial), "--nation", "KR",
                                "--certs", c.certs().string()});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.output;
  fs::path list = c.certs() / "revocations-kr.crl";
  auto started = std::chrono::steady_clock::now();
  std::string published =
      c.Cli({"trust", "publish", list.string(), "--node", c.NodeData("us").string()}).output;
  EXPECT_TRUE(Contains(published, "taken: revocation list KR #1 (revokes KR serial " +
                                      std::to_string(kr_serial) + "); sent to every relay"))
      << published;

  // Both relays close KR's links, and refuse it since; JP knows KR is revoked.
  bool dropped = WaitUntil(
      [&] {
        std::string kr = Status(c, "kr"), jp = Status(c, "jp");
        return !Contains(kr, " UP ") && Contains(jp, "KR #1 (1 revoked)") &&
               Contains(jp, "node-kr.cert") && Contains(jp, "revoked");
      },
      kTakesEffectWithin);
  auto took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count();
  ASSERT_TRUE(dropped) << Status(c, "kr") << Status(c, "jp");
  std::cout << "revocation took effect everywhere within " << took_ms << " ms\n";
  std::string kr = Status(c, "kr");
  EXPECT_TRUE(Contains(kr, "THIS NODE'S CERTIFICATE") || Contains(kr, "refused our certificate"))
      << kr;
  CommandResult to_kr =
      c.Cli({"send", "--node", c.NodeData("jp").string(), "--to", "KR", "--text", "x"});
  EXPECT_EQ(to_kr.exit_code, 1) << to_kr.output;
  EXPECT_TRUE(Contains(to_kr.output, "cannot send to KR")) << to_kr.output;
  // US and JP still talk.
  std::string id = c.CliOk("us", {"send", "--to", "JP", "--text", "after the revocation"});
  c.CliOk("us", {"wait", id, "--tier", "delivered", "--timeout", "20"});

  // A restart with the stale folder keeps the list (the node's ledger).
  c.StopNode("jp");
  c.StartNode("jp", {1, 2});
  ASSERT_TRUE(c.WaitLinksUp("jp", 2));
  EXPECT_TRUE(Contains(Status(c, "jp"), "KR #1 (1 revoked)")) << Status(c, "jp");
  c.StopAll();

  for (int r : {1, 2}) {
    fs::path db = c.RelayData(r) / "relay.db";
    EXPECT_EQ(CountAudit(db, v1::AUDIT_EVENT_TRUST_UPDATED, "revocation list KR #1"), 1) << r;
    EXPECT_EQ(CountAudit(db, v1::AUDIT_EVENT_LINK_CLOSED, "certificate revoked: 'node-kr'"), 1)
        << r;
  }
  EXPECT_EQ(
      CountAudit(c.NodeData("us") / "node.db", v1::AUDIT_EVENT_TRUST_UPDATED, "from operator cli:"),
      1);
  EXPECT_EQ(CountAudit(c.NodeData("jp") / "node.db", v1::AUDIT_EVENT_TRUST_UPDATED, "from relay-"),
            1);
}

// A forged list (KR's, signed by the US root) handed to a node is refused,
// audited, and goes nowhere.
TEST(TrustDistributionTest, AForgedListIsRefusedAndNotPassedOn) {
  Cluster c(1);
  c.SeparateTrustFolders();
  c.StartRelay(1);
  c.StartNode("us");
  c.StartNode("kr");
  ASSERT_TRUE(c.WaitLinksUp("us") && c.WaitLinksUp("kr"));
  uint64_t kr_serial = SerialOf(c.certs(), "node-kr");
  CommandResult forged = c.Cli({"certs", "revoke", std::to_string(kr_serial), "--nation", "KR",
                                "--joint", "--root-key", (c.certs() / "root-us.key").string(),
                                "--certs", (c.path() / "us-only").string()});
  // One root is not enough for the joint list: the CLI refuses to write it.
  EXPECT_NE(forged.exit_code, 0) << forged.output;
  v1::RevocationListDetails d;
  d.set_version(2);
  d.set_number(1);
  d.set_issuer(v1::NATION_KR);
  auto* e = d.add_revoked();
  e->set_serial(kr_serial);
  e->set_nation(v1::NATION_KR);
  auto us_root = LoadRootKey(c.certs() / "root-us.key");
  ASSERT_TRUE(us_root.ok());
  fs::path file = c.path() / "forged.crl";
  std::string encoded = SignRevocationList(d, {&*us_root}).SerializeAsString();
  ASSERT_TRUE(WriteFileAtomic(file, AsBytes(encoded), 0644).ok());
  CommandResult r = c.Cli({"trust", "publish", file.string(), "--node", c.NodeData("us").string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(Contains(
      r.output, "REFUSED: revocation list KR #1: KR's revocation list is not signed by KR's root"))
      << r.output;
  std::string id = c.CliOk("us", {"send", "--to", "KR", "--text", "KR is still trusted"});
  c.CliOk("us", {"wait", id, "--tier", "delivered", "--timeout", "20"});
  c.StopAll();
  EXPECT_EQ(CountAudit(c.NodeData("us") / "node.db", v1::AUDIT_EVENT_INPUT_REJECTED,
                       "not signed by KR's root"),
            1);
  EXPECT_EQ(CountAudit(c.RelayData(1) / "relay.db", v1::AUDIT_EVENT_TRUST_UPDATED, ""), 0);
}

// JP replaces its root key while the hotline runs (docs/TRUST.md
// "Rotation"): every certificate is re-signed with the new key first, then
// root document 2 is handed to one node and reaches every host; messages
// still flow, and the old JP key alone counts for nothing any more.
TEST(TrustDistributionTest, ANationReplacesItsRootKeyWhileTheHotlineRuns) {
  Cluster c(2);
  StartAll(c);
  fs::path new_jp = c.path() / "new-jp";
  ASSERT_EQ(c.Cli({"certs", "init-nation", "--nation", "JP", "--certs", new_jp.string()}).exit_code,
            0);
  auto new_jp_key = LoadRootKey(new_jp / "root-jp.key");
  ASSERT_TRUE(new_jp_key.ok());
  // Re-sign: JP's new key adds its signature to every certificate, and the
  // re-signed files reach every host's folder.
  std::vector<std::string> hosts = {"relay-1", "relay-2", "node-us", "node-jp", "node-kr"};
  for (const auto& host : hosts) {
    for (const auto& entry : fs::directory_iterator(c.HostCerts(host))) {
      if (entry.path().extension() != ".cert") continue;
      auto cert = LoadCertificateFile(entry.path());
      ASSERT_TRUE(cert.ok());
      AddRootSignature(cert->certificate, *new_jp_key);
      std::string bytes = cert->certificate.SerializeAsString();
      ASSERT_TRUE(WriteFileAtomic(entry.path(), AsBytes(bytes), 0644).ok());
    }
  }
  for (const auto& host : hosts) {
    fs::path log =
        host.rfind("relay-", 0) == 0 ? c.RelayLog(host.back() - '0') : c.NodeLog(host.substr(5));
    ASSERT_TRUE(WaitUntil([&] {
      return Contains(ReadFileOrDie(log), "own certificate re-signed");
    })) << host;
  }
  fs::path doc = c.path() / "root-2.doc";
  CommandResult draft =
      c.Cli({"certs", "root", "draft", "--serial", "2", "--key",
             (c.certs() / "root-us.pub").string(), "--key", (new_jp / "root-jp.pub").string(),
             "--key", (c.certs() / "root-kr.pub").string(), "--days", "30", "--out", doc.string()});
  ASSERT_EQ(draft.exit_code, 0) << draft.output;
  for (const fs::path& key :
       {c.certs() / "root-us.key", c.certs() / "root-jp.key", new_jp / "root-jp.key"}) {
    CommandResult signed_doc =
        c.Cli({"certs", "root", "sign", doc.string(), "--root-key", key.string()});
    ASSERT_EQ(signed_doc.exit_code, 0) << signed_doc.output;
  }
  std::string published =
      c.Cli({"trust", "publish", doc.string(), "--node", c.NodeData("kr").string()}).output;
  EXPECT_TRUE(Contains(published, "taken: root document 2 (replaces root document 1")) << published;
  for (const char* n : {"us", "jp", "kr"}) {
    EXPECT_TRUE(WaitUntil([&] { return Contains(Status(c, n), "root document 2 (US, JP, KR"); },
                          kTakesEffectWithin))
        << Status(c, n);
  }
  for (const char* n : {"us", "jp", "kr"}) ASSERT_TRUE(c.WaitLinksUp(n, 2)) << Status(c, n);
  // Links were re-made with the re-signed certificates, none refused.
  for (const char* n : {"us", "jp", "kr"})
    EXPECT_FALSE(Contains(Status(c, n), "REFUSED")) << Status(c, n);
  std::string id =
      c.CliOk("jp", {"send", "--to", "US,KR", "--precedence", "flash", "--text", "new key"});
  c.CliOk("jp", {"wait", id, "--tier", "delivered", "--timeout", "20"});
  // The old JP key alone no longer revokes JP's nodes: its list is ignored.
  CommandResult old_list = c.Cli({"certs", "revoke", std::to_string(SerialOf(c.certs(), "node-jp")),
                                  "--nation", "JP", "--certs", c.certs().string()});
  ASSERT_EQ(old_list.exit_code, 0) << old_list.output;
  CommandResult ignored = c.Cli({"trust", "publish", (c.certs() / "revocations-jp.crl").string(),
                                 "--node", c.NodeData("us").string()});
  EXPECT_TRUE(Contains(ignored.output,
                       "ignored: revocation list JP #1: signed by no key of root document 2"))
      << ignored.output;
  EXPECT_TRUE(c.WaitLinksUp("jp", 2)) << Status(c, "jp");
  c.StopAll();
  for (int r : {1, 2}) {
    EXPECT_EQ(
        CountAudit(c.RelayData(r) / "relay.db", v1::AUDIT_EVENT_TRUST_UPDATED, "root document 2"),
        1);
  }
}

}  // namespace
}  // namespace hotline::testing
