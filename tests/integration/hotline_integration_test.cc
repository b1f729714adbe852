// The real binaries on loopback: relay, three nodes and the CLI.
#include <gtest/gtest.h>

#include "cluster.h"
#include "hotline/asio.h"
#include "hotline/envelope.h"
#include "hotline/link_connection.h"
#include "hotline/sqlite_db.h"
#include "hotline/v1/audit.pb.h"
#include "rogue_peers.h"

namespace hotline::testing {
namespace {

using asio::ip::tcp;

const std::vector<std::string> kNations = {"us", "jp", "kr"};

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

TEST(HotlineIntegrationTest, AllSixDirectedPairsReachAllThreeTiers) {
  Cluster c;
  c.StartRelay(1);
  for (const auto& n : kNations) c.StartNode(n);
  for (const auto& n : kNations) ASSERT_TRUE(c.WaitLinksUp(n)) << n;
  std::vector<std::tuple<std::string, std::string, std::string>> sent;
  for (const auto& from : kNations) {
    for (const auto& to : kNations) {
      if (from == to) continue;
      std::string id = c.CliOk(from, {"send", "--to", Upper(to), "--channel", "crisis", "--text",
                                      "from " + from + " to " + to});
      ASSERT_EQ(id.size(), 32u) << id;
      sent.emplace_back(from, to, id);
    }
  }
  for (const auto& [from, to, id] : sent) {
    c.CliOk(from, {"wait", id, "--tier", "delivered", "--timeout", "20"});
    std::string shown = c.CliOk(to, {"inbox", "show", id});
    EXPECT_NE(shown.find("from " + from + " to " + to), std::string::npos) << shown;
    c.CliOk(to, {"ack", id.substr(0, 12)});
  }
  for (const auto& [from, to, id] : sent) {
    std::string status = c.CliOk(from, {"wait", id, "--tier", "acknowledged", "--timeout", "20"});
    EXPECT_NE(status.find(Upper(to) + "  accepted +"), std::string::npos) << status;
    EXPECT_EQ(status.find(" - "), std::string::npos) << "a tier is missing: " << status;
  }
}

TEST(HotlineIntegrationTest, MessageToOfflineNodeArrivesWhenItStarts) {
  Cluster c;
  c.StartRelay(1);
  c.StartNode("us");
  ASSERT_TRUE(c.WaitLinksUp("us"));
  std::string id = c.CliOk("us", {"send", "--to", "JP", "--text", "are you there?"});
  c.CliOk("us", {"wait", id, "--tier", "accepted", "--timeout", "20"});
  auto early = c.Cli({"wait", "--node", c.NodeData("us").string(), id, "--tier", "delivered",
                      "--timeout", "0.3"});
  EXPECT_NE(early.exit_code, 0) << "delivered before JP existed: " << early.output;
  c.StartNode("jp");
  c.CliOk("us", {"wait", id, "--tier", "delivered", "--timeout", "20"});
  EXPECT_NE(c.CliOk("jp", {"inbox"}).find("are you there?"), std::string::npos);
}

TEST(HotlineIntegrationTest, RelayKilledBetweenAcceptAndDeliveryStillDelivers) {
  Cluster c;
  c.StartRelay(1);
  c.StartNode("kr");
  ASSERT_TRUE(c.WaitLinksUp("kr"));
  std::string id = c.CliOk("kr", {"send", "--to", "US", "--channel", "missile-warning", "--text",
                                  "stored before the crash"});
  c.CliOk("kr", {"wait", id, "--tier", "accepted", "--timeout", "20"});
  c.relay(1).Signal(SIGKILL);
  ASSERT_TRUE(c.relay(1).WaitFor(std::chrono::seconds(5)).has_value());
  c.StartRelay(1);  // same address, same store
  c.StartNode("us");
  c.CliOk("kr", {"wait", id, "--tier", "delivered", "--timeout", "20"});
  EXPECT_NE(c.CliOk("us", {"inbox"}).find("stored before the crash"), std::string::npos);
}

TEST(HotlineIntegrationTest, RelayRefusesForeignRootExpiredCertAndLogsWhy) {
  Cluster c;
  std::string addr = c.StartRelay(1);
  auto trust = LoadTrustStore(c.certs());
  ASSERT_TRUE(trust.ok());

  TempDir foreign;
  ASSERT_TRUE(InitTrustDirectory(foreign.path(), {1, NowUnix() - 60, 30}).ok());
  RogueClient a;
  a.Run(addr, *LoadIdentity(foreign.path(), "node-us"), *trust);
  // Our side finishes XX on sending message 3; the relay then checks our
  // certificate, tells us (and only us: it is encrypted to our key) why it
  // refuses it, and closes (issue 11 item 6).
  auto refused = [](const RogueClient& client, const std::string& why) {
    return client.frames.size() == 1 && client.frames[0].has_error() &&
           client.frames[0].error().code() == v1::LinkError::CODE_CERTIFICATE_REFUSED &&
           client.frames[0].error().message().find(why) != std::string::npos;
  };
  EXPECT_TRUE(refused(a, "unknown root")) << a.closed_reason;

  ASSERT_TRUE(IssueCertificate(c.certs(), {"node-old", v1::ROLE_NODE, v1::NATION_US,
                                           NowUnix() - 10000, NowUnix() - 5000}).ok());
  RogueClient b;
  b.Run(addr, *LoadIdentity(c.certs(), "node-old"), *trust);
  EXPECT_TRUE(refused(b, "expired at")) << b.closed_reason;
  // Times in UTC, not Unix seconds.
  ASSERT_EQ(b.frames.size(), 1u);
  EXPECT_NE(b.frames[0].error().message().find("Z (now "), std::string::npos)
      << b.frames[0].error().message();

  ASSERT_TRUE(WaitUntil([&] {
    std::string log = ReadFileOrDie(c.RelayLog(1));
    return log.find("unknown root") != std::string::npos && log.find("expired") != std::string::npos;
  })) << ReadFileOrDie(c.RelayLog(1));
  c.StopRelay(1);
  EXPECT_EQ(CountAudit(c.RelayData(1) / "relay.db", v1::AUDIT_EVENT_HANDSHAKE_REJECTED, "unknown root"), 1);
  EXPECT_EQ(CountAudit(c.RelayData(1) / "relay.db", v1::AUDIT_EVENT_HANDSHAKE_REJECTED, "expired"), 1);
}

TEST(HotlineIntegrationTest, RelayRejectsNodeSendingAsAnotherNationAndCarriesOn) {
  Cluster c;
  std::string addr = c.StartRelay(1);
  c.StartNode("jp");
  ASSERT_TRUE(c.WaitLinksUp("jp"));
  auto trust = LoadTrustStore(c.certs());
  Identity us = *LoadIdentity(c.certs(), "node-us");
  // US's keys, but the envelope claims to come from KR.
  std::map<v1::Nation, PeerKeys> peers;
  Identity jp = *LoadIdentity(c.certs(), "node-jp");
  peers[v1::NATION_JP] = *PeerKeysOf(jp.details);
  EnvelopeKeys forger(v1::NATION_KR, us.keys.signing, *us.keys.e2e, peers);
  v1::EnvelopeHeader h;
  h.set_version(kEnvelopeVersion);
  h.set_message_id(ToString(RandomBytes(kMessageIdLen)));
  h.set_sender(v1::NATION_KR);
  h.add_recipients(v1::NATION_JP);
  h.set_channel(v1::CHANNEL_CRISIS);
  h.set_precedence(v1::PRECEDENCE_FLASH);
  h.set_sequence(1);
  v1::Body body;
  body.mutable_text()->set_text("forged");
  Bytes sealed = *forger.Seal(h, body);

  RogueClient rogue;
  rogue.Run(addr, us, *trust, [&](const LinkConnection::Ptr& link) {
    v1::LinkFrame f;
    f.mutable_submit()->set_envelope(ToString(sealed));
    ASSERT_TRUE(link->Send(f, v1::PRECEDENCE_FLASH).ok());
  }, 1);
  ASSERT_TRUE(rogue.established) << rogue.closed_reason;
  ASSERT_EQ(rogue.frames.size(), 1u);
  ASSERT_TRUE(rogue.frames[0].has_error());
  EXPECT_EQ(rogue.frames[0].error().code(), v1::LinkError::CODE_FORBIDDEN);
  EXPECT_NE(ReadFileOrDie(c.RelayLog(1)).find("claims sender KR but the link is US"), std::string::npos);

  // The relay carries on for honest nodes.
  c.StartNode("kr");
  ASSERT_TRUE(c.WaitLinksUp("kr"));
  std::string id = c.CliOk("kr", {"send", "--to", "JP", "--text", "honest"});
  c.CliOk("kr", {"wait", id, "--tier", "delivered", "--timeout", "20"});
  EXPECT_EQ(c.CliOk("jp", {"inbox"}).find("forged"), std::string::npos);
  c.StopAll();
  EXPECT_EQ(CountAudit(c.RelayData(1) / "relay.db", v1::AUDIT_EVENT_INPUT_REJECTED, "claims sender KR"), 1);
}

// Rows in relay `r`'s queue for envelopes (kind 1); -1 if unreadable.
int RelayQueuedEnvelopes(Cluster& c, int r) {
  auto db = Database::Open(c.RelayData(r) / "relay.db", "");
  if (!db.ok()) return -1;
  auto q = (*db)->Prepare("SELECT count(*) FROM queue WHERE kind = 1");
  if (!q.ok()) return -1;
  auto row = q->Step();
  return row.ok() && *row ? static_cast<int>(q->ColumnInt(0)) : -1;
}

// Issue 17 (PROTOCOL.md §11): the relay checks each track update's sender
// and stamp, keeps only the newest update of a track for an absent
// recipient, and hands it over when the recipient connects.
TEST(HotlineIntegrationTest, ARelayHoldsTheNewestUpdateOfEachTrackAndRefusesBadOnes) {
  Cluster c;
  std::string addr = c.StartRelay(1);
  auto trust = LoadTrustStore(c.certs());
  Identity us = *LoadIdentity(c.certs(), "node-us");
  Identity jp = *LoadIdentity(c.certs(), "node-jp");
  std::map<v1::Nation, PeerKeys> peers;
  peers[v1::NATION_JP] = *PeerKeysOf(jp.details);
  Bytes key = RandomBytes(16);
  auto update = [&](v1::Nation claimed, uint64_t seq, bool stamped) {
    EnvelopeKeys sealer(claimed, us.keys.signing, *us.keys.e2e, peers);
    v1::EnvelopeHeader h;
    h.set_version(kEnvelopeVersion);
    h.set_message_id(ToString(RandomBytes(kMessageIdLen)));
    h.set_sender(claimed);
    h.add_recipients(v1::NATION_JP);
    h.set_channel(v1::CHANNEL_MISSILE_WARNING);
    h.set_precedence(v1::PRECEDENCE_IMMEDIATE);
    h.set_sequence(seq);
    if (stamped) {
      h.mutable_track()->set_track_key(ToString(key));
      h.mutable_track()->set_update_seq(seq);
    }
    v1::Body body;
    body.mutable_track_update()->set_track_id("US-01");
    body.mutable_track_update()->set_latitude(35.0 + 0.01 * static_cast<double>(seq));
    v1::LinkFrame f;
    f.mutable_track()->set_envelope(ToString(*sealer.Seal(h, body)));
    return f;
  };
  RogueClient publisher;
  publisher.Run(
      addr, us, *trust,
      [&](const LinkConnection::Ptr& link) {
        ASSERT_TRUE(link->Send(update(v1::NATION_KR, 1, true), v1::PRECEDENCE_IMMEDIATE).ok());
        ASSERT_TRUE(link->Send(update(v1::NATION_US, 1, false), v1::PRECEDENCE_IMMEDIATE).ok());
        for (uint64_t seq = 1; seq <= 5; ++seq) {
          ASSERT_TRUE(link->Send(update(v1::NATION_US, seq, true), v1::PRECEDENCE_IMMEDIATE).ok());
        }
      },
      2);
  ASSERT_EQ(publisher.frames.size(), 2u) << publisher.closed_reason;
  EXPECT_EQ(publisher.frames[0].error().code(), v1::LinkError::CODE_FORBIDDEN);
  EXPECT_EQ(publisher.frames[1].error().code(), v1::LinkError::CODE_MALFORMED);
  EXPECT_NE(publisher.frames[1].error().message().find("no track key"), std::string::npos);

  RogueClient recipient;
  recipient.Run(addr, jp, *trust, nullptr, 1);
  ASSERT_EQ(recipient.frames.size(), 1u) << recipient.closed_reason;
  ASSERT_TRUE(recipient.frames[0].has_track());
  auto routed = ParseEnvelopeForRouting(AsBytes(recipient.frames[0].track().envelope()));
  ASSERT_TRUE(routed.ok());
  EXPECT_EQ(routed->header.track().update_seq(), 5u) << "only the newest update is held";
  EXPECT_EQ(routed->header.track().track_key(), ToString(key));
  c.StopAll();
  fs::path relay_db = c.RelayData(1) / "relay.db";
  EXPECT_EQ(CountAudit(relay_db, v1::AUDIT_EVENT_INPUT_REJECTED, "track update claims sender KR"),
            1);
  EXPECT_EQ(CountAudit(relay_db, v1::AUDIT_EVENT_INPUT_REJECTED, "no track key"), 1);
  EXPECT_EQ(RelayQueuedEnvelopes(c, 1), 0) << "track updates are never stored";
}

// Issue 11 item 9: a relay that queued copies a recipient never fetched
// (JP is not linked to it) drops them once their sender has every receipt
// through another relay, audits why, and delivers no stale copy later.
// Issue 16: a frozen relay keeps its TCP connections open, so its links
// look alive until their silence timeout. A FLASH it does not accept goes
// through the other relay after 100 ms; the silence timeout is set to ten
// minutes here so that only that path can deliver it, and the receipt
// comes back through the relay the message arrived by. Once the frozen
// relay resumes, its copy reaches JP and is recognised as a duplicate.
TEST(HotlineIntegrationTest, AFlashAFrozenRelayDoesNotAcceptGoesThroughAnother) {
  Cluster c(2);
  c.StartRelay(1);
  c.StartRelay(2);
  c.StartNode("us", {1, 2}, {"--relay-silence", "10m"});
  c.StartNode("jp", {1, 2}, {"--relay-silence", "10m"});
  ASSERT_TRUE(c.WaitLinksUp("us", 2) && c.WaitLinksUp("jp", 2));
  std::string warm = c.CliOk("us", {"send", "--to", "JP", "--channel", "crisis", "--text", "warm"});
  c.CliOk("us", {"wait", warm, "--tier", "delivered", "--timeout", "20"});
  c.relay(1).Signal(SIGSTOP);
  std::string id = c.CliOk(
      "us", {"send", "--to", "JP", "--channel", "crisis", "--text", "while relay-1 is frozen"});
  c.CliOk("us", {"wait", id, "--tier", "delivered", "--timeout", "30"});
  EXPECT_TRUE(c.WaitLinksUp("us", 2)) << "the links were not taken down: the hedge delivered it";
  c.relay(1).Signal(SIGCONT);
  std::string after =
      c.CliOk("us", {"send", "--to", "JP", "--channel", "crisis", "--text", "after"});
  c.CliOk("us", {"wait", after, "--tier", "delivered", "--timeout", "20"});
  c.StopAll();
  fs::path us_db = c.NodeData("us") / "node.db";
  fs::path jp_db = c.NodeData("jp") / "node.db";
  EXPECT_EQ(CountAuditOfMessage(us_db, v1::AUDIT_EVENT_ESCALATED, id), 1);
  EXPECT_EQ(CountAudit(us_db, v1::AUDIT_EVENT_ESCALATED,
                       "not accepted by relay-1 within 100 ms: also sent through relay-2"),
            1);
  EXPECT_EQ(CountAuditOfMessage(jp_db, v1::AUDIT_EVENT_DELIVERED, id), 1);
  EXPECT_EQ(CountAuditOfMessage(c.RelayData(2) / "relay.db", v1::AUDIT_EVENT_FORWARDED, id), 1);
}

TEST(HotlineIntegrationTest, ARelayDropsCopiesTheirSenderWithdrew) {
  Cluster c(2);
  c.StartRelay(1);
  c.StartRelay(2);
  c.StartNode("us", {1, 2}, {"--deadline", "routine=1s/4h"});
  c.StartNode("jp", {2});
  ASSERT_TRUE(c.WaitLinksUp("us", 2) && c.WaitLinksUp("jp", 1));
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(c.CliOk("us", {"send", "--to", "JP", "--text", "via " + std::to_string(i)}));
  for (const auto& id : ids) c.CliOk("us", {"wait", id, "--tier", "delivered", "--timeout", "30"});
  EXPECT_TRUE(WaitUntil([&] { return RelayQueuedEnvelopes(c, 1) == 0; }))
      << RelayQueuedEnvelopes(c, 1);
  c.StopNode("jp");
  c.StartNode("jp", {1, 2});
  ASSERT_TRUE(c.WaitLinksUp("jp", 2));
  std::string probe = c.CliOk("us", {"send", "--to", "JP", "--text", "after"});
  c.CliOk("us", {"wait", probe, "--tier", "delivered", "--timeout", "20"});
  c.StopAll();
  fs::path relay1 = c.RelayData(1) / "relay.db";
  for (const auto& id : ids) {
    EXPECT_EQ(CountAuditOfMessage(relay1, v1::AUDIT_EVENT_DROPPED, id), 1) << id;
    EXPECT_EQ(CountAuditOfMessage(relay1, v1::AUDIT_EVENT_FORWARDED, id), 0) << id;
  }
  EXPECT_EQ(CountAudit(relay1, v1::AUDIT_EVENT_DROPPED, "withdrawn by its sender"), 3);
}

// Issue 11 item 9: a node that got a delivery on a link that then dropped
// takes it on the next link, and takes the redelivery of it too (as a node
// does with a duplicate): the relay accepts both without a rejection and
// forgets the item.
TEST(HotlineIntegrationTest, ATakenSentAfterAReconnectIsAccepted) {
  Cluster c;
  std::string addr = c.StartRelay(1);
  c.StartNode("us");
  ASSERT_TRUE(c.WaitLinksUp("us"));
  std::string id = c.CliOk("us", {"send", "--to", "JP", "--text", "taken late"});
  c.CliOk("us", {"wait", id, "--tier", "accepted", "--timeout", "20"});
  auto trust = *LoadTrustStore(c.certs());
  Identity jp = *LoadIdentity(c.certs(), "node-jp");
  RogueClient first;  // receives the delivery, then drops the link without taking it
  first.Run(addr, jp, trust, nullptr, 1);
  ASSERT_EQ(first.frames.size(), 1u);
  ASSERT_TRUE(first.frames[0].has_deliver());
  uint64_t delivery_id = first.frames[0].deliver().delivery_id();
  RogueClient second;
  second.Run(
      addr, ChannelConfigFor(jp, trust, true, v1::ROLE_RELAY),
      [&](const LinkConnection::Ptr& link) {
        v1::LinkFrame taken;
        taken.mutable_taken()->set_delivery_id(delivery_id);
        (void)link->Send(taken, LinkConnection::kControlPrecedence);
        (void)link->Send(taken, LinkConnection::kControlPrecedence);  // the redelivery's
      },
      100, std::chrono::seconds(2));
  for (const auto& f : second.frames) EXPECT_FALSE(f.has_error()) << f.error().message();
  EXPECT_TRUE(WaitUntil([&] { return RelayQueuedEnvelopes(c, 1) == 0; }));
  c.StopAll();
  EXPECT_EQ(CountAudit(c.RelayData(1) / "relay.db", v1::AUDIT_EVENT_INPUT_REJECTED, ""), 0);
  EXPECT_EQ(CountAuditOfMessage(c.RelayData(1) / "relay.db", v1::AUDIT_EVENT_FORWARDED, id), 1);
}

TEST(HotlineIntegrationTest, BadCliInputGetsClearErrors) {
  Cluster c;
  c.StartRelay(1);
  c.StartNode("us");
  std::string node = c.NodeData("us").string();
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string message;
  };
  std::vector<Case> cases = {
      {{"send", "--node", node, "--to", "XX", "--text", "x"}, 2, "unknown nation 'XX'"},
      {{"send", "--node", node, "--to", "US", "--text", "x"}, 1, "cannot send to your own nation"},
      {{"send", "--node", node, "--channel", "gossip", "--text", "x"},
       2,
       "--channel: gossip not in {crisis"},
      {{"send", "--node", node, "--precedence", "urgent", "--text", "x"},
       2,
       "--precedence: urgent not in"},
      {{"send", "--node", node, "--to", "JP"}, 2, "nothing to send"},
      {{"ack", "--node", node, "deadbeef"}, 1, "no message with id deadbeef"},
      {{"ack", "--node", node, "xyz"}, 1, "not 4 to 32 hex digits"},
      {{"status", "--node", node, "0123456789"}, 1, "no message with id"},
      {{"status", "--node", (c.path() / "nowhere").string()}, 1, "no node is running"},
      {{"status"}, 2, "which node?"},
      {{"warn", "--node", node, "--to", "JP", "--event-id", "E1"}, 2, "--status is required"},
      {{"warn", "--node", node, "--status", "drill"}, 2, "--status: drill not in {actual,exercise,test}"},
      {{"bogus"}, 2, "unknown command 'bogus'"},
      {{}, 2, "A subcommand is required"},
      // --node belongs to the commands that talk to a node, after the command.
      {{"--node", node, "status"}, 2, "--node goes after the command"},
      {{"certs", "show", "node-us", "--node", node}, 2, "--node"},
      {{"audit", "verify", "x.db", "--timeout", "5s"}, 2, "--timeout"},
      // The trust folder is --certs in every command (--dir still works).
      {{"certs", "show", "node-nowhere", "--certs", c.path().string()}, 1, "node-nowhere"},
      {{"status", "--node", node, "--timeout", "soon"}, 2, "bad duration 'soon'"},
      {{"send", "--node", node, "--text", "x", "--no-such-flag"}, 2, "--no-such-flag"},
      {{"wait", "--node", node, "0123456789abcdef", "--tier", "sometime"}, 2, "--tier: sometime not in"},
  };
  for (const auto& tc : cases) {
    CommandResult r = c.Cli(tc.args);
    EXPECT_EQ(r.exit_code, tc.exit_code) << r.output;
    EXPECT_NE(r.output.find(tc.message), std::string::npos) << "expected '" << tc.message << "' in: " << r.output;
  }
  // The node is still fine, and says so in JSON too.
  EXPECT_EQ(c.Cli({"status", "--node", node}).exit_code, 0);
  CommandResult json = c.Cli({"status", "--node", node, "--json", "--limit", "0"});
  EXPECT_EQ(json.exit_code, 0);
  // Audit checkpoints may already be in the outbox (they go out on a timer), so
  // only the fields are checked, not their order.
  EXPECT_EQ(json.output.rfind("{", 0), 0u) << json.output;
  EXPECT_NE(json.output.find("\"relays\":[{\"address\":"), std::string::npos) << json.output;
  EXPECT_NE(json.output.find("\"nation\":\"NATION_US\""), std::string::npos) << json.output;
  // A wait that times out exits 3 (JP is not running: nothing is delivered).
  std::string id = c.CliOk("us", {"send", "--to", "JP", "--text", "nobody home"});
  CommandResult waited =
      c.Cli({"wait", "--node", node, id, "--tier", "delivered", "--timeout", "300ms"});
  EXPECT_EQ(waited.exit_code, 3) << waited.output;
  EXPECT_NE(waited.output.find("timed out"), std::string::npos) << waited.output;
}

// One error contract for the three binaries: --version, --help with the
// exit codes, and exit 2 for any command-line error.
TEST(HotlineIntegrationTest, EveryBinaryHasVersionHelpAndUsageExitCodes) {
  Cluster c;
  for (const std::string bin :
       {"/client/hotline", "/client/hotline-node", "/server/hotline-relay"}) {
    std::string name = bin.substr(bin.rfind('/') + 1);
    ChildProcess version({BinDir() + bin, "--version"}, (c.path() / (name + ".version")).string());
    EXPECT_EQ(version.WaitFor(std::chrono::seconds(20)).value_or(-1), 0) << name;
    EXPECT_NE(ReadFileOrDie(c.path() / (name + ".version")).find(name + " 0."), std::string::npos)
        << name;
    ChildProcess help({BinDir() + bin, "--help"}, (c.path() / (name + ".help")).string());
    EXPECT_EQ(help.WaitFor(std::chrono::seconds(20)).value_or(-1), 0) << name;
    EXPECT_NE(ReadFileOrDie(c.path() / (name + ".help")).find("Exit codes:"), std::string::npos)
        << name;
    ChildProcess bad({BinDir() + bin, "--no-such-flag"}, (c.path() / (name + ".bad")).string());
    EXPECT_EQ(bad.WaitFor(std::chrono::seconds(20)).value_or(-1), 2) << name;
  }
}

}  // namespace
}  // namespace hotline::testing
