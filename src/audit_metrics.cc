#include "hotline/audit_metrics.h"

#include <algorithm>
#include <cctype>

#include "hotline/names.h"

namespace hotline::metrics {

AuditMetrics::AuditMetrics(Registry& r) : registry_(r) {
  r.Declare("hotline_audit_events_total", Type::kCounter,
            "Audit records appended, by event (docs/AUDIT.md)", {"event"});
  r.Declare("hotline_rejected_inputs_total", Type::kCounter,
            "Inputs refused and audited INPUT_REJECTED, by kind of reason", {"reason"});
  r.Declare("hotline_failovers_total", Type::kCounter,
            "Relay links lost at this node (LINK_CLOSED records)");
  r.Declare("hotline_alerts_total", Type::kCounter, "Operator alerts audited");
  r.Declare("hotline_deadlines_missed_total", Type::kCounter,
            "OVERDUE records: deliveries, acknowledgments or consultation answers not in time");
  r.Declare("hotline_tier_seconds", Type::kHistogram,
            "Time from sending to each tier per recipient, on the sender's clock: accepted by a "
            "relay, delivered (signed receipt verified), acknowledged (operator's receipt)",
            {"tier", "precedence"}, LatencyBuckets());
}

std::string AuditMetrics::ReasonKind(const std::string& reason) {
  std::string out;
  for (char c : reason) {
    if (c == ':' || c == '(' || out.size() >= 48) break;
    if (std::isdigit(static_cast<unsigned char>(c))) continue;
    out += std::isprint(static_cast<unsigned char>(c)) ? c : ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out.empty() ? "unspecified" : out;
}

void AuditMetrics::Observe(const v1::AuditRecord& r) {
  registry_.Add("hotline_audit_events_total", 1, {AuditEventText(r.event())});
  const std::string& id = r.message_id();
  auto tier = [&](const char* name, Sent& s) {
    registry_.Observe("hotline_tier_seconds",
                      static_cast<double>(std::max<int64_t>(0, r.at_ms() - s.at_ms)) / 1000.0,
                      {name, s.precedence});
  };
  switch (r.event()) {
    case v1::AUDIT_EVENT_INPUT_REJECTED: {
      std::string kind = ReasonKind(r.reason());
      if (!reasons_.count(kind)) {
        if (reasons_.size() >= kMaxReasons) kind = "other";
        reasons_.insert(kind);
      }
      registry_.Add("hotline_rejected_inputs_total", 1, {kind});
      break;
    }
    case v1::AUDIT_EVENT_LINK_CLOSED:
      if (r.actor().rfind("node-", 0) == 0) registry_.Add("hotline_failovers_total", 1);
      break;
    case v1::AUDIT_EVENT_ALERT:
      registry_.Add("hotline_alerts_total", 1);
      break;
    case v1::AUDIT_EVENT_OVERDUE:
      registry_.Add("hotline_deadlines_missed_total", 1);
      break;
    case v1::AUDIT_EVENT_SENT:
      if (r.actor().rfind("node-", 0) != 0 || sent_.count(id)) break;
      sent_[id] = Sent{r.at_ms(), PrecedenceText(r.precedence()), false, {}, {}};
      order_.push_back(id);
      while (order_.size() > kMaxInFlight) {
        sent_.erase(order_.front());
        order_.pop_front();
      }
      break;
    case v1::AUDIT_EVENT_ACCEPTED: {
      auto s = sent_.find(id);
      if (s != sent_.end() && !s->second.accepted) {
        s->second.accepted = true;
        tier("accepted", s->second);
      }
      break;
    }
    case v1::AUDIT_EVENT_RECEIPT_RECEIVED: {
      auto s = sent_.find(id);
      if (s != sent_.end() && s->second.receipted_by.insert(r.peer()).second) {
        tier("delivered", s->second);
      }
      break;
    }
    case v1::AUDIT_EVENT_ACKNOWLEDGED: {
      // The sender's record of the acknowledgment receipt carries no operator.
      auto s = sent_.find(id);
      if (s != sent_.end() && r.operator_name().empty() &&
          s->second.acknowledged_by.insert(r.peer()).second) {
        tier("acknowledged", s->second);
      }
      break;
    }
    default:
      break;
  }
}

}  // namespace hotline::metrics
