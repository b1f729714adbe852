// The relay's trust documents: a root document or revocation list taken
// from any node (or dropped into the trust folder) is recorded, audited and
// passed to every other connected node at once, and every link whose
// certificate no longer verifies — a revoked node — is closed
// (docs/PROTOCOL.md §2 "Distribution").
#include <spdlog/spdlog.h>

#include "relay_server.h"

namespace hotline::relay {

void RelayServer::OnTrustResult(const TrustResult& r, const std::string& source,
                                const LinkConnection::Ptr& from) {
  if (r.repeated) return;  // reported when first offered
  switch (r.outcome) {
    case TrustOutcome::kUnchanged:
      return;
    case TrustOutcome::kStale:
      spdlog::debug("{} from {} ignored: {}", r.what, source, r.reason);
      return;
    case TrustOutcome::kRefused:
      if (!from) {
        spdlog::error("{} in the trust folder refused: {}", r.what, r.reason);
        return Audit({.event = v1::AUDIT_EVENT_INPUT_REJECTED,
                      .reason = r.what + " from " + source + " refused: " + r.reason});
      }
      return Reject(from, v1::LinkError::CODE_FORBIDDEN, r.what + " refused: " + r.reason);
    case TrustOutcome::kConflict:
      spdlog::critical("trust conflict: {} from {}: {}", r.what, source, r.reason);
      return Audit({.event = v1::AUDIT_EVENT_ALERT,
                    .reason = "TRUST CONFLICT: " + r.what + " from " + source + ": " + r.reason});
    case TrustOutcome::kApplied:
      break;
  }
  spdlog::warn("{} taken from {}: {}", r.what, source, r.reason);
  if (r.root_replaced) TakeResignedCertificate();
  Audit({.event = v1::AUDIT_EVENT_TRUST_UPDATED,
         .reason = r.what + ": " + r.reason,
         .detail = "from " + source});
  v1::LinkFrame frame;
  *frame.mutable_trust() = r.document;
  for (const auto& link : links_.All()) {
    if (link == from || !link->established()) continue;
    (void)link->Send(frame, LinkConnection::kControlPrecedence, /*force=*/true);
  }
  for (const auto& link : links_.All()) {
    if (!link->established() || link->refusing()) continue;
    CertCheck check = link->RecheckPeer();
    if (check.ok()) continue;
    const std::string& why = check.message;  // "certificate revoked: 'node-kr' serial ..."
    spdlog::warn("closing the link of {} ({}): {}", link->peer().subject(), link->remote_address(),
                 why);
    if (check.failure == CertFailure::kRevoked) {
      // Cut off: it learns why, and nothing queued for it goes out.
      v1::LinkFrame refusal;
      refusal.mutable_error()->set_code(v1::LinkError::CODE_CERTIFICATE_REFUSED);
      refusal.mutable_error()->set_message(why);
      link->RefuseAndClose(refusal, why);
    } else {
      // Held under an old root document: it gets the new one, and its next
      // handshake presents its re-signed certificate (or is refused, with why).
      link->FinishAndClose(why);
    }
    if (links_.Remove(link, link->peer().nation())) queues_.ReturnInFlight(link->peer().nation());
  }
  CertExpectations self_check;
  self_check.now_unix = config_.now_ms() / 1000;
  self_check.allowed_skew_seconds = config_.allowed_skew_seconds;
  self_check.role = v1::ROLE_RELAY;
  if (CertCheck own = trust().Verify(identity_->certificate, self_check); !own.ok()) {
    spdlog::critical("this relay's own certificate {}: nodes will refuse it", own.message);
    Audit({.event = v1::AUDIT_EVENT_ALERT,
           .reason = "this relay's own certificate " + own.message + ": nodes will refuse it"});
  }
}

void RelayServer::TakeResignedCertificate() {
  auto resigned = ResignedCertificate(config_.certs_dir, *identity_);
  if (!resigned.ok() || !*resigned) return;
  CertExpectations self_check;
  self_check.now_unix = config_.now_ms() / 1000;
  self_check.allowed_skew_seconds = config_.allowed_skew_seconds;
  self_check.role = v1::ROLE_RELAY;
  CertCheck check = trust().Verify(**resigned, self_check);
  if (!check.ok() || !CheckResponderCertificateFits(**resigned).ok()) {
    // Not better than the one presented (a stale copy, or not yet valid
    // under the root document in force): said once per distinct file.
    if (folder_refusals_.insert(ToHex(Sha256({**resigned}))).second)
      spdlog::warn("re-signed {}.cert in the trust folder not taken: {}", config_.subject,
                   check.message);
    return;
  }
  identity_->certificate = std::move(**resigned);
  spdlog::info("own certificate re-signed in the trust folder: new links present it");
}

void RelayServer::SendTrustInForce(const LinkConnection::Ptr& link) {
  for (const auto& document : trust_keeper_->InForce()) {
    v1::LinkFrame frame;
    *frame.mutable_trust() = document;
    (void)link->Send(frame, LinkConnection::kControlPrecedence, /*force=*/true);
  }
}

awaitable<void> RelayServer::TrustFolderLoop() {
  asio::steady_timer timer(io_);
  while (!stopping_) {
    timer.expires_after(config_.trust_poll);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
    if (stopping_) break;
    TakeResignedCertificate();
    for (const auto& r : trust_keeper_->OfferFolder(config_.now_ms() / 1000)) {
      OnTrustResult(r, kFromFolder, nullptr);
    }
  }
}

}  // namespace hotline::relay
