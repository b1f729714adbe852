// Metrics read off a daemon's own audit records as they are committed
// (docs/OPERATIONS.md): every audited event counted, refused inputs by
// reason, failovers and alerts, and — at a node, on its own clock — the
// time from SENT to each tier for each recipient. One hook serves the
// node and the relay, and a metric can never disagree with the log an
// auditor verifies.
//
// Thread safety: none; the daemon's thread. Error contract: none.
#ifndef HOTLINE_AUDIT_METRICS_H_
#define HOTLINE_AUDIT_METRICS_H_

#include <deque>
#include <map>
#include <set>
#include <string>

#include "hotline/metrics.h"
#include "hotline/v1/audit.pb.h"

namespace hotline::metrics {

class AuditMetrics {
 public:
  static constexpr size_t kMaxInFlight = 100'000;  // messages whose tiers are followed
  static constexpr size_t kMaxReasons = 32;        // distinct refusal reasons, then "other"

  explicit AuditMetrics(Registry& registry);
  void Observe(const v1::AuditRecord& record);

  // The refusal's kind: its reason up to the first ':' or '(' , digits
  // dropped, at most 48 bytes ("envelope signature does not verify").
  static std::string ReasonKind(const std::string& reason);

 private:
  struct Sent {
    int64_t at_ms = 0;
    std::string precedence;
    bool accepted = false;                        // by the first relay
    std::set<int> receipted_by, acknowledged_by;  // recipients seen at each tier
  };
  Registry& registry_;
  std::map<std::string, Sent> sent_;  // by message id
  std::deque<std::string> order_;     // oldest first, to bound sent_
  std::set<std::string> reasons_;
};

}  // namespace hotline::metrics

#endif  // HOTLINE_AUDIT_METRICS_H_
