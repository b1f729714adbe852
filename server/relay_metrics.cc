// The relay's metrics (docs/OPERATIONS.md): its audit records as they are
// committed, commit latency, and at each scrape the nodes connected, the
// queues by recipient and precedence, held track updates and the audit
// log's size and last checkpoint.
#include "hotline/certs.h"
#include "hotline/names.h"
#include "relay_server.h"

namespace hotline::relay {

using metrics::Type;

void RelayServer::InstallMetrics(metrics::Registry& r) {
  metrics_ = &r;
  audit_metrics_ = std::make_unique<metrics::AuditMetrics>(r);
  r.Declare("hotline_relay_info", Type::kGauge, "This relay: 1, labelled with its name", {"relay"});
  r.Set("hotline_relay_info", 1, {config_.subject});
  r.Declare("hotline_commit_seconds", Type::kHistogram,
            "Durable store transactions, BEGIN to the end of COMMIT (fsync included)", {},
            metrics::LatencyBuckets());
  r.Declare("hotline_relay_node_connected", Type::kGauge,
            "1 if the node of this nation is linked to the relay", {"nation"});
  r.Declare("hotline_relay_queue_depth", Type::kGauge,
            "Envelopes stored for a recipient and not yet taken, by precedence",
            {"recipient", "precedence"});
  r.Declare("hotline_relay_in_flight", Type::kGauge,
            "Envelopes sent to a recipient and not yet confirmed stored by it", {"recipient"});
  r.Declare("hotline_relay_links", Type::kGauge, "Connections open, authenticated or not");
  r.Declare("hotline_relay_path_probes_total", Type::kCounter,
            "Path test probes and replies from nodes: forwarded, dropped (recipient not "
            "linked here, or its write queue full), or refused (malformed, or over 50 a "
            "second from one node)",
            {"result"});
  r.Declare("hotline_audit_log_records", Type::kGauge, "Records in this relay's audit log");
  r.Declare("hotline_audit_checkpoint_age_seconds", Type::kGauge,
            "Age of the newest signed checkpoint of the audit log");
  audit_->SetObserver([this](const v1::AuditRecord& record) { audit_metrics_->Observe(record); });
  committer_->OnCommit([this](std::chrono::nanoseconds took, size_t) {
    audit_->Committed();
    metrics_->Observe("hotline_commit_seconds", std::chrono::duration<double>(took).count());
  });
  r.AddCollector([this](metrics::Registry& m) {
    m.Clear("hotline_relay_queue_depth");
    for (v1::Nation n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) {
      std::string nation = NationCode(n);
      m.Set("hotline_relay_node_connected", links_.Current(n) ? 1 : 0, {nation});
      m.Set("hotline_relay_in_flight", static_cast<double>(queues_.in_flight(n)), {nation});
      auto depth = queues_.QueuedByPrecedence(n);
      for (v1::Precedence p : {v1::PRECEDENCE_FLASH, v1::PRECEDENCE_IMMEDIATE,
                               v1::PRECEDENCE_PRIORITY, v1::PRECEDENCE_ROUTINE}) {
        auto it = depth.find(p);
        m.Set("hotline_relay_queue_depth", it == depth.end() ? 0 : static_cast<double>(it->second),
              {nation, PrecedenceText(p)});
      }
    }
    m.Set("hotline_relay_links", static_cast<double>(links_.All().size()));
    if (auto size = audit_->Size(); size.ok()) {
      m.Set("hotline_audit_log_records", static_cast<double>(*size));
    }
    if (auto latest = audit_->LatestCheckpoint(); latest.ok() && *latest) {
      v1::Checkpoint c;
      if (c.ParseFromString((*latest)->checkpoint())) {
        m.Set("hotline_audit_checkpoint_age_seconds",
              static_cast<double>(std::max<int64_t>(0, config_.now_ms() - c.at_ms())) / 1000.0);
      }
    }
  });
}

}  // namespace hotline::relay
