// The node's trust: the other nations' certificates from the trust folder,
// and the root document and revocation lists in force — taken from the
// folder, from an operator (`hotline trust publish`) or from any relay,
// and passed on to every other relay at once (docs/PROTOCOL.md §2
// "Distribution").
#include <spdlog/spdlog.h>

#include "hotline/control_codec.h"
#include "node/node_daemon.h"

namespace hotline::node {

CertCheck NodeDaemon::CheckOwnCertificate(std::optional<ByteView> certificate) const {
  CertExpectations self_check;
  self_check.now_unix = config_.now_ms() / 1000;
  self_check.allowed_skew_seconds = config_.allowed_skew_seconds;
  self_check.role = v1::ROLE_NODE;
  self_check.nation = config_.nation;
  return trust().Verify(certificate ? *certificate : ByteView(identity_->certificate), self_check);
}

void NodeDaemon::ReloadPeers() {
  PeerDirectory::Options options;
  options.now_unix = config_.now_ms() / 1000;
  options.allowed_skew_seconds = config_.allowed_skew_seconds;
  options.grace_seconds = config_.certificate_grace_seconds;
  options.archive_dir = config_.data_dir / "peer-certs";
  peers_ = PeerDirectory::Load(config_.certs_dir, trust(), config_.nation, options);
  auto keys =
      std::make_unique<EnvelopeKeys>(config_.nation, identity_->keys.signing, *identity_->keys.e2e);
  peer_signing_keys_.clear();
  for (const auto& [key, cert] : peers_.all()) {
    keys->AddPeer(key.first, key.second, cert.keys, cert.current);
    if (cert.current) peer_signing_keys_[key.first] = cert.keys.signing_public_key;
  }
  // Our own earlier end-to-end keys, for what was sealed for them while it
  // waited: kept for the grace period after our current certificate began.
  auto previous =
      LoadPreviousCertificates(config_.certs_dir, NodeSubject(config_.nation), /*with_keys=*/true);
  bool in_grace = options.now_unix <= identity_->details.not_before_unix() + options.grace_seconds;
  if (previous.ok() && in_grace) {
    for (const auto& p : *previous) {
      if (p.keys && p.keys->e2e) keys->AddPreviousKey(*p.keys->e2e);
    }
  }
  keys_ = std::move(keys);
  ApplyEpochs();
  for (const auto& problem : peers_.problems()) {
    if (alerted_.insert(problem.text).second)
      AlertAndAudit("PEER CERTIFICATE: " + problem.text, {}, problem.nation);
  }
}

bool NodeDaemon::ReloadTrust() {
  int64_t now = config_.now_ms();
  if (now - last_trust_reload_ms_ < 1000) return false;  // at most once a second
  last_trust_reload_ms_ = now;
  for (const auto& r : trust_keeper_->OfferFolder(now / 1000)) OnTrustResult(r, kFromFolder, -1);
  ReloadPeers();
  spdlog::info("trust folder {} reloaded", config_.certs_dir.string());
  return true;
}

void NodeDaemon::WarnOfExpiringCertificates() {
  int64_t now = config_.now_ms();
  for (const auto& warning : CertificateExpiryWarnings(config_.certs_dir, now / 1000,
                                                       config_.certificate_warning_seconds)) {
    auto [it, fresh] = cert_warned_.emplace(warning.substr(0, warning.find(" expire")), 0);
    if (!fresh && now - it->second < 24 * 3600 * 1000LL) continue;  // once a day
    it->second = now;
    AlertAndAudit(warning, {}, v1::NATION_UNSPECIFIED);
  }
}

void NodeDaemon::OnTrustResult(const TrustResult& r, const std::string& source, int from_relay) {
  if (r.repeated) return;  // reported when first offered
  switch (r.outcome) {
    case TrustOutcome::kUnchanged:
      return;
    case TrustOutcome::kStale:
      spdlog::debug("{} from {} ignored: {}", r.what, source, r.reason);
      return;
    case TrustOutcome::kRefused:
      return RejectInput(r.what + " from " + source + " refused: " + r.reason, {},
                         v1::NATION_UNSPECIFIED);
    case TrustOutcome::kConflict:
      return AlertAndAudit("TRUST CONFLICT: " + r.what + " from " + source + ": " + r.reason, {},
                           v1::NATION_UNSPECIFIED);
    case TrustOutcome::kApplied:
      break;
  }
  spdlog::warn("{} taken from {}: {}", r.what, source, r.reason);
  if (r.root_replaced && identity_) {
    // Re-signed for the new root beforehand (docs/TRUST.md "Rotation"):
    // present the new signatures from the next link on.
    TakeResignedCertificate();
  }
  AuditAsync({.event = v1::AUDIT_EVENT_TRUST_UPDATED,
              .reason = r.what + ": " + r.reason,
              .detail = "from " + source});
  // A list that revokes nothing new is recorded, not announced.
  if (r.root_replaced || !r.newly_revoked.empty()) {
    Alert("TRUST: " + r.what + " taken from " + source + ": " + r.reason, {},
          v1::NATION_UNSPECIFIED);
  }
  if (pool_) {
    v1::LinkFrame frame;
    *frame.mutable_trust() = r.document;
    for (size_t relay = 0; relay < pool_->size(); ++relay) {
      if (static_cast<int>(relay) == from_relay || !pool_->Up(relay)) continue;
      // Ahead of every message: a revocation is the most urgent news there is.
      (void)pool_->Send(relay, frame, LinkConnection::kControlPrecedence, /*force=*/true);
    }
    for (const auto& why : pool_->CloseUnverified()) {
      AlertAndAudit("RELAY CERTIFICATE: link to " + why + ": closed", {}, v1::NATION_UNSPECIFIED);
    }
  }
  if (identity_) {
    CertCheck own = CheckOwnCertificate();
    if (!own.ok()) {
      AlertAndAudit("THIS NODE'S CERTIFICATE (" + NodeSubject(config_.nation) + " serial " +
                        std::to_string(identity_->details.serial()) + ") " + own.message +
                        ": relays and other nations refuse it; it needs a new certificate",
                    {}, config_.nation);
    }
    ReloadPeers();  // a revoked peer becomes unreachable, alerted
  }
}

void NodeDaemon::TakeResignedCertificate() {
  auto resigned = ResignedCertificate(config_.certs_dir, *identity_);
  if (!resigned.ok() || !*resigned) return;
  CertCheck check = CheckOwnCertificate(**resigned);
  if (!check.ok()) {
    // Not better than the one presented (a stale copy, or not yet valid
    // under the root document in force): said once per distinct file.
    if (alerted_.insert("resigned " + ToHex(Sha256({**resigned}))).second)
      spdlog::warn("re-signed {}.cert in the trust folder not taken: {}",
                   NodeSubject(config_.nation), check.message);
    return;
  }
  identity_->certificate = std::move(**resigned);
  spdlog::info("own certificate re-signed in the trust folder: new links present it");
}

void NodeDaemon::SendTrustInForce(size_t relay) {
  for (const auto& document : trust_keeper_->InForce()) {
    v1::LinkFrame frame;
    *frame.mutable_trust() = document;
    (void)pool_->Send(relay, frame, LinkConnection::kControlPrecedence, /*force=*/true);
  }
}

void NodeDaemon::PublishTrust(const v1::TrustPublishRequest& request,
                              const std::string& operator_name, Reply reply) {
  v1::ControlResponse response;
  if (request.documents().empty() || request.documents_size() > 16) {
    return reply(ErrorResponse(InvalidArgumentError("give 1 to 16 trust documents")));
  }
  response.set_ok(true);
  std::string source = "operator " + operator_name;
  for (const auto& document : request.documents()) {
    TrustResult r = trust_keeper_->Offer(document, config_.now_ms() / 1000);
    OnTrustResult(r, source, -1);
    auto* out = response.mutable_trust_publish()->add_results();
    using R = v1::TrustPublishResponse::Result;
    out->set_outcome(r.outcome == TrustOutcome::kApplied     ? R::OUTCOME_APPLIED
                     : r.outcome == TrustOutcome::kUnchanged ? R::OUTCOME_UNCHANGED
                     : r.outcome == TrustOutcome::kStale     ? R::OUTCOME_STALE
                     : r.outcome == TrustOutcome::kConflict  ? R::OUTCOME_CONFLICT
                                                             : R::OUTCOME_REFUSED);
    out->set_what(r.what);
    out->set_reason(r.reason);
  }
  reply(std::move(response));
}

}  // namespace hotline::node
