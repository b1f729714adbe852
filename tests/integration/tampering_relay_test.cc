// Issue 11 against the real nodes with a relay that edits or withholds
// what it carries (TamperingRelay): delivery evidence survives bytes added
// outside the signature, and a withheld message cannot hide a FLASH.
#include <gtest/gtest.h>

#include <atomic>

#include "cluster.h"
#include "hotline/secure_channel.h"
#include "rogue_peers.h"
#include "tampering_relay.h"

namespace hotline::testing {
namespace {

// Issue 11 item 1: a relay appends bytes outside the signed fields (an
// unknown protobuf field). The recipient opens it, and its receipts bind the
// signed content, which the sender recognises: delivery evidence holds, and
// every party's audit log names the same digest.
TEST(MaliciousRelayTest, BytesAddedOutsideTheSignatureDoNotBreakDeliveryEvidence) {
  Cluster c(2);
  std::string relay = c.StartRelay(1);
  auto trust = *LoadTrustStore(c.certs());
  TamperingRelay rogue(
      ChannelConfigFor(*LoadIdentity(c.certs(), "relay-2"), trust, false, v1::ROLE_NODE),
      [](const v1::EnvelopeHeader&, v1::Nation, const std::string& encoded) {
        return std::optional<std::string>(encoded + std::string("\x78\x01", 2));  // field 15 = 1
      });
  c.StartNodeAt("us", {rogue.address(), relay});
  c.StartNodeAt("jp", {rogue.address(), relay});
  ASSERT_TRUE(c.WaitLinksUp("us", 2) && c.WaitLinksUp("jp", 2));
  std::string id = c.CliOk("us", {"send", "--to", "JP", "--text", "padded by a relay"});
  c.CliOk("us", {"wait", id, "--tier", "delivered", "--timeout", "20"});
  c.CliOk("jp", {"ack", id});
  c.CliOk("us", {"wait", id, "--tier", "acknowledged", "--timeout", "20"});
  EXPECT_GE(rogue.submitted(), 1);
  EXPECT_EQ(CountAudit(NodeDb(c, "us"), v1::AUDIT_EVENT_INPUT_REJECTED, "digest"), 0);
  c.StopAll();
  auto digest_of = [&](const std::string& n, v1::AuditEvent event) {
    std::string digest;
    CountAuditWhere(NodeDb(c, n), [&](const v1::AuditRecord& r) {
      if (r.event() == event && ToHex(AsBytes(r.message_id())) == id) digest = r.envelope_digest();
      return false;
    });
    return digest;
  };
  std::string sent = digest_of("us", v1::AUDIT_EVENT_SENT);
  ASSERT_EQ(sent.size(), 32u);
  EXPECT_EQ(digest_of("jp", v1::AUDIT_EVENT_DELIVERED), sent);
  EXPECT_EQ(digest_of("us", v1::AUDIT_EVENT_RECEIPT_RECEIVED), sent);
}

// Issue 11 item 2: the relay withholds one message of a stream. A FLASH
// behind it is shown at once, marked; the gap raises an alert when it opens;
// the withheld one, re-sent by the sender at its delivery deadline, is shown
// marked late; the audit logs say so and `history` finds no disorder.
TEST(MaliciousRelayTest, AFlashIsNotHiddenBehindAWithheldMessage) {
  Cluster c(2);
  auto trust = *LoadTrustStore(c.certs());
  std::atomic<int> withheld{0};
  TamperingRelay rogue(
      ChannelConfigFor(*LoadIdentity(c.certs(), "relay-2"), trust, false, v1::ROLE_NODE),
      [&](const v1::EnvelopeHeader& h, v1::Nation,
          const std::string& encoded) -> std::optional<std::string> {
        if (h.sequence() == 2 && withheld++ == 0) return std::nullopt;  // the first copy of #2 only
        return encoded;
      });
  c.StartNodeAt("us", {rogue.address()}, {"--deadline", "routine=2s/4h"});
  c.StartNodeAt("jp", {rogue.address()});
  ASSERT_TRUE(c.WaitLinksUp("us") && c.WaitLinksUp("jp"));
  auto send = [&](const std::string& precedence, const std::string& text) {
    return c.CliOk("us", {"send", "--to", "JP", "--channel", "crisis", "--precedence", precedence,
                          "--text", text});
  };
  std::string first = send("routine", "one");
  c.CliOk("us", {"wait", first, "--tier", "delivered", "--timeout", "20"});
  std::string second = send("routine", "two (withheld once)");
  std::string flash = send("flash", "three: FLASH");
  // Shown at once, though #2 is missing; the operator is told of the gap.
  ASSERT_TRUE(
      WaitUntil([&] { return c.CliOk("jp", {"inbox"}).find("three: FLASH") != std::string::npos; },
                std::chrono::seconds(10)));
  EXPECT_TRUE(
      Audited(NodeDb(c, "jp"), v1::AUDIT_EVENT_ALERT, "STREAM GAP: #2 from US on crisis missing"));
  EXPECT_EQ(c.CliOk("jp", {"inbox"}).find("two (withheld once)"), std::string::npos);
  // US re-sends #2 at its 2 s delivery deadline; JP shows it, marked late.
  c.CliOk("us", {"wait", second, "--tier", "delivered", "--timeout", "30"});
  ASSERT_TRUE(WaitUntil(
      [&] { return c.CliOk("jp", {"inbox"}).find("two (withheld once)") != std::string::npos; }));
  c.StopAll();
  auto release_of = [&](const std::string& id) {
    v1::ReleaseOrder order = v1::ReleaseOrder(-1);
    CountAuditWhere(NodeDb(c, "jp"), [&](const v1::AuditRecord& r) {
      if (r.event() == v1::AUDIT_EVENT_DELIVERED && ToHex(AsBytes(r.message_id())) == id)
        order = r.release();
      return false;
    });
    return order;
  };
  EXPECT_EQ(release_of(first), v1::RELEASE_ORDER_IN_SEQUENCE);
  EXPECT_EQ(release_of(flash), v1::RELEASE_ORDER_AHEAD_OF_GAP);
  EXPECT_EQ(release_of(second), v1::RELEASE_ORDER_LATE);
  EXPECT_EQ(CountAuditOfMessage(NodeDb(c, "jp"), v1::AUDIT_EVENT_DELIVERED, flash), 1);
  CommandResult history = c.Cli({"history", c.path().string()});
  EXPECT_NE(history.output.find("0 out of order"), std::string::npos) << history.output;
}

}  // namespace
}  // namespace hotline::testing
