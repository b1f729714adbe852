// After-action reports (issue 18): figures from audit records alone, on the
// sender's clock; system traffic left out; logs that do not verify left
// out and marked; the HTML shows the same figures and escapes every text.
#include "hotline/after_action.h"

#include <gtest/gtest.h>

namespace hotline::report {
namespace {

v1::AuditRecord Record(const std::string& actor, int64_t at_ms, v1::AuditEvent event,
                       const std::string& id = "", v1::Nation peer = v1::NATION_UNSPECIFIED) {
  v1::AuditRecord r;
  r.set_actor(actor);
  r.set_at_ms(at_ms);
  r.set_event(event);
  r.set_message_id(id);
  r.set_peer(peer);
  return r;
}

v1::AuditVerification Intact(const std::string& origin, bool intact = true) {
  v1::AuditVerification v;
  v.set_origin(origin);
  v.set_intact(intact);
  if (!intact) {
    v.set_first_bad_index(3);
    v.set_problem("leaf hash does not match");
  }
  return v;
}

// KR sends a FLASH warning to US and JP at t=1000: US receipts after 40 ms
// and acknowledges after 3 s; JP receipts but never acknowledges, and KR
// records it overdue. A checkpoint note (SENT by "node") is not counted.
std::vector<v1::AuditRecord> KrLog() {
  std::vector<v1::AuditRecord> log;
  auto sent = Record("node-kr", 1000, v1::AUDIT_EVENT_SENT, "M1");
  sent.set_precedence(v1::PRECEDENCE_FLASH);
  sent.set_channel(v1::CHANNEL_MISSILE_WARNING);
  sent.add_recipients(v1::NATION_US);
  sent.add_recipients(v1::NATION_JP);
  sent.set_operator_name("cli:kr-duty");
  log.push_back(sent);
  auto note = Record("node-kr", 1001, v1::AUDIT_EVENT_SENT, "N1");
  note.add_recipients(v1::NATION_US);
  log.push_back(note);  // no operator: the node's own
  log.push_back(Record("node-kr", 1010, v1::AUDIT_EVENT_ACCEPTED, "M1"));
  log.push_back(Record("node-kr", 1040, v1::AUDIT_EVENT_RECEIPT_RECEIVED, "M1", v1::NATION_US));
  log.push_back(Record("node-kr", 1060, v1::AUDIT_EVENT_RECEIPT_RECEIVED, "M1", v1::NATION_JP));
  auto ack = Record("node-kr", 4000, v1::AUDIT_EVENT_ACKNOWLEDGED, "M1", v1::NATION_US);
  ack.set_detail("operator acknowledgment receipt");
  log.push_back(ack);
  auto overdue = Record("node-kr", 61000, v1::AUDIT_EVENT_OVERDUE, "M1", v1::NATION_JP);
  overdue.set_reason("not acknowledged by its deadline");
  log.push_back(overdue);
  auto down = Record("node-kr", 30000, v1::AUDIT_EVENT_LINK_CLOSED);
  down.set_peer_subject("relay-1");
  log.push_back(down);
  return log;
}

std::vector<v1::AuditRecord> UsLog() {
  auto acked = Record("node-us", 3990, v1::AUDIT_EVENT_ACKNOWLEDGED, "M1", v1::NATION_KR);
  acked.set_operator_name("<b>us-watch</b>");
  auto asked = Record("node-us", 5000, v1::AUDIT_EVENT_CONSULT_CHANGED, "C1");
  asked.set_detail("consultation requested");
  auto consult = Record("node-us", 5000, v1::AUDIT_EVENT_SENT, "C1");
  consult.set_channel(v1::CHANNEL_CONSULT);
  consult.set_precedence(v1::PRECEDENCE_IMMEDIATE);
  consult.add_recipients(v1::NATION_JP);
  consult.add_recipients(v1::NATION_KR);
  consult.set_operator_name("cli:us");
  auto answer = Record("node-us", 7500, v1::AUDIT_EVENT_CONSULT_CHANGED, "C1", v1::NATION_KR);
  answer.set_detail("KR answered NEED TIME");
  auto late = Record("node-us", 9000, v1::AUDIT_EVENT_OVERDUE, "C1", v1::NATION_JP);
  late.set_channel(v1::CHANNEL_CONSULT);
  return {acked, asked, consult, answer, late};
}

TEST(AfterActionTest, FiguresComeFromTheSendersClockAndLeaveOutSystemTraffic) {
  ReportBuilder b("run/x", 99);
  b.AddLog(Intact("node-kr"), KrLog());
  b.AddLog(Intact("node-us"), UsLog());
  v1::AfterActionReport r = b.Build();
  EXPECT_TRUE(r.verified());
  EXPECT_EQ(r.started_at_ms(), 1000);
  EXPECT_EQ(r.ended_at_ms(), 61000);
  ASSERT_EQ(r.messages_size(), 2);  // M1 and the consultation; not the note
  const auto& m = r.messages(0);
  EXPECT_EQ(m.sender(), v1::NATION_KR);
  ASSERT_EQ(m.recipients_size(), 2);
  EXPECT_EQ(m.recipients(0).nation(), v1::NATION_US);
  EXPECT_EQ(m.recipients(0).accepted_ms(), 10);
  EXPECT_EQ(m.recipients(0).delivered_ms(), 40);
  EXPECT_EQ(m.recipients(0).acknowledged_ms(), 3000);
  EXPECT_EQ(m.recipients(0).acknowledged_by(), "<b>us-watch</b>");
  EXPECT_FALSE(m.recipients(0).acknowledgment_overdue());
  EXPECT_EQ(m.recipients(1).delivered_ms(), 60);
  EXPECT_EQ(m.recipients(1).acknowledged_ms(), 0);
  EXPECT_TRUE(m.recipients(1).acknowledgment_overdue());

  ASSERT_EQ(r.stats_size(), 2);  // (US, IMMEDIATE), then (KR, FLASH)
  const auto& kr = r.stats(1);
  EXPECT_EQ(kr.sender(), v1::NATION_KR);
  EXPECT_EQ(kr.precedence(), v1::PRECEDENCE_FLASH);
  EXPECT_EQ(kr.messages(), 2u);
  EXPECT_EQ(kr.delivered(), 2u);
  EXPECT_EQ(kr.deliver_median_ms(), 40);
  EXPECT_EQ(kr.deliver_worst_ms(), 60);
  EXPECT_EQ(kr.acknowledged(), 1u);
  EXPECT_EQ(kr.acknowledge_worst_ms(), 3000);
  EXPECT_EQ(kr.deadlines_met(), 1u);
  EXPECT_EQ(kr.deadlines_missed(), 1u);

  EXPECT_EQ(r.counts().sent(), 4u);
  EXPECT_EQ(r.counts().delivered(), 2u);
  EXPECT_EQ(r.counts().acknowledged(), 1u);
  EXPECT_EQ(r.counts().deadlines_missed(), 1u);
  EXPECT_EQ(r.counts().failovers(), 1u);
  // 3 s falls in the "≤ 5 s" bucket.
  const auto& h = r.acknowledgment_histogram();
  ASSERT_EQ(h.counts_size(), static_cast<int>(HistogramBounds().size()));
  EXPECT_EQ(h.upper_bounds_ms(2), 5000);
  EXPECT_EQ(h.counts(2), 1u);

  ASSERT_EQ(r.consultations_size(), 1);
  const auto& c = r.consultations(0);
  EXPECT_EQ(c.requester(), v1::NATION_US);
  ASSERT_EQ(c.answers_size(), 2);
  EXPECT_EQ(c.answers(0).nation(), v1::NATION_JP);
  EXPECT_TRUE(c.answers(0).overdue());
  EXPECT_EQ(c.answers(0).answered_ms(), 0);
  EXPECT_EQ(c.answers(1).nation(), v1::NATION_KR);
  EXPECT_EQ(c.answers(1).answered_ms(), 2500);
  EXPECT_EQ(c.answers(1).position(), "NEED TIME");

  ASSERT_EQ(r.lanes_size(), 2);
  EXPECT_EQ(r.lanes(0).actor(), "node-kr");
}

TEST(AfterActionTest, ALogThatDoesNotVerifyIsLeftOutAndTheReportSaysSo) {
  ReportBuilder b("run/x", 99);
  b.AddLog(Intact("node-kr"), KrLog());
  b.AddLog(Intact("node-us", /*intact=*/false), UsLog());
  v1::AfterActionReport r = b.Build();
  EXPECT_FALSE(r.verified());
  EXPECT_EQ(r.consultations_size(), 0) << "only the unverified log knew of it";
  ASSERT_EQ(r.messages_size(), 1);
  EXPECT_EQ(r.messages(0).recipients(0).acknowledged_by(), "");
  std::string html = RenderHtml(r);
  EXPECT_NE(html.find("NOT VERIFIED"), std::string::npos);
  EXPECT_NE(html.find("FAILED at index 3: leaf hash does not match"), std::string::npos);
}

TEST(AfterActionTest, ThePageShowsTheFiguresAndEscapesEveryText) {
  ReportBuilder b("run/<x>", 99);
  b.AddLog(Intact("node-kr"), KrLog());
  b.AddLog(Intact("node-us"), UsLog());
  std::string html = RenderHtml(b.Build());
  EXPECT_EQ(html.find("<b>us-watch"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;us-watch&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(html.find("run/&lt;x&gt;"), std::string::npos);
  EXPECT_NE(html.find("<b data-figure=\"counts.deadlines_missed\">1</b>"), std::string::npos);
  EXPECT_NE(html.find("data-figure=\"stats[1].deliver_worst_ms\">60 ms<"), std::string::npos);
  EXPECT_NE(html.find("NOT ACKNOWLEDGED IN TIME"), std::string::npos);
  EXPECT_NE(html.find("<svg class=\"timeline\""), std::string::npos);
  EXPECT_NE(html.find("<svg class=\"histogram\""), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos) << "no external asset";
}

}  // namespace
}  // namespace hotline::report
