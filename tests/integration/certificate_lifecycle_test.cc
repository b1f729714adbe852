// Certificates over time with the real binaries (issue 11 items 3, 4, 8): a
// renewal while messages wait loses none of them, another nation's expired
// certificate never stops a node, expiry is warned of ahead, and every
// header check a recipient makes is enforced.
#include <gtest/gtest.h>

#include "cluster.h"
#include "hotline/envelope.h"
#include "hotline/secure_channel.h"
#include "rogue_peers.h"

namespace hotline::testing {
namespace {

uint64_t SerialOf(Cluster& c, const std::string& subject) {
  return LoadCertificateFile(c.certs() / (subject + ".cert"))->details.serial();
}

Status Renew(Cluster& c, const std::string& subject, v1::Nation nation) {
  return IssueCertificate(c.certs(),
                          {subject, v1::ROLE_NODE, nation, NowUnix() - 60, NowUnix() + 30 * 86400})
      .status();
}

// A message waits while its sender's certificate is renewed (new keys), and
// another while its recipient's is: both arrive, are receipted and verified,
// and `history` finds nothing lost.
TEST(CertificateLifecycleTest, RenewingACertificateLosesNoWaitingMessage) {
  Cluster c;
  c.StartRelay(1);
  c.StartNode("us");
  ASSERT_TRUE(c.WaitLinksUp("us"));
  // JP is offline: both messages wait at the relay.
  std::string before_us_renewal =
      c.CliOk("us", {"send", "--to", "JP", "--text", "sealed by the old US key"});
  c.CliOk("us", {"wait", before_us_renewal, "--tier", "accepted", "--timeout", "20"});
  c.StopNode("us");
  uint64_t old_us = SerialOf(c, "node-us");
  ASSERT_TRUE(Renew(c, "node-us", v1::NATION_US).ok());
  ASSERT_NE(SerialOf(c, "node-us"), old_us);
  ASSERT_TRUE(fs::exists(c.certs() / "previous" / ("node-us." + std::to_string(old_us) + ".cert")));
  c.StartNode("us");
  ASSERT_TRUE(c.WaitLinksUp("us"));
  std::string before_jp_renewal =
      c.CliOk("us", {"send", "--to", "JP", "--text", "sealed for the old JP key"});
  c.CliOk("us", {"wait", before_jp_renewal, "--tier", "accepted", "--timeout", "20"});
  ASSERT_TRUE(Renew(c, "node-jp", v1::NATION_JP).ok());
  // JP starts with its new certificate; US learns it only from the folder.
  c.StartNode("jp");
  for (const auto& id : {before_us_renewal, before_jp_renewal}) {
    c.CliOk("us", {"wait", id, "--tier", "delivered", "--timeout", "30"});
  }
  std::string inbox = c.CliOk("jp", {"inbox"});
  EXPECT_NE(inbox.find("sealed by the old US key"), std::string::npos) << inbox;
  EXPECT_NE(inbox.find("sealed for the old JP key"), std::string::npos) << inbox;
  // Traffic under the new certificates both ways.
  std::string after = c.CliOk("jp", {"send", "--to", "US", "--text", "renewed both ways"});
  c.CliOk("jp", {"wait", after, "--tier", "delivered", "--timeout", "20"});
  c.StopAll();
  EXPECT_EQ(CountAudit(NodeDb(c, "jp"), v1::AUDIT_EVENT_INPUT_REJECTED, ""), 0);
  EXPECT_EQ(CountAudit(NodeDb(c, "us"), v1::AUDIT_EVENT_INPUT_REJECTED, ""), 0);
  CommandResult history = c.Cli({"history", c.path().string()});
  EXPECT_NE(history.output.find("0 lost"), std::string::npos) << history.output;
}

// Another nation's expired certificate: this node starts, alerts, audits,
// shows it, refuses to send there with a clear reason, and talks to the rest.
TEST(CertificateLifecycleTest, AnotherNationsExpiredCertificateDoesNotStopANode) {
  Cluster c;
  c.StartRelay(1);
  ASSERT_TRUE(IssueCertificate(c.certs(), {"node-jp", v1::ROLE_NODE, v1::NATION_JP,
                                           NowUnix() - 7200, NowUnix() - 3600})
                  .ok());
  // KR's expires in three days: a warning, not a problem.
  ASSERT_TRUE(IssueCertificate(c.certs(), {"node-kr", v1::ROLE_NODE, v1::NATION_KR, NowUnix() - 60,
                                           NowUnix() + 3 * 86400 + 600})
                  .ok());
  c.StartNode("us");
  c.StartNode("kr");
  ASSERT_TRUE(c.WaitLinksUp("us") && c.WaitLinksUp("kr"));
  std::string status = c.CliOk("us", {"status", "--limit", "0"});
  EXPECT_NE(status.find("PEER CERTIFICATE: node-jp.cert"), std::string::npos) << status;
  EXPECT_NE(status.find("JP is unreachable"), std::string::npos) << status;
  EXPECT_NE(status.find("CERTIFICATE EXPIRING: node-kr.cert"), std::string::npos) << status;
  EXPECT_NE(status.find("(in 3 days)"), std::string::npos) << status;
  CommandResult to_jp =
      c.Cli({"send", "--node", c.NodeData("us").string(), "--to", "JP", "--text", "x"});
  EXPECT_EQ(to_jp.exit_code, 1);
  EXPECT_NE(to_jp.output.find("cannot send to JP: node-jp.cert"), std::string::npos)
      << to_jp.output;
  EXPECT_NE(to_jp.output.find("expired at"), std::string::npos) << to_jp.output;
  std::string id = c.CliOk("us", {"send", "--to", "KR", "--text", "still talking to KR"});
  c.CliOk("us", {"wait", id, "--tier", "delivered", "--timeout", "20"});
  c.StopAll();
  EXPECT_EQ(CountAudit(NodeDb(c, "us"), v1::AUDIT_EVENT_ALERT, "PEER CERTIFICATE: node-jp.cert"),
            1);
  EXPECT_GE(
      CountAudit(NodeDb(c, "us"), v1::AUDIT_EVENT_ALERT, "CERTIFICATE EXPIRING: node-kr.cert"), 1);
}

// Item 8: a recipient checks every header field that names the sender's
// certificate. A genuine signature under a serial the header does not
// belong to, or under a revoked certificate, or made outside the
// certificate's validity, is refused and audited.
TEST(CertificateLifecycleTest, ARecipientChecksTheSendersCertificateInTheHeader) {
  Cluster c(2);
  c.StartRelay(1);
  auto trust = *LoadTrustStore(c.certs());
  Identity us = *LoadIdentity(c.certs(), "node-us");
  Identity jp = *LoadIdentity(c.certs(), "node-jp");
  EnvelopeKeys sender(v1::NATION_US, us.keys.signing, *us.keys.e2e);
  sender.AddPeer(v1::NATION_JP, jp.details.serial(), *PeerKeysOf(jp.details), true);
  auto make = [&](const std::function<void(v1::EnvelopeHeader&)>& edit, uint64_t sequence) {
    v1::EnvelopeHeader h;
    h.set_version(kEnvelopeVersion);
    h.set_message_id(ToString(RandomBytes(kMessageIdLen)));
    h.set_sender(v1::NATION_US);
    h.add_recipients(v1::NATION_JP);
    h.add_recipient_sequences(sequence);
    h.set_channel(v1::CHANNEL_GENERAL);
    h.set_precedence(v1::PRECEDENCE_ROUTINE);
    h.set_created_at_ms(NowUnixMs());
    h.set_sender_cert_serial(us.details.serial());
    edit(h);
    v1::Body body;
    body.mutable_text()->set_text("header check");
    return ToString(*sender.Seal(h, body));
  };
  std::vector<std::pair<std::string, std::string>> cases = {
      {"is not known here",
       make([](auto& h) { h.set_sender_cert_serial(h.sender_cert_serial() ^ 1); }, 1)},
      {"outside certificate serial",
       make([&](auto& h) { h.set_created_at_ms((us.details.not_after_unix() + 3 * 86400) * 1000); },
            2)},
  };
  std::atomic<bool> sent{false};
  RogueRelay rogue(
      ChannelConfigFor(*LoadIdentity(c.certs(), "relay-2"), trust, false, v1::ROLE_NODE),
      [&](const LinkConnection::Ptr& link) {
        if (sent.exchange(true)) return;
        uint64_t delivery = 1;
        for (const auto& [why, e] : cases) {
          v1::LinkFrame f;
          f.mutable_deliver()->set_envelope(e);
          f.mutable_deliver()->set_delivery_id(delivery++);
          (void)link->Send(f, v1::PRECEDENCE_ROUTINE);
        }
      });
  c.StartNodeAt("jp", {c.RelayAddress(1), rogue.address()});
  for (const auto& [why, e] : cases) {
    EXPECT_TRUE(WaitUntil([&] {
      return CountAudit(NodeDb(c, "jp"), v1::AUDIT_EVENT_INPUT_REJECTED, why) == 1;
    })) << why;
  }
  c.StopAll();
}

}  // namespace
}  // namespace hotline::testing
