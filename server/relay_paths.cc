// Path tests at the relay (PROTOCOL.md §13): a probe or reply is forwarded
// live to the nation it names, stamped with the nation of the link it came
// on, and never stored: a probe that cannot be forwarded now has found the
// broken path its sender is looking for. The relay cannot read or forge
// them (they are signed by nodes); it only bounds how many a node may send.
#include <spdlog/spdlog.h>

#include "hotline/path_tests.h"
#include "relay_server.h"

namespace hotline::relay {

void RelayServer::OnPathProbe(const LinkConnection::Ptr& link, v1::PathProbe& probe) {
  v1::Nation from = PeerNation(link);
  ProbeBudget& budget = probe_budgets_[from];
  int64_t now = config_.now_ms();
  auto refuse = [&](v1::LinkError::Code code, const std::string& why) {
    if (metrics_) metrics_->Add("hotline_relay_path_probes_total", 1, {"refused"});
    auto record = budget.refusals.Admit(now, "path probe rejected: " + why);
    if (!record) {
      spdlog::debug("path probe from {} refused (not audited): {}", NationCode(from), why);
      return;
    }
    Reject(link, code, *record);
  };
  if (!budget.forwards.Take(now)) {
    return refuse(v1::LinkError::CODE_OVERLOADED,
                  "over 50 path probes a second from " + NationCode(from));
  }
  if (probe.to() == v1::NATION_UNSPECIFIED || !v1::Nation_IsValid(probe.to()) ||
      probe.to() == from) {
    return refuse(v1::LinkError::CODE_MALFORMED, "'to' is not another nation");
  }
  if (probe.signed_probe().empty() || probe.signed_probe().size() > paths::kMaxProbeBytes) {
    return refuse(v1::LinkError::CODE_TOO_LARGE,
                  "signed_probe must be 1 to " + std::to_string(paths::kMaxProbeBytes) + " bytes");
  }
  probe.set_from(from);
  LinkConnection::Ptr to = links_.Current(probe.to());
  bool forwarded = false;
  if (to && to->established()) {
    v1::LinkFrame f;
    *f.mutable_path_probe() = std::move(probe);
    forwarded = to->Send(f, v1::PRECEDENCE_IMMEDIATE).ok();
  }
  if (metrics_)
    metrics_->Add("hotline_relay_path_probes_total", 1, {forwarded ? "forwarded" : "dropped"});
}

}  // namespace hotline::relay
