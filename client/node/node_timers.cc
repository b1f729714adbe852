// The daemon's clockwork: the tick that checks deadlines (escalating
// through another relay), consultations, the inbox sequencer's hold times,
// certificate expiry and signed checkpoints shared for witnessing.
#include <spdlog/spdlog.h>

#include "hotline/names.h"
#include "node/node_daemon.h"

namespace hotline::node {

void NodeDaemon::Tick() {
  if (stopping_) return;
  int64_t now = config_.now_ms();
  for (const auto& key : outbox_deadlines_.Expire(now)) OnOutboxDeadline(key);
  for (const auto& key : inbox_deadlines_.Expire(now)) OnInboxDeadline(key);
  for (const auto& o : consultations_.NewlyOverdue(now, config_.nation)) {
    Alert("CONSULT OVERDUE: " + NationCode(o.nation) + " has not answered consultation " +
              ToHex(o.id).substr(0, 8) + " (" + o.topic + ")",
          o.id, o.nation);
    AuditAsync({.event = v1::AUDIT_EVENT_OVERDUE,
                .message_id = ToString(o.id),
                .peer = o.nation,
                .channel = v1::CHANNEL_CONSULT,
                .reason = "consultation not answered by its deadline"});
  }
  TickSequencer(now);
  TickEpochs(now);
  TickTracks(now);
  TickPaths(now);
  if (now - last_trust_poll_ms_ >= config_.trust_poll.count()) {
    // A root document or revocation list dropped into the trust folder is
    // taken (and passed on) within seconds, as one arriving over a link.
    last_trust_poll_ms_ = now;
    TakeResignedCertificate();
    for (const auto& r : trust_keeper_->OfferFolder(now / 1000)) OnTrustResult(r, kFromFolder, -1);
  }
  if (now - last_expiry_check_ms_ >= 3600 * 1000) {
    // Hourly: certificates that expired meanwhile, or were renewed or
    // revoked in the trust folder, take effect without a restart.
    last_expiry_check_ms_ = now;
    ReloadTrust();
    WarnOfExpiringCertificates();
  }
  if (now - last_checkpoint_ms_ >= config_.checkpoint_interval.count()) {
    last_checkpoint_ms_ = now;
    Checkpoint(/*share=*/witness_->TakeShareDue());
  }
  PumpOutbox();
  tick_timer_->expires_after(config_.tick);
  tick_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) Tick();
  });
}

void NodeDaemon::TrackSent(const v1::EnvelopeHeader& h, v1::Nation recipient, bool delivered) {
  Bytes id = ToBytes(h.message_id());
  if (!delivered && h.deliver_deadline_ms() > 0) {
    outbox_deadlines_.Track({id, recipient, DeadlineTier::kDelivered}, h.deliver_deadline_ms());
  }
  if (h.ack_deadline_ms() > 0) {
    outbox_deadlines_.Track({id, recipient, DeadlineTier::kAcknowledged}, h.ack_deadline_ms());
  }
}

void NodeDaemon::OnOutboxDeadline(const DeadlineKey& key) {
  bool deliver_tier = key.tier == DeadlineTier::kDelivered;
  const OutboxScheduler::Entry* entry = outbox_.Find(key.message_id);
  v1::Precedence precedence;
  if (deliver_tier) {
    if (!entry || !entry->awaiting.count(key.peer)) return;
    precedence = entry->precedence;
  } else {
    auto row = store_->FindOutbox(key.message_id);
    if (!row.ok() || !*row) return;
    precedence = (*row)->header.precedence();
  }
  std::string what = deliver_tier ? "delivered" : "acknowledged";
  Alert("OVERDUE: " + PrecedenceText(precedence) + " message " +
            ToHex(key.message_id).substr(0, 8) + " to " + NationCode(key.peer) + " not " + what +
            " by its deadline",
        key.message_id, key.peer);
  AuditEntry overdue{.event = v1::AUDIT_EVENT_OVERDUE,
                     .message_id = ToString(key.message_id),
                     .peer = key.peer,
                     .precedence = precedence,
                     .reason = "not " + what + " by its deadline"};
  Bytes id = key.message_id;
  v1::Nation peer = key.peer;
  committer_->Submit([this, id, peer, overdue]() -> Status {
    HOTLINE_RETURN_IF_ERROR(store_->MarkOverdue(id, peer));
    return audit_->Append(overdue);
  });
  if (!deliver_tier) return;
  // Escalate: re-send through another live relay than the one used; with
  // none, the same one again (a duplicate makes the recipient send its
  // receipt again).
  int other = outbox_.EscalationRelay(
      id, [this](int r) { return RelayUp(r); }, static_cast<int>(pool_->size()));
  std::string how = "no other relay available; operator alerted";
  if (other >= 0) {
    v1::LinkFrame f;
    f.mutable_submit()->set_envelope(ToString(entry->envelope));
    (void)pool_->Send(static_cast<size_t>(other), f, precedence);
    outbox_.Submitted(id, other, config_.now_ms());
    how = "re-sent through " + pool_->subject(static_cast<size_t>(other));
  }
  AuditAsync({.event = v1::AUDIT_EVENT_ESCALATED,
              .message_id = ToString(id),
              .peer = peer,
              .precedence = precedence,
              .reason = how});
  auto period = config_.deadlines.deliver.find(precedence);
  if (period != config_.deadlines.deliver.end()) {
    outbox_deadlines_.Track(key, config_.now_ms() + period->second.count());
  }
}

