// The node's metrics (docs/OPERATIONS.md): its audit records as they are
// committed, commit latency, track updates, and at each scrape the relay
// links, the outbox by precedence and the audit log's size and last
// checkpoint.
#include "hotline/certs.h"
#include "hotline/names.h"
#include "node/node_daemon.h"

namespace hotline::node {

using metrics::Type;

void NodeDaemon::InstallMetrics(metrics::Registry& r) {
  metrics_ = &r;
  audit_metrics_ = std::make_unique<metrics::AuditMetrics>(r);
  r.Declare("hotline_node_info", Type::kGauge, "This node: 1, labelled with its nation",
            {"nation"});
  r.Set("hotline_node_info", 1, {NationCode(config_.nation)});
  r.Declare("hotline_commit_seconds", Type::kHistogram,
            "Durable store transactions, BEGIN to the end of COMMIT (fsync included)", {},
            metrics::LatencyBuckets());
  r.Declare("hotline_relay_link_up", Type::kGauge, "1 if the link to this relay is up", {"relay"});
  r.Declare("hotline_relay_links_up", Type::kGauge, "Relay links up");
  r.Declare("hotline_outbox_messages", Type::kGauge,
            "Messages sent by this node by precedence: queued (not yet submitted to a relay) and "
            "unreceipted (a recipient's signed receipt not back)",
            {"precedence", "state"});
  r.Declare("hotline_audit_log_records", Type::kGauge, "Records in this node's audit log");
  r.Declare("hotline_audit_checkpoint_age_seconds", Type::kGauge,
            "Age of the newest signed checkpoint of the audit log");
  r.Declare("hotline_track_updates_total", Type::kCounter,
            "Live track updates: published here, applied (newest of their track), stale "
            "(conflated or a copy), refused",
            {"direction"});
  r.Declare("hotline_path_tests_total", Type::kCounter,
            "Scheduled path tests through a relay to a nation, by result (ok, failed)",
            {"relay", "nation", "result"});
  r.Declare("hotline_path_up", Type::kGauge,
            "1 if the last path test through this relay to this nation succeeded, 0 if it "
            "failed (absent until tested)",
            {"relay", "nation"});
  r.Declare("hotline_path_rtt_seconds", Type::kGauge,
            "Round trip of the last successful path test, on this node's clock",
            {"relay", "nation"});
  audit_->SetObserver([this](const v1::AuditRecord& record) { audit_metrics_->Observe(record); });
  committer_->OnCommit([this](std::chrono::nanoseconds took, size_t) {
    audit_->Committed();
    metrics_->Observe("hotline_commit_seconds", std::chrono::duration<double>(took).count());
  });
  r.AddCollector([this](metrics::Registry& m) {
    v1::StatusResponse status;
    if (pool_) pool_->FillStatus(status);
    m.Clear("hotline_relay_link_up");
    int up = 0;
    for (const auto& relay : status.relays()) {
      m.Set("hotline_relay_link_up", relay.connected() ? 1 : 0,
            {relay.subject().empty() ? relay.address() : relay.subject()});
      up += relay.connected() ? 1 : 0;
    }
    m.Set("hotline_relay_links_up", up);
    m.Clear("hotline_outbox_messages");
    for (v1::Precedence p : {v1::PRECEDENCE_FLASH, v1::PRECEDENCE_IMMEDIATE,
                             v1::PRECEDENCE_PRIORITY, v1::PRECEDENCE_ROUTINE}) {
      m.Set("hotline_outbox_messages", 0, {PrecedenceText(p), "queued"});
      m.Set("hotline_outbox_messages", 0, {PrecedenceText(p), "unreceipted"});
    }
    for (const auto& [p, depth] : outbox_.Depths()) {
      m.Set("hotline_outbox_messages", static_cast<double>(depth.queued),
            {PrecedenceText(p), "queued"});
      m.Set("hotline_outbox_messages", static_cast<double>(depth.unreceipted),
            {PrecedenceText(p), "unreceipted"});
    }
    m.Clear("hotline_path_up");
    m.Clear("hotline_path_rtt_seconds");
    if (paths_) {
      for (const paths::View& v : paths_->Views()) {
        if (v.state == paths::State::kUntested) continue;
        std::vector<std::string> labels{RelayName(v.path.relay), NationCode(v.path.nation)};
        m.Set("hotline_path_up", v.state == paths::State::kOk ? 1 : 0, labels);
        if (v.last_success_ms > 0) {
          m.Set("hotline_path_rtt_seconds", static_cast<double>(v.rtt_ms) / 1000.0, labels);
        }
      }
    }
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

void NodeDaemon::CountTrack(const char* what) {
  if (metrics_) metrics_->Add("hotline_track_updates_total", 1, {what});
}

}  // namespace hotline::node
