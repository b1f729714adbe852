// The after-action report as one self-contained page: inline CSS and SVG,
// no script, no external asset; opens offline. Every figure carries a
// data-figure attribute naming the JSON field it shows, so a test can
// compare the page with report.json.
#include <algorithm>
#include <climits>
#include <cstdio>
#include <sstream>

#include "hotline/after_action.h"
#include "hotline/certs.h"
#include "hotline/names.h"

namespace hotline::report {

namespace {

std::string Escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Zulu(int64_t ms) {
  if (ms <= 0) return "—";
  time_t secs = static_cast<time_t>(ms / 1000);
  tm t{};
  gmtime_r(&secs, &t);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%03dZ", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

std::string Duration(int64_t ms) {
  if (ms <= 0) return "—";
  char buf[32];
  if (ms < 1000) {
    std::snprintf(buf, sizeof buf, "%lld ms", static_cast<long long>(ms));
  } else if (ms < 120'000) {
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000);
  } else {
    std::snprintf(buf, sizeof buf, "%lld min %lld s", static_cast<long long>(ms / 60'000),
                  static_cast<long long>(ms % 60'000 / 1000));
  }
  return buf;
}

std::string Figure(const std::string& name, const std::string& text) {
  return "<span data-figure=\"" + Escape(name) + "\">" + Escape(text) + "</span>";
}

const char* KindColour(const std::string& kind) {
  if (kind == "sent") return "#4dabf7";
  if (kind == "accepted" || kind == "forwarded") return "#868e96";
  if (kind == "delivered" || kind == "receipted") return "#51cf66";
  if (kind == "acknowledged") return "#20c997";
  if (kind == "overdue" || kind == "alert" || kind == "rejected") return "#ff6b6b";
  if (kind == "escalated" || kind == "link-down" || kind == "expired") return "#fcc419";
  if (kind == "link-up") return "#94d82d";
  if (kind == "consultation") return "#cc5de8";
  if (kind == "track-summary") return "#adb5bd";
  if (kind == "path-test") return "#e8590c";
  if (kind == "inject") return "#364fc7";
  if (kind == "inject-not-played") return "#e64980";
  return "#ced4da";
}

void Timeline(std::ostringstream& o, const v1::AfterActionReport& r) {
  const int kLabel = 90, kWidth = 1000, kRow = 34;
  int height = kRow * r.lanes_size() + 30;
  int64_t span = std::max<int64_t>(1, r.ended_at_ms() - r.started_at_ms());
  o << "<svg class=\"timeline\" viewBox=\"0 0 " << kLabel + kWidth + 10 << " " << height
    << "\" role=\"img\" aria-label=\"timeline, one lane per node and relay\">";
  for (int tick = 0; tick <= 10; ++tick) {
    int x = kLabel + kWidth * tick / 10;
    o << "<line x1=\"" << x << "\" y1=\"0\" x2=\"" << x << "\" y2=\"" << height - 20
      << "\" class=\"grid\"/><text x=\"" << x << "\" y=\"" << height - 6 << "\" class=\"tick\">+"
      << Escape(tick == 0 ? "0" : Duration(span * tick / 10)) << "</text>";
  }
  for (int i = 0; i < r.lanes_size(); ++i) {
    const auto& lane = r.lanes(i);
    int y = kRow * i + kRow / 2;
    o << "<g class=\"lane\" data-actor=\"" << Escape(lane.actor()) << "\"><text x=\"4\" y=\""
      << y + 4 << "\" class=\"lane-label\">" << Escape(lane.actor()) << "</text><line x1=\""
      << kLabel << "\" y1=\"" << y << "\" x2=\"" << kLabel + kWidth << "\" y2=\"" << y
      << "\" class=\"lane-line\"/>";
    for (const auto& e : lane.events()) {
      // Clamped: an inject planned after the last record stays on the chart.
      int64_t at = std::clamp(e.at_ms(), r.started_at_ms(), r.ended_at_ms());
      double x = kLabel + static_cast<double>(kWidth) *
                              static_cast<double>(at - r.started_at_ms()) /
                              static_cast<double>(span);
      bool big = e.kind() == "overdue" || e.kind() == "alert" || e.kind() == "link-down" ||
                 e.kind() == "escalated";
      char cx[32];
      std::snprintf(cx, sizeof cx, "%.1f", x);
      o << "<circle class=\"event kind-" << Escape(e.kind()) << "\" cx=\"" << cx << "\" cy=\"" << y
        << "\" r=\"" << (big ? 6 : 4) << "\" fill=\"" << KindColour(e.kind()) << "\"><title>"
        << Escape(Zulu(e.at_ms()) + " " + e.kind() + ": " + e.text()) << "</title></circle>";
    }
    o << "</g>";
  }
  o << "</svg><p class=\"legend\">";
  for (const char* k :
       {"sent", "accepted", "delivered", "acknowledged", "consultation", "escalated", "link-down",
        "link-up", "overdue", "alert", "track-summary", "inject", "inject-not-played"}) {
    o << "<span><svg width=\"12\" height=\"12\"><circle cx=\"6\" cy=\"6\" r=\"5\" fill=\""
      << KindColour(k) << "\"/></svg> " << k << "</span> ";
  }
  o << "</p>";
}

void Histogram(std::ostringstream& o, const v1::ReportHistogram& h) {
  const int kBar = 70, kHeight = 160;
  uint32_t most = 1;
  for (uint32_t c : h.counts()) most = std::max(most, c);
  o << "<svg class=\"histogram\" viewBox=\"0 0 " << kBar * h.counts_size() + 10 << " "
    << kHeight + 40 << "\" role=\"img\" aria-label=\"histogram of acknowledgment times\">";
  for (int i = 0; i < h.counts_size(); ++i) {
    int bar = static_cast<int>(static_cast<int64_t>(kHeight) * h.counts(i) / most);
    int64_t bound = h.upper_bounds_ms(i);
    std::string label = bound == INT64_MAX ? "longer" : "≤ " + Duration(bound);
    o << "<rect class=\"bar\" data-figure=\"acknowledgment_histogram.counts[" << i
      << "]\" data-count=\"" << h.counts(i) << "\" x=\"" << kBar * i + 8 << "\" y=\""
      << kHeight - bar + 10 << "\" width=\"" << kBar - 14 << "\" height=\"" << bar << "\"><title>"
      << h.counts(i) << " acknowledged " << Escape(label) << "</title></rect><text x=\""
      << kBar * i + 8 << "\" y=\"" << kHeight + 24 << "\" class=\"tick\">" << Escape(label)
      << "</text><text x=\"" << kBar * i + 12 << "\" y=\"" << kHeight - bar + 6
      << "\" class=\"count\">" << h.counts(i) << "</text>";
  }
  o << "</svg>";
}

std::string Offset(int64_t at_ms, int64_t start_ms) {
  if (at_ms <= 0) return "—";
  char buf[32];
  std::snprintf(buf, sizeof buf, "T+%.1fs", static_cast<double>(at_ms - start_ms) / 1000);
  return buf;
}

// Against the scenario: each expected response, then each inject as played.
void ExerciseSection(std::ostringstream& o, const v1::ReportExercise& x, int64_t started_ms) {
  char speed[32];
  std::snprintf(speed, sizeof speed, "%g", x.speed());
  o << "<h2>Against the scenario</h2><p>Exercise <b>"
    << Escape(x.title().empty() ? x.name() : x.title()) << "</b>"
    << (x.speed() != 1 ? std::string(", played ") + speed + "× faster: deadlines scaled" : "")
    << ". Which message each inject sent comes from the runner's record (exercise.json); every "
       "time comes from the verified logs, measured from sending on the sender's clock.</p>"
    << "<div class=\"counts\" id=\"exercise-counts\"><span><b data-figure=\"exercise.met\">"
    << x.met() << "</b>expected responses met</span><span><b data-figure=\"exercise.late\">"
    << x.late() << "</b>late</span><span><b data-figure=\"exercise.missing\">" << x.missing()
    << "</b>missing</span></div><table id=\"expected\"><tr><th>Inject</th><th>By</th>"
       "<th>Response</th><th>Expected within</th><th>Came after</th><th>Verdict</th></tr>";
  for (int i = 0; i < x.expected_size(); ++i) {
    const auto& e = x.expected(i);
    std::string at = "exercise.expected[" + std::to_string(i) + "].";
    bool bad = e.verdict() != "met";
    std::string verdict = e.verdict() == "late"         ? "LATE by " + Duration(e.late_by_ms())
                          : e.verdict() == "met"        ? "met"
                          : e.verdict() == "missing"    ? "MISSING"
                          : e.verdict() == "unverified" ? "UNVERIFIED (its log left out)"
                                                        : "NOT SENT";
    o << "<tr" << (bad ? " class=\"missed\"" : "") << " data-verdict=\"" << Escape(e.verdict())
      << "\"><td>" << Escape(e.inject()) << "</td><td>" << NationCode(e.by()) << "</td><td>"
      << Escape(e.response()) << "</td><td class=\"num\">"
      << Figure(at + "deadline_ms", Duration(e.deadline_ms())) << "</td><td class=\"num\">"
      << Figure(at + "response_ms", Duration(e.response_ms())) << "</td><td>"
      << Figure(at + "verdict", verdict) << "</td></tr>";
  }
  o << "</table><table id=\"injects\"><tr><th>Inject</th><th>Planned</th><th>Played</th>"
       "<th>What happened</th></tr>";
  for (const auto& in : x.injects()) {
    o << "<tr" << (in.ok() ? "" : " class=\"missed\"") << "><td>" << Escape(in.id())
      << "</td><td class=\"num\">" << Offset(in.planned_at_ms(), started_ms)
      << "</td><td class=\"num\">" << Offset(in.played_at_ms(), started_ms) << "</td><td>"
      << Escape(in.outcome()) << "</td></tr>";
  }
  o << "</table>";
}

}  // namespace

std::string RenderHtml(const v1::AfterActionReport& r) {
  std::ostringstream o;
  o << "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>After-action report "
       "— "
    << Escape(r.run()) << "</title><style>"
    << "body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#212529;background:#fff}"
    << "h1{margin:0 0 4px}h2{margin-top:28px;border-bottom:1px solid #dee2e6}"
    << ".verdict{padding:10px 14px;border-radius:6px;font-weight:600;margin:12px 0}"
    << ".verified{background:#d3f9d8;color:#2b8a3e}.unverified{background:#ffe3e3;color:#c92a2a}"
    << "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #dee2e6;padding:4px "
       "8px;text-align:left}"
    << "th{background:#f1f3f5}td.num{text-align:right}tr.missed td{background:#fff5f5}"
    << ".counts span{display:inline-block;margin:0 18px 8px 0}.counts "
       "b{font-size:20px;display:block}"
    << "svg.timeline,svg.histogram{width:100%;max-width:1100px;background:#f8f9fa;border:1px solid "
       "#dee2e6}"
    << ".grid{stroke:#e9ecef}.tick{font-size:10px;fill:#868e96}.lane-label{font-size:12px;fill:#"
       "212529}"
    << ".lane-line{stroke:#ced4da}.bar{fill:#4dabf7}.count{font-size:11px;fill:#212529}"
    << ".legend span{margin-right:12px;font-size:12px}code{font-size:12px}"
    << "</style></head><body>";
  o << "<h1>After-action report</h1><p>Run <code>" << Escape(r.run()) << "</code>, from "
    << Escape(Zulu(r.started_at_ms())) << " to " << Escape(Zulu(r.ended_at_ms())) << " ("
    << Figure("duration", Duration(r.ended_at_ms() - r.started_at_ms())) << "). Generated "
    << Escape(Zulu(r.generated_at_ms())) << " from the audit logs alone.</p>";

  o << "<div id=\"verification\" class=\"verdict " << (r.verified() ? "verified" : "unverified")
    << "\" data-figure=\"verified\" data-value=\"" << (r.verified() ? "true" : "false") << "\">"
    << (r.verified() ? "VERIFIED: every log is intact and consistent with the checkpoints the "
                       "others witnessed"
                     : "NOT VERIFIED: the logs below marked FAILED were left out of every figure")
    << "</div><table id=\"logs\"><tr><th>Log</th><th>Records</th><th>Checkpoints</th><th>Witnessed "
       "copies</th><th>Status</th></tr>";
  for (const auto& log : r.logs()) {
    o << "<tr" << (log.intact() ? "" : " class=\"missed\"") << "><td>" << Escape(log.origin())
      << "</td><td class=\"num\">" << log.records() << "</td><td class=\"num\">"
      << log.checkpoints() << "</td><td class=\"num\">" << log.witnessed_copies() << "</td><td>"
      << (log.intact() ? "intact"
                       : "FAILED at index " + std::to_string(log.first_bad_index()) + ": " +
                             Escape(log.problem()))
      << "</td></tr>";
  }
  o << "</table>";

  const auto& c = r.counts();
  o << "<h2>Summary</h2><div class=\"counts\" id=\"counts\">";
  auto count = [&](const char* name, const char* label, uint32_t v) {
    o << "<span><b data-figure=\"counts." << name << "\">" << v << "</b>" << label << "</span>";
  };
  count("sent", "sent (message × recipient)", c.sent());
  count("delivered", "delivered", c.delivered());
  count("acknowledged", "acknowledged", c.acknowledged());
  count("deadlines_missed", "deadlines missed", c.deadlines_missed());
  count("escalations", "escalations", c.escalations());
  count("failovers", "relay links lost", c.failovers());
  count("gaps", "stream gaps", c.gaps());
  count("alerts", "alerts", c.alerts());
  count("rejected", "inputs refused", c.rejected());
  count("path_test_failures", "path tests failed", c.path_test_failures());
  const auto& h = r.history();
  o << "</div><p id=\"history\">Across the logs: " << h.lost() << " lost, " << h.duplicated()
    << " duplicated, " << h.unreceipted() << " unreceipted, " << h.out_of_order()
    << " out of order, " << h.mismatched() << " digest mismatches ("
    << (h.clean() ? "clean" : "PROBLEMS") << ").</p>";

  if (r.path_tests_size() > 0) {
    o << "<h2>Path tests that failed</h2><table id=\"path-tests\"><tr><th>Path</th><th>Failed"
         "</th><th>First</th><th>Last</th><th>Works again</th><th>Last reason</th></tr>";
    for (const auto& p : r.path_tests()) {
      o << "<tr class=\"missed\"><td>" << Escape(p.path()) << "</td><td class=\"num\">"
        << p.failures() << "</td><td>" << Escape(FormatUnixUtc(p.first_failed_at_ms() / 1000))
        << "</td><td>" << Escape(FormatUnixUtc(p.last_failed_at_ms() / 1000)) << "</td><td>"
        << (p.restored_at_ms() ? Escape(FormatUnixUtc(p.restored_at_ms() / 1000)) : "no")
        << "</td><td>" << Escape(p.last_reason()) << "</td></tr>";
    }
    o << "</table>";
  }
  if (r.has_exercise()) ExerciseSection(o, r.exercise(), r.exercise().started_at_ms());

  o << "<h2>Timeline</h2>";
  Timeline(o, r);

  o << "<h2>How each nation performed</h2><p>Per sender and precedence, measured on the sender's "
       "clock from sending: delivered = its signed delivery receipt verified, acknowledged = the "
       "operator's signed acknowledgment verified.</p><table "
       "id=\"stats\"><tr><th>From</th><th>Precedence</th>"
       "<th>Sent</th><th>Delivered</th><th>Deliver median</th><th>Deliver "
       "worst</th><th>Acknowledged</th>"
       "<th>Acknowledge median</th><th>Acknowledge worst</th><th>Deadlines "
       "met</th><th>Missed</th></tr>";
  for (int i = 0; i < r.stats_size(); ++i) {
    const auto& s = r.stats(i);
    std::string at = "stats[" + std::to_string(i) + "].";
    o << "<tr" << (s.deadlines_missed() ? " class=\"missed\"" : "") << "><td>"
      << NationCode(s.sender()) << "</td><td>" << PrecedenceText(s.precedence())
      << "</td><td class=\"num\">" << Figure(at + "messages", std::to_string(s.messages()))
      << "</td><td class=\"num\">" << Figure(at + "delivered", std::to_string(s.delivered()))
      << "</td><td class=\"num\">"
      << Figure(at + "deliver_median_ms", Duration(s.deliver_median_ms()))
      << "</td><td class=\"num\">"
      << Figure(at + "deliver_worst_ms", Duration(s.deliver_worst_ms()))
      << "</td><td class=\"num\">" << Figure(at + "acknowledged", std::to_string(s.acknowledged()))
      << "</td><td class=\"num\">"
      << Figure(at + "acknowledge_median_ms", Duration(s.acknowledge_median_ms()))
      << "</td><td class=\"num\">"
      << Figure(at + "acknowledge_worst_ms", Duration(s.acknowledge_worst_ms()))
      << "</td><td class=\"num\">"
      << Figure(at + "deadlines_met", std::to_string(s.deadlines_met()))
      << "</td><td class=\"num\">"
      << Figure(at + "deadlines_missed", std::to_string(s.deadlines_missed())) << "</td></tr>";
  }
  o << "</table><h2>Acknowledgment times</h2>";
  Histogram(o, r.acknowledgment_histogram());

  o << "<h2>Consultations</h2>";
  if (r.consultations().empty()) o << "<p>None.</p>";
  for (const auto& cons : r.consultations()) {
    o << "<table class=\"consultation\"><tr><th colspan=\"3\">Requested by "
      << NationCode(cons.requester()) << " at " << Escape(Zulu(cons.asked_at_ms())) << " (<code>"
      << Escape(cons.message_id().substr(0, 8))
      << "</code>)</th></tr><tr><th>Nation</th><th>Answer</th><th>After</th></tr>";
    for (const auto& a : cons.answers()) {
      o << "<tr" << (a.overdue() ? " class=\"missed\"" : "") << "><td>" << NationCode(a.nation())
        << "</td><td>"
        << Escape(a.position().empty() ? (a.overdue() ? "OVERDUE" : "no answer") : a.position())
        << "</td><td class=\"num\">" << Escape(Duration(a.answered_ms())) << "</td></tr>";
    }
    o << "</table>";
  }

  o << "<h2>Messages</h2><table "
       "id=\"messages\"><tr><th>Sent</th><th>From</th><th>To</th><th>Precedence</th>"
       "<th>Channel</th><th>Accepted</th><th>Delivered</th><th>Acknowledged</th><th>By</"
       "th><th>Deadlines</th></tr>";
  for (const auto& m : r.messages()) {
    for (const auto& rc : m.recipients()) {
      bool missed = rc.delivery_overdue() || rc.acknowledgment_overdue();
      o << "<tr data-message=\"" << Escape(m.message_id()) << "\""
        << (missed ? " class=\"missed\"" : "") << "><td>" << Escape(Zulu(m.sent_at_ms()))
        << "</td><td>" << NationCode(m.sender()) << "</td><td>" << NationCode(rc.nation())
        << "</td><td>" << PrecedenceText(m.precedence()) << "</td><td>" << ChannelText(m.channel())
        << "</td><td class=\"num\">" << Escape(Duration(rc.accepted_ms()))
        << "</td><td class=\"num\">" << Escape(Duration(rc.delivered_ms()))
        << "</td><td class=\"num\">" << Escape(Duration(rc.acknowledged_ms())) << "</td><td>"
        << Escape(rc.acknowledged_by()) << "</td><td>"
        << (rc.delivery_overdue() ? "NOT DELIVERED IN TIME " : "")
        << (rc.acknowledgment_overdue() ? "NOT ACKNOWLEDGED IN TIME" : "") << (missed ? "" : "met")
        << (rc.escalations() ? " (escalated ×" + std::to_string(rc.escalations()) + ")" : "")
        << "</td></tr>";
    }
  }
  o << "</table></body></html>\n";
  return o.str();
}

}  // namespace hotline::report
