// Issue 19 part 2 against real processes: every node tests every path
// (each relay to each other nation) on a schedule; a path that does not
// work is named in an alert, the audit log, `hotline links` and the
// after-action report, and recovers when it works again.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "cluster.h"
#include "hotline/asio.h"
#include "hotline/file_util.h"
#include "hotline/path_tests.h"
#include "hotline/v1/control.pb.h"
#include "hotline/v1/report.pb.h"
#include "rogue_peers.h"

namespace hotline::testing {
namespace {

struct LinksAnswer {
  v1::LinksResponse links;
  int exit_code = -1;
};

// `hotline links --json` at node `n`: its answer, and the exit code.
LinksAnswer Links(Cluster& c, const std::string& n, bool test_now = false) {
  std::vector<std::string> args = {"links", "--json", "--node", c.NodeData(n).string()};
  if (test_now) args.push_back("--test-now");
  CommandResult r = c.Cli(args);
  LinksAnswer out;
  out.exit_code = r.exit_code;
  auto st = google::protobuf::util::JsonStringToMessage(r.output, &out.links);
  EXPECT_TRUE(st.ok()) << st.message() << "\n" << r.output;
  return out;
}

std::string StateOf(const v1::LinksResponse& links, const std::string& path) {
  for (const auto& p : links.paths()) {
    if (p.path() == path) return p.state();
  }
  return "absent";
}

bool AllOk(const v1::LinksResponse& links, size_t paths) {
  if (static_cast<size_t>(links.paths_size()) != paths) return false;
  for (const auto& p : links.paths()) {
    if (p.state() != "ok" || p.rtt_ms() < 0 || p.last_success_ms() == 0) return false;
  }
  return true;
}

const std::vector<std::string> kFast = {
    "--path-test-interval", "1s", "--path-test-deadline", "1s", "--checkpoint-interval", "200ms"};

TEST(LinksTest, EveryPathIsTestedOnScheduleAndABrokenOneIsNamedEverywhere) {
  Cluster c(2);
  c.StartRelay(1);
  c.StartRelay(2);
  c.StartNode("us", {1, 2}, kFast);
  c.StartNode("jp", {1, 2}, kFast);
  // KR links to relay-1 only: US → relay-2 → KR cannot work.
  c.StartNode("kr", {1}, kFast);
  ASSERT_TRUE(c.WaitLinksUp("us", 2) && c.WaitLinksUp("jp", 2) && c.WaitLinksUp("kr", 1));

  // On schedule, without asking: JP's paths work, but for relay-2 to KR.
  ASSERT_TRUE(WaitUntil(
      [&] {
        LinksAnswer jp = Links(c, "jp");
        return StateOf(jp.links, "JP → relay-1 → US") == "ok" &&
               StateOf(jp.links, "JP → relay-2 → US") == "ok" &&
               StateOf(jp.links, "JP → relay-1 → KR") == "ok" &&
               StateOf(jp.links, "JP → relay-2 → KR") == "failed";
      },
      std::chrono::seconds(30)))
      << c.Cli({"links", "--node", c.NodeData("jp").string()}).output;
  // US's path through relay-2 to KR fails; the one to JP works.
  ASSERT_TRUE(
      WaitUntil([&] { return StateOf(Links(c, "us").links, "US → relay-2 → KR") == "failed"; },
                std::chrono::seconds(30)));
  LinksAnswer us_answer = Links(c, "us");
  const v1::LinksResponse& us = us_answer.links;
  EXPECT_EQ(us_answer.exit_code, 1) << "a failed path is exit 1, for monitors";
  EXPECT_EQ(StateOf(us, "US → relay-2 → JP"), "ok");
  EXPECT_EQ(StateOf(us, "US → relay-1 → KR"), "ok");
  EXPECT_EQ(us.interval_ms(), 1000);
  EXPECT_EQ(us.deadline_ms(), 1000);
  for (const auto& p : us.paths()) {
    if (p.path() != "US → relay-2 → KR") continue;
    EXPECT_EQ(p.last_error(), "no signed reply within 1 s");
    EXPECT_EQ(p.last_success_ms(), 0);
    EXPECT_GE(p.failures(), 1u);
  }
  // KR, linked to relay-1 only, tests only what it has, and has answered
  // US's probes through relay-1.
  EXPECT_EQ(Links(c, "kr").links.paths_size(), 2);
  ASSERT_TRUE(WaitUntil([&] {
    LinksAnswer kr = Links(c, "kr");
    for (const auto& p : kr.links.paths()) {
      if (p.nation() == v1::NATION_US && p.last_answered_ms() > 0) return true;
    }
    return false;
  }));

  // The matrix as an operator reads it.
  CommandResult text = c.Cli({"links", "--node", c.NodeData("us").string()});
  EXPECT_NE(text.output.find("FAILED US → relay-2 → KR at "), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("no signed reply within 1 s"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("relay-2"), std::string::npos) << text.output;

  // The alert, once, and the audit record of each failed test.
  ASSERT_TRUE(Audited(NodeDb(c, "us"), v1::AUDIT_EVENT_PATH_TEST, "US → relay-2 → KR failed at"));
  std::string status = c.CliOk("us", {"status", "--limit", "0"});
  EXPECT_NE(status.find("ALERT PATH TEST FAILED: US → relay-2 → KR failed at"), std::string::npos)
      << status;
  // Successes are not audited: a path that worked throughout has no
  // record, one that failed while the nodes started has at most a failure
  // and a recovery per failed test.
  LinksAnswer now = Links(c, "us");
  for (const auto& p : now.links.paths()) {
    if (p.relay() != "relay-1") continue;
    EXPECT_GE(p.successes(), 1u) << p.path();
    EXPECT_LE(CountAudit(NodeDb(c, "us"), v1::AUDIT_EVENT_PATH_TEST, p.path()),
              static_cast<int>(2 * p.failures()))
        << p.path();
  }

  // KR links to relay-2 as well: the path works again, alerted and audited.
  c.StopNode("kr");
  c.StartNode("kr", {1, 2}, kFast);
  ASSERT_TRUE(c.WaitLinksUp("kr", 2));
  ASSERT_TRUE(WaitUntil([&] { return AllOk(Links(c, "us", /*test_now=*/true).links, 4); },
                        std::chrono::seconds(30)));
  ASSERT_TRUE(Audited(NodeDb(c, "us"), v1::AUDIT_EVENT_PATH_TEST, "US → relay-2 → KR works again"));
  EXPECT_EQ(Links(c, "us").exit_code, 0);
  int failed = CountAudit(NodeDb(c, "us"), v1::AUDIT_EVENT_PATH_TEST, "US → relay-2 → KR failed");
  ASSERT_GE(failed, 1);

  // The after-action report counts them, by path.
  c.StopAll();
  failed = CountAudit(NodeDb(c, "us"), v1::AUDIT_EVENT_PATH_TEST, "US → relay-2 → KR failed");
  fs::path out = c.path() / "report";
  auto r = c.Cli({"report", c.path().string(), "--certs", c.certs().string(), "--out", out.string(),
                  "--allow-unverified"});
  v1::AfterActionReport report;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(ReadFileOrDie(out / "report.json"), &report).ok())
      << r.output;
  // Every failed test in any log (KR's restart may have failed others).
  int all_failed = 0;
  for (const char* n : {"us", "jp", "kr"}) {
    all_failed += CountAudit(NodeDb(c, n), v1::AUDIT_EVENT_PATH_TEST, "failed");
  }
  EXPECT_TRUE(report.verified()) << r.output;
  EXPECT_EQ(report.counts().path_test_failures(), static_cast<uint32_t>(all_failed)) << r.output;
  const v1::ReportPathTest* tally = nullptr;
  for (const auto& p : report.path_tests()) {
    if (p.path() == "US → relay-2 → KR") tally = &p;
  }
  ASSERT_NE(tally, nullptr) << r.output;
  EXPECT_EQ(tally->failures(), static_cast<uint32_t>(failed));
  EXPECT_GT(tally->restored_at_ms(), tally->last_failed_at_ms());
  std::string html = ReadFileOrDie(out / "report.html");
  EXPECT_NE(html.find("Path tests that failed"), std::string::npos);
  EXPECT_NE(html.find("US → relay-2 → KR"), std::string::npos);
  EXPECT_NE(html.find("data-figure=\"counts.path_test_failures\">" + std::to_string(all_failed)),
            std::string::npos);
}

TEST(LinksTest, ARelayThatIsDownFailsItsPathsAtOnceAndTestNowAnswersWithinTheDeadline) {
  Cluster c(2);
  c.StartRelay(1);
  c.StartRelay(2);
  // Only on request: nothing runs until `--test-now`.
  std::vector<std::string> manual = {"--path-test-interval", "0", "--path-test-deadline", "2s"};
  c.StartNode("us", {1, 2}, manual);
  c.StartNode("jp", {1, 2}, manual);
  c.StartNode("kr", {1, 2}, manual);
  ASSERT_TRUE(c.WaitLinksUp("us", 2) && c.WaitLinksUp("jp", 2) && c.WaitLinksUp("kr", 2));
  LinksAnswer idle = Links(c, "us");
  EXPECT_EQ(idle.exit_code, 0);
  for (const auto& p : idle.links.paths()) EXPECT_EQ(p.state(), "untested") << p.path();

  LinksAnswer tested = Links(c, "us", /*test_now=*/true);
  EXPECT_EQ(tested.exit_code, 0);
  EXPECT_TRUE(AllOk(tested.links, 4));

  c.StopRelay(2);
  ASSERT_TRUE(WaitUntil([&] {
    return c.CliOk("us", {"status", "--limit", "0"}).find("DOWN") != std::string::npos;
  }));
  LinksAnswer down_answer = Links(c, "us", /*test_now=*/true);
  const v1::LinksResponse& down = down_answer.links;
  EXPECT_EQ(down_answer.exit_code, 1);
  EXPECT_EQ(StateOf(down, "US → relay-2 → JP"), "failed");
  EXPECT_EQ(StateOf(down, "US → relay-2 → KR"), "failed");
  EXPECT_EQ(StateOf(down, "US → relay-1 → KR"), "ok");
  for (const auto& p : down.paths()) {
    if (p.relay() == "relay-2") {
      EXPECT_EQ(p.last_error(), "relay-2 is not connected");
    }
  }
  EXPECT_TRUE(WaitUntil([&] {
    return CountAudit(NodeDb(c, "us"), v1::AUDIT_EVENT_PATH_TEST, "relay-2 is not connected") == 2;
  })) << "one record per failed path";
}

TEST(RelayStatusTest, ShowsLinksQueuesByPrecedenceAndRecentRefusals) {
  Cluster c;
  c.StartRelay(1);
  c.StartNode("us", {1});
  c.StartNode("jp", {1});
  ASSERT_TRUE(c.WaitLinksUp("us") && c.WaitLinksUp("jp"));
  // KR has never linked: what is sent to it waits at the relay.
  for (int i = 0; i < 3; ++i)
    c.CliOk("us", {"send", "--to", "KR", "--text", "routine " + std::to_string(i)});
  c.CliOk("us", {"send", "--to", "KR", "--channel", "crisis", "--text", "flash"});
  // Someone who is no node: a refused handshake.
  {
    asio::io_context io;
    asio::ip::tcp::socket s(io);
    std::string addr = c.RelayAddress(1);
    s.connect({asio::ip::make_address(addr.substr(0, addr.rfind(':'))),
               static_cast<uint16_t>(std::stoi(addr.substr(addr.rfind(':') + 1)))});
    std::string junk(64, 'x');
    asio::write(s, asio::buffer(junk));
  }
  v1::RelayStatusResponse status;
  auto ask = [&] {
    CommandResult r = c.Cli({"relay", "status", "--json", "--relay", c.RelayData(1).string()});
    status.Clear();
    return r.exit_code == 0 && google::protobuf::util::JsonStringToMessage(r.output, &status).ok();
  };
  auto queued = [&](v1::Nation n, v1::Precedence p) -> uint64_t {
    for (const auto& node : status.nodes()) {
      if (node.nation() != n) continue;
      for (const auto& q : node.queued()) {
        if (q.precedence() == p) return q.items();
      }
    }
    return 0;
  };
  ASSERT_TRUE(WaitUntil([&] {
    return ask() && queued(v1::NATION_KR, v1::PRECEDENCE_ROUTINE) == 3 &&
           queued(v1::NATION_KR, v1::PRECEDENCE_FLASH) == 1 && !status.recent_refusals().empty();
  })) << status.DebugString();
  EXPECT_EQ(status.relay(), "relay-1");
  ASSERT_EQ(status.nodes_size(), 3);
  for (const auto& node : status.nodes()) {
    EXPECT_EQ(node.connected(), node.nation() != v1::NATION_KR) << node.DebugString();
    if (node.connected()) {
      EXPECT_GT(node.since_ms(), 0);
      EXPECT_EQ(node.remote_address().rfind("127.0.0.1:", 0), 0u);
    }
  }
  EXPECT_EQ(queued(v1::NATION_JP, v1::PRECEDENCE_ROUTINE), 0u);
  EXPECT_EQ(status.recent_refusals(0).event(), "HANDSHAKE_REJECTED");
  EXPECT_EQ(status.recent_refusals(0).peer().rfind("127.0.0.1:", 0), 0u);

  CommandResult text = c.Cli({"relay", "status", "--relay", c.RelayData(1).string()});
  EXPECT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("relay relay-1: running since"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("KR      not linked"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("HANDSHAKE_REJECTED 127.0.0.1:"), std::string::npos) << text.output;

  // A node's request sent to a relay is refused clearly, and audited there.
  CommandResult wrong = c.Cli({"status", "--node", c.RelayData(1).string()});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.output;
  EXPECT_NE(wrong.output.find("a relay answers only relay_status"), std::string::npos)
      << wrong.output;
  EXPECT_TRUE(Audited(c.RelayData(1) / "relay.db", v1::AUDIT_EVENT_INPUT_REJECTED,
                      "control socket: a relay answers only relay_status"));
  CommandResult nobody = c.Cli({"relay", "status", "--relay", (c.path() / "nowhere").string()});
  EXPECT_EQ(nobody.exit_code, 1) << nobody.output;
}

// A relay holding a genuine certificate (relay-2) replays a probe JP
// signed, and passes on a stale one and one naming another relay: KR signs
// one reply, refuses the rest (audited, peer text escaped) and no relay can
// make it sign at will.
TEST(PathTestHostileRelayTest, ReplayedStaleAndMisroutedProbesAreNotAnswered) {
  Cluster c(2);
  auto trust = *LoadTrustStore(c.certs());
  Identity jp = *LoadIdentity(c.certs(), "node-jp");
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto probe = [&](char nonce, int64_t at_ms, const std::string& relay) {
    v1::PathProbeDetails d;
    d.set_version(1);
    d.set_from(v1::NATION_JP);
    d.set_to(v1::NATION_KR);
    d.set_relay(relay);
    d.set_nonce(std::string(paths::kNonceLen, nonce));
    d.set_at_ms(at_ms);
    d.set_cert_serial(jp.details.serial());
    v1::LinkFrame f;
    f.mutable_path_probe()->set_to(v1::NATION_KR);
    f.mutable_path_probe()->set_from(v1::NATION_JP);
    f.mutable_path_probe()->set_signed_probe(
        paths::SignProbe(d, jp.keys.signing.secret).SerializeAsString());
    return f;
  };
  std::atomic<bool> sent{false};
  RogueRelay rogue(
      ChannelConfigFor(*LoadIdentity(c.certs(), "relay-2"), trust, false, v1::ROLE_NODE),
      [&](const LinkConnection::Ptr& link) {
        if (sent.exchange(true)) return;
        (void)link->Send(probe('s', now - 3'600'000, "relay-2"), v1::PRECEDENCE_IMMEDIATE);
        (void)link->Send(probe('f', now, "relay-2\n[critical] forged line"),
                         v1::PRECEDENCE_IMMEDIATE);
        v1::LinkFrame genuine = probe('g', now, "relay-2");
        for (int i = 0; i < 100; ++i) (void)link->Send(genuine, v1::PRECEDENCE_IMMEDIATE);
      });
  c.StartNodeAt("kr", {rogue.address()}, {"--path-test-interval", "0"});
  fs::path db = NodeDb(c, "kr");
  EXPECT_TRUE(Audited(db, v1::AUDIT_EVENT_INPUT_REJECTED, "is stale or from the future"));
  EXPECT_TRUE(
      Audited(db, v1::AUDIT_EVENT_INPUT_REJECTED, "names relay 'relay-2 [critical] forged line'"));
  EXPECT_TRUE(Audited(db, v1::AUDIT_EVENT_INPUT_REJECTED, "answered already (a replay)", 10));
  auto replies = [&] {
    int n = 0;
    for (const auto& f : rogue.frames()) n += f.has_path_probe();
    return n;
  };
  ASSERT_TRUE(WaitUntil([&] { return replies() >= 1; }));
  LinksAnswer links = Links(c, "kr");
  c.StopAll();
  EXPECT_EQ(replies(), 1) << "one signed reply for 100 copies of one probe";
  for (const auto& f : rogue.frames()) {
    if (!f.has_path_probe()) continue;
    auto reply = paths::ParseProbe(AsBytes(f.path_probe().signed_probe()));
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    EXPECT_TRUE(reply->details.reply());
    EXPECT_EQ(reply->details.nonce(), std::string(paths::kNonceLen, 'g'));
  }
  bool answered = false;
  for (const auto& p : links.links.paths()) answered |= p.last_answered_ms() > 0;
  EXPECT_TRUE(answered) << links.links.DebugString();
  // Peer text is escaped in the log too: no line of it starts where the
  // relay wanted one to.
  std::string log = ReadFileOrDie(c.NodeLog("kr"));
  EXPECT_EQ(log.find("\n[critical] forged line"), std::string::npos) << log;
}

// A node flooding its relay with probes is held to 50 a second, and its
// refusals are audited at a bounded rate: it cannot fill the relay's log.
TEST(PathTestHostileRelayTest, ARelayBoundsTheProbesANodeMaySend) {
  Cluster c;
  std::string relay = c.StartRelay(1);
  auto trust = *LoadTrustStore(c.certs());
  RogueClient flood;
  flood.Run(
      relay, *LoadIdentity(c.certs(), "node-us"), trust,
      [](const LinkConnection::Ptr& link) {
        v1::LinkFrame f;
        f.mutable_path_probe()->set_to(v1::NATION_JP);
        f.mutable_path_probe()->set_signed_probe("x");
        for (int i = 0; i < 400; ++i) (void)link->Send(f, v1::PRECEDENCE_IMMEDIATE);
      },
      /*want_frames=*/1);
  ASSERT_FALSE(flood.frames.empty()) << flood.closed_reason;
  ASSERT_TRUE(flood.frames[0].has_error());
  fs::path db = c.RelayData(1) / "relay.db";
  ASSERT_TRUE(Audited(db, v1::AUDIT_EVENT_INPUT_REJECTED, "path probe rejected"));
  c.StopAll();
  int audited = CountAudit(db, v1::AUDIT_EVENT_INPUT_REJECTED, "path probe rejected");
  EXPECT_GE(audited, 1);
  EXPECT_LE(audited, 12) << "a burst of 10, then 2 a second";
}

}  // namespace
}  // namespace hotline::testing