void NodeDaemon::OnInboxDeadline(const DeadlineKey& key) {
  auto row = store_->GetInbox(key.message_id);
  if (!row.ok() || !*row || (*row)->acknowledged) return;
  const auto& e = (*row)->entry;
  Alert("ACK OVERDUE: " + PrecedenceText(e.precedence()) + " message " +
            ToHex(key.message_id).substr(0, 8) + " from " + NationCode(e.sender()) +
            " not acknowledged by this operator by its deadline",
        key.message_id, e.sender());
  AuditAsync({.event = v1::AUDIT_EVENT_OVERDUE,
              .message_id = ToString(key.message_id),
              .peer = e.sender(),
              .precedence = e.precedence(),
              .reason = "operator acknowledgment overdue here"});
}

// ---------------------------------------------------------------- witnessing

void NodeDaemon::Checkpoint(bool share) {
  auto signed_cp = std::make_shared<std::optional<v1::SignedCheckpoint>>();
  committer_->Submit(
      [this, signed_cp]() -> Status {
        HOTLINE_ASSIGN_OR_RETURN(
            *signed_cp,
            audit_->CheckpointIfGrown(identity_->keys.signing.secret,
                                      identity_->keys.signing.public_key, last_checkpoint_size_));
        return Status::Ok();
      },
      [this, share, signed_cp](const Status& st) {
        if (!st.ok() || !share || !signed_cp->has_value()) return;
        // Proofs from the tree kept in memory, outside the transaction.
        auto tree = audit_->ProofTree();
        if (!tree.ok()) {
          spdlog::error("cannot share the checkpoint: {}", tree.status().ToString());
          return;
        }
        for (auto& note : witness_->NotesFor(**signed_cp, **tree)) {
          v1::SendRequest request;
          request.add_to(note.to);
          request.set_channel(v1::CHANNEL_GENERAL);
          request.set_precedence(v1::PRECEDENCE_ROUTINE);
          *request.mutable_body()->mutable_checkpoint_note() = std::move(note.note);
          v1::Nation to = note.to;
          uint64_t size = note.size;
          SendInternal(request, /*system=*/true, "", [this, to, size](v1::ControlResponse r) {
            if (!r.ok()) return;  // the next checkpoint carries a proof from the old size
            witness_->Sent(to, size);
            committer_->SubmitLazy([this, to, size]() { return store_->SetWitnessSent(to, size); });
          });
        }
      });
}

void NodeDaemon::OnCheckpointNote(v1::Nation from, const v1::CheckpointNote& note) {
  WitnessDesk::Observation seen = witness_->Observe(from, note);
  if (seen.seen_before) return;
  if (!seen.alert.empty()) Alert(seen.alert, {}, from);
  if (!seen.evidence) return AuditAsync(seen.record);
  committer_->Submit([this, evidence = *seen.evidence, record = seen.record]() -> Status {
    HOTLINE_RETURN_IF_ERROR(
        store_->SaveWitnessed(evidence.origin, evidence.size, AsBytes(evidence.countersigned)));
    return audit_->Append(record);
  });
}

// ---------------------------------------------------------------- consultations

void NodeDaemon::ObserveConsultation(const v1::EnvelopeHeader& h, const v1::Body& body, bool sent) {
  AuditEntry rec{.event = v1::AUDIT_EVENT_CONSULT_CHANGED, .channel = h.channel()};
  if (body.has_consult_request()) {
    std::vector<v1::Nation> participants;
    for (int r : h.recipients()) participants.push_back(static_cast<v1::Nation>(r));
    consultations_.Open(AsBytes(h.message_id()), h.sender(), body.consult_request(), participants,
                        h.created_at_ms());
    rec.message_id = h.message_id();
    rec.peer = sent ? v1::NATION_UNSPECIFIED : h.sender();
    rec.detail = sent ? "consultation requested" : "consultation request received";
  } else if (body.has_consult_response()) {
    const auto& r = body.consult_response();
    Status st =
        consultations_.Answer(AsBytes(r.consultation_id()), h.sender(), r, h.created_at_ms());
    if (!st.ok()) {
      spdlog::warn("consultation response ignored: {}", st.message());
      return;
    }
    rec.message_id = r.consultation_id();
    rec.peer = h.sender();
    rec.detail = NationCode(h.sender()) + " answered " + PositionText(r.position());
  } else {
    return;
  }
  SaveConsultation(AsBytes(rec.message_id));
  AuditAsync(rec);
}

void NodeDaemon::SaveConsultation(ByteView id) {
  const v1::ConsultationStatus* s = consultations_.Get(id);
  if (!s) return;
  v1::ConsultationStatus copy = *s;
  committer_->Submit([this, copy]() { return store_->SaveConsultation(copy); });
}

}  // namespace hotline::node
