// Precedence, deadlines and escalation, consultations and missile warnings
// with the real binaries.
#include <gtest/gtest.h>

#include "cli/control_client.h"
#include "cluster.h"
#include "hotline/file_util.h"
#include "hotline/sqlite_db.h"
#include "hotline/v1/audit.pb.h"
#include "rogue_peers.h"

namespace hotline::testing {
namespace {

v1::ControlRequest SendTo(v1::Nation to, v1::Precedence p, const std::string& text) {
  v1::ControlRequest r;
  r.mutable_send()->add_to(to);
  r.mutable_send()->set_channel(p == v1::PRECEDENCE_FLASH ? v1::CHANNEL_CRISIS : v1::CHANNEL_GENERAL);
  r.mutable_send()->set_precedence(p);
  r.mutable_send()->mutable_body()->mutable_text()->set_text(text);
  return r;
}

TEST(PriorityTest, FlashOvertakesALargeRoutineBacklogAndItsReceiptReturnsFirst) {
  Cluster c;
  c.StartRelay(1);
  c.StartNode("us");
  ASSERT_TRUE(c.WaitLinksUp("us"));
  auto sender = cli::ControlClient::Connect(c.NodeData("us") / "control.sock");
  auto watcher = cli::ControlClient::Connect(c.NodeData("us") / "control.sock");
  ASSERT_TRUE(sender.ok() && watcher.ok());
  v1::ControlRequest watch;
  watch.mutable_watch();
  ASSERT_TRUE((*watcher)->Send(watch).ok());

  // 120 ROUTINE messages of 256 KiB (30 MiB) for JP, which is offline.
  constexpr int kBacklog = 120;
  std::string big(256 * 1024, 'r');
  for (int i = 0; i < kBacklog; ++i) {
    ASSERT_TRUE((*sender)->Send(SendTo(v1::NATION_JP, v1::PRECEDENCE_ROUTINE, big)).ok());
  }
  for (int i = 0; i < kBacklog; ++i) {
    auto r = (*sender)->Receive(std::chrono::seconds(60));
    ASSERT_TRUE(r.ok() && r->ok()) << (r.ok() ? r->error() : r.status().ToString());
  }
  // JP comes up; once the backlog is flowing, US sends a FLASH.
  c.StartNode("jp");
  int delivered = 0;
  while (delivered == 0) {
    auto e = (*watcher)->Receive(std::chrono::seconds(60));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    delivered += e->event().kind() == "delivered";
  }
  ASSERT_TRUE((*sender)->Send(SendTo(v1::NATION_JP, v1::PRECEDENCE_FLASH, "FLASH: launch")).ok());
  auto flash = (*sender)->Receive(std::chrono::seconds(60));
  ASSERT_TRUE(flash.ok() && flash->ok());
  std::string flash_id = flash->send().message_id();
  // Order in which signed delivery receipts came back to US.
  int position = -1;
  while (delivered < kBacklog + 1) {
    auto e = (*watcher)->Receive(std::chrono::seconds(60));
    ASSERT_TRUE(e.ok()) << e.status().ToString() << " after " << delivered << " receipts";
    if (e->event().kind() != "delivered") continue;
    if (e->event().message_id() == flash_id) position = delivered;
    ++delivered;
  }
  ASSERT_GE(position, 0);
  // The FLASH receipt is back long before the backlog drains.
  EXPECT_LT(position, kBacklog / 2) << "FLASH receipt was number " << position << " of " << delivered;
  RecordProperty("flash_receipt_position", position);
}

TEST(PriorityTest, MissedDeliveryDeadlineAlertsAuditsAndResendsThroughAnotherRelay) {
  Cluster c(2);
  c.StartRelay(1);
  c.StartRelay(2);
  c.StartNode("us", {1, 2}, {"--deadline", "flash=300ms/1s"});
  ASSERT_TRUE(c.WaitLinksUp("us", 2));
  std::string id = c.CliOk("us", {"send", "--to", "JP", "--channel", "crisis", "--text", "anyone?"});
  // JP is offline: the delivery deadline passes.
  ASSERT_TRUE(WaitUntil([&] {
    return c.CliOk("us", {"status", id}).find("OVERDUE") != std::string::npos;
  }));
  std::string status = c.CliOk("us", {"status"});
  EXPECT_NE(status.find("ALERT OVERDUE: FLASH message " + id.substr(0, 8) + " to JP not delivered"),
            std::string::npos) << status;
  c.StartNode("jp", {1, 2});
  c.CliOk("us", {"wait", id, "--tier", "delivered", "--timeout", "20"});
  // The acknowledgment deadline (1 s) passes too, at both ends.
  ASSERT_TRUE(WaitUntil([&] {
    return c.CliOk("jp", {"status"}).find("ACK OVERDUE: FLASH message " + id.substr(0, 8)) !=
           std::string::npos;
  }));
  ASSERT_TRUE(WaitUntil([&] {
    return c.CliOk("us", {"status"}).find("to JP not acknowledged") != std::string::npos;
  }));
  EXPECT_EQ(c.CliOk("jp", {"inbox"}).find("anyone?") != std::string::npos, true);
  c.StopAll();
  auto db = Database::Open(c.NodeData("us") / "node.db", "");
  ASSERT_TRUE(db.ok());
  auto s = (*db)->Prepare("SELECT record FROM audit_log");
  int overdue = 0, escalated_via_other = 0;
  while (*s->Step()) {
    Bytes b = s->ColumnBlob(0);
    v1::AuditRecord r;
    r.ParseFromArray(b.data(), static_cast<int>(b.size()));
    overdue += r.event() == v1::AUDIT_EVENT_OVERDUE;
    escalated_via_other += r.event() == v1::AUDIT_EVENT_ESCALATED &&
                           r.reason().find("re-sent through relay-") != std::string::npos;
  }
  EXPECT_GE(overdue, 2);
  EXPECT_GE(escalated_via_other, 1);
}

TEST(PriorityTest, ConsultationShowsAnswersAndOverdueNations) {
  Cluster c;
  c.StartRelay(1);
  for (const char* n : {"us", "jp", "kr"}) c.StartNode(n);
  for (const char* n : {"us", "jp", "kr"}) ASSERT_TRUE(c.WaitLinksUp(n));
  std::string id = c.CliOk("jp", {"consult", "request", "--topic", "launch E1", "--question",
                                  "joint statement?", "--respond-within", "0.02"});  // 1.2 s
  c.CliOk("jp", {"wait", id, "--tier", "delivered", "--timeout", "20"});
  std::string answer = c.CliOk("us", {"consult", "respond", id, "--position", "concur", "--text", "yes"});
  c.CliOk("us", {"wait", answer, "--tier", "delivered", "--timeout", "20"});
  ASSERT_TRUE(WaitUntil([&] {
    std::string s = c.CliOk("jp", {"consult", "status", id});
    return s.find("KR  OVERDUE") != std::string::npos && s.find("US  CONCUR") != std::string::npos;
  })) << c.CliOk("jp", {"consult", "status", id});
  EXPECT_TRUE(WaitUntil([&] {
    return c.CliOk("jp", {"status"}).find("CONSULT OVERDUE: KR has not answered") != std::string::npos;
  }));
  // Bad input: responding to something that is not a consultation request.
  std::string plain = c.CliOk("kr", {"send", "--to", "US", "--text", "hello"});
  c.CliOk("kr", {"wait", plain, "--tier", "delivered", "--timeout", "20"});
  auto r = c.Cli({"consult", "--node", c.NodeData("us").string(), "respond", plain, "--position", "concur"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("not a consultation request"), std::string::npos) << r.output;
}

TEST(PriorityTest, MissileWarningFromJsonIsShownAsADrill) {
  Cluster c;
  c.StartRelay(1);
  c.StartNode("kr");
  c.StartNode("us");
  ASSERT_TRUE(c.WaitLinksUp("kr"));
  fs::path json = c.path() / "warning.json";
  std::string text = R"({"status": "STATUS_EXERCISE", "eventId": "KR-E7", "launchLatitude": 39.1,
    "launchLongitude": 125.6, "azimuthDegrees": 80, "confidencePercent": 70, "source": "radar"})";
  ASSERT_TRUE(WriteFileAtomic(json, AsBytes(text), 0644).ok());
  std::string id = c.CliOk("kr", {"warn", "--to", "US", "--json", json.string()});
  c.CliOk("kr", {"wait", id, "--tier", "delivered", "--timeout", "20"});
  std::string shown = c.CliOk("us", {"inbox", "show", id});
  EXPECT_NE(shown.find("*** EXERCISE EXERCISE EXERCISE"), std::string::npos) << shown;
  EXPECT_NE(shown.find("KR-E7"), std::string::npos);
  EXPECT_NE(shown.find("precedence:   FLASH"), std::string::npos);
  EXPECT_NE(c.CliOk("us", {"inbox"}).find("MISSILE WARNING [EXERCISE] KR-E7"), std::string::npos);
  ASSERT_TRUE(WriteFileAtomic(json, AsBytes(std::string("{\"status\": \"NOPE\"}")), 0644).ok());
  auto bad = c.Cli({"warn", "--node", c.NodeData("kr").string(), "--json", json.string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("not a valid MissileWarning JSON"), std::string::npos) << bad.output;
}

// Issue 11 item 5: JP's clock runs two hours ahead. Its acknowledgment
// deadline is measured on its own clock from the moment it saw the message
// (no instant ACK OVERDUE), US shows durations measured on its own clock,
// and both detect, show and audit the skew.
TEST(PriorityTest, ASkewedRecipientMeasuresDeadlinesOnItsOwnClockAndTheSkewIsShown) {
  Cluster c;
  c.StartRelay(1);
  c.StartNode("us");
  c.StartNode("jp", {1}, {"--clock-offset", "2h"});
  ASSERT_TRUE(c.WaitLinksUp("us") && c.WaitLinksUp("jp"));
  std::string id = c.CliOk("us", {"send", "--to", "JP", "--channel", "crisis", "--text", "skewed"});
  c.CliOk("us", {"wait", id, "--tier", "delivered", "--timeout", "20"});
  std::string jp_status;
  EXPECT_TRUE(WaitUntil([&] {
    jp_status = c.CliOk("jp", {"status", "--limit", "0"});
    return jp_status.find("clock relay-1 behind by at least 1h 59m") != std::string::npos;
  })) << jp_status;
  std::string us_status = c.CliOk("us", {"status", id});
  EXPECT_NE(us_status.find("clock JP ahead by at least 1h 59m"), std::string::npos) << us_status;
  EXPECT_NE(us_status.find("OUT OF STEP"), std::string::npos) << us_status;
  // Every duration shown at US is on US's clock: small and positive.
  auto pos = us_status.find("delivered +");
  ASSERT_NE(pos, std::string::npos) << us_status;
  long long delivered_ms = std::stoll(us_status.substr(pos + 11));
  EXPECT_GE(delivered_ms, 0);
  EXPECT_LT(delivered_ms, 60'000) << us_status;
  // JP's operator has two minutes from arrival on JP's clock: no alert now.
  EXPECT_FALSE(WaitUntil(
      [&] {
        return c.CliOk("jp", {"status", "--limit", "0"}).find("ACK OVERDUE") != std::string::npos;
      },
      std::chrono::seconds(1)));
  c.StopAll();
  EXPECT_GE(CountAudit(c.NodeData("jp") / "node.db", v1::AUDIT_EVENT_ALERT, "CLOCK SKEW: relay-1"),
            1);
  EXPECT_GE(CountAudit(c.NodeData("us") / "node.db", v1::AUDIT_EVENT_ALERT, "CLOCK SKEW: JP"), 1);
}

}  // namespace
}  // namespace hotline::testing
