// The metrics registry's exposition text, and metrics read off audit
// records (include/hotline/metrics.h, audit_metrics.h), without sockets.
#include "hotline/metrics.h"

#include <gtest/gtest.h>

#include "hotline/audit_metrics.h"

namespace hotline::metrics {
namespace {

TEST(MetricsTest, RendersTheTextExpositionFormat) {
  Registry r;
  r.Declare("t_total", Type::kCounter, "A counter\nwith a newline", {"kind"});
  r.Declare("t_gauge", Type::kGauge, "A gauge");
  r.Declare("t_seconds", Type::kHistogram, "A histogram", {"tier"}, {0.1, 1});
  r.Add("t_total", 2, {"a \"quoted\" \\ value"});
  r.Add("t_total", -1, {"a \"quoted\" \\ value"});  // a counter never goes down
  r.Set("t_gauge", 1.5);
  r.Observe("t_seconds", 0.05, {"x"});
  r.Observe("t_seconds", 0.5, {"x"});
  r.Observe("t_seconds", 5, {"x"});
  r.Add("t_unknown", 1);            // undeclared: ignored
  r.Add("t_total", 1, {"a", "b"});  // wrong labels: ignored
  std::string text = r.Render();
  EXPECT_NE(text.find("# HELP t_total A counter\\nwith a newline\n# TYPE t_total counter\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("t_total{kind=\"a \\\"quoted\\\" \\\\ value\"} 2\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("t_gauge 1.5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("t_seconds_bucket{tier=\"x\",le=\"0.10000000000000001\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("t_seconds_bucket{tier=\"x\",le=\"1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("t_seconds_bucket{tier=\"x\",le=\"+Inf\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("t_seconds_count{tier=\"x\"} 3\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("t_unknown"), std::string::npos);
}

TEST(MetricsTest, AFamilyKeepsAtMost256LabelSetsAndCountsTheRest) {
  Registry r;
  r.Declare("t_total", Type::kCounter, "A counter", {"k"});
  for (int i = 0; i < 300; ++i) r.Add("t_total", 1, {std::to_string(i)});
  std::string text = r.Render();
  EXPECT_NE(text.find("hotline_metrics_dropped_series_total 44\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("t_total{k=\"299\"}"), std::string::npos);
}

TEST(MetricsTest, CollectorsRunAtEachScrape) {
  Registry r;
  r.Declare("t_depth", Type::kGauge, "A gauge", {"q"});
  int depth = 3;
  r.AddCollector([&](Registry& m) {
    m.Clear("t_depth");
    m.Set("t_depth", depth, {"a"});
  });
  EXPECT_NE(r.Render().find("t_depth{q=\"a\"} 3\n"), std::string::npos);
  depth = 0;
  EXPECT_NE(r.Render().find("t_depth{q=\"a\"} 0\n"), std::string::npos);
}

v1::AuditRecord Record(v1::AuditEvent event, int64_t at_ms,
                       v1::Nation peer = v1::NATION_UNSPECIFIED) {
  v1::AuditRecord r;
  r.set_event(event);
  r.set_at_ms(at_ms);
  r.set_actor("node-us");
  r.set_message_id("m1");
  r.set_peer(peer);
  r.set_precedence(v1::PRECEDENCE_FLASH);
  return r;
}

TEST(MetricsTest, TiersAreTimedFromSentOncePerRecipient) {
  Registry r;
  AuditMetrics m(r);
  m.Observe(Record(v1::AUDIT_EVENT_SENT, 1'000));
  m.Observe(Record(v1::AUDIT_EVENT_ACCEPTED, 1'004));
  m.Observe(Record(v1::AUDIT_EVENT_ACCEPTED, 1'009));  // a second relay: not a second tier
  m.Observe(Record(v1::AUDIT_EVENT_RECEIPT_RECEIVED, 1'020, v1::NATION_JP));
  m.Observe(Record(v1::AUDIT_EVENT_RECEIPT_RECEIVED, 1'030, v1::NATION_JP));  // a copy
  m.Observe(Record(v1::AUDIT_EVENT_RECEIPT_RECEIVED, 1'040, v1::NATION_KR));
  v1::AuditRecord own_ack = Record(v1::AUDIT_EVENT_ACKNOWLEDGED, 2'000, v1::NATION_JP);
  own_ack.set_operator_name("jp-officer");  // the recipient's record, not the sender's receipt
  m.Observe(own_ack);
  m.Observe(Record(v1::AUDIT_EVENT_ACKNOWLEDGED, 3'000, v1::NATION_JP));
  v1::AuditRecord rejected = Record(v1::AUDIT_EVENT_INPUT_REJECTED, 3'000);
  rejected.set_reason("envelope signature does not verify: key 12ab");
  m.Observe(rejected);
  std::string text = r.Render();
  EXPECT_NE(text.find("hotline_tier_seconds_count{tier=\"accepted\",precedence=\"FLASH\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("hotline_tier_seconds_count{tier=\"delivered\",precedence=\"FLASH\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("hotline_tier_seconds_sum{tier=\"acknowledged\",precedence=\"FLASH\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("hotline_rejected_inputs_total{reason=\"envelope signature does not verify\"} 1"),
      std::string::npos);
  EXPECT_NE(text.find("hotline_audit_events_total{event=\"SENT\"} 1"), std::string::npos);
  EXPECT_EQ(AuditMetrics::ReasonKind("frame 42 too large (99 bytes)"), "frame  too large");
  EXPECT_EQ(AuditMetrics::ReasonKind(""), "unspecified");
}

}  // namespace
}  // namespace hotline::metrics
