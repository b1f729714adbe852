// The daemon's receiving side: envelopes and receipts that relays deliver,
// wired to PeerDirectory (who may speak), InboxSequencer (when to show),
// ReceiptBook and the OutboxScheduler (what a receipt completes).
#include <spdlog/spdlog.h>

#include "hotline/names.h"
#include "hotline/receipt.h"
#include "node/node_daemon.h"

namespace hotline::node {

namespace {

std::string StreamName(StreamKey key) {
  return NationCode(key.sender) + " on " + ChannelText(key.channel);
}

std::string Range(uint64_t from, uint64_t to) {
  return from == to ? "#" + std::to_string(from)
                    : "#" + std::to_string(from) + "..#" + std::to_string(to);
}

v1::ReleaseOrder ReleaseOrderOf(ReleaseKind kind) {
  switch (kind) {
    case ReleaseKind::kAheadOfGap:
      return v1::RELEASE_ORDER_AHEAD_OF_GAP;
    case ReleaseKind::kLate:
      return v1::RELEASE_ORDER_LATE;
    default:
      return v1::RELEASE_ORDER_IN_SEQUENCE;
  }
}

}  // namespace

int64_t LocalAckDue(const v1::EnvelopeHeader& h, int64_t received_at_ms) {
  return received_at_ms + std::max<int64_t>(0, h.ack_deadline_ms() - h.created_at_ms());
}

void NodeDaemon::OnDeliver(size_t relay, const v1::DeliverEnvelope& deliver) {
  uint64_t delivery_id = deliver.delivery_id();
  auto opened = keys_->Open(AsBytes(deliver.envelope()));
  // A certificate serial we have not seen: the trust folder may have been
  // updated (a renewal) since we loaded it.
  if (!opened.ok() && opened.status().code() == StatusCode::kNotFound && ReloadTrust()) {
    opened = keys_->Open(AsBytes(deliver.envelope()));
  }
  if (opened.ok()) {
    const auto& hh = opened->header;
    if (Status use = peers_.CheckUse(hh.sender(), hh.sender_cert_serial(), hh.created_at_ms(),
                                     config_.now_ms(), trust());
        !use.ok()) {
      opened = use;
    }
  }
  if (!opened.ok()) {
    auto routed = ParseEnvelopeForRouting(AsBytes(deliver.envelope()));
    Bytes id = routed.ok() ? ToBytes(routed->header.message_id()) : Bytes();
    RejectInput(
        "envelope from relay " + pool_->subject(relay) + " rejected: " + opened.status().message(),
        id, routed.ok() ? routed->header.sender() : v1::NATION_UNSPECIFIED);
    SendTaken(relay, delivery_id);  // it can never become valid; do not loop on it
    return;
  }
  if (opened->header.has_track() || opened->body.has_track_update()) {
    // Latest-value traffic travels only in TrackFrames (§11), never stored.
    RejectInput("envelope from relay " + pool_->subject(relay) +
                    " rejected: a track update delivered as a stored message",
                AsBytes(opened->header.message_id()), opened->header.sender());
    SendTaken(relay, delivery_id);
    return;
  }
  OnOpenedEpochs(*opened);
  const v1::EnvelopeHeader& h = opened->header;
  Bytes id = ToBytes(h.message_id());
  auto known = store_->InboxHas(id);
  if (inbox_in_progress_.count(id) || (known.ok() && *known)) {
    // A duplicate (another relay, or a redelivery): take it once our copy is
    // durable and send the receipt again, the same bytes as the first time.
    // It verified, so only the sender could have made it; a copy whose
    // signed content differs from the first is still evidence of misuse.
    if (auto first = store_->GetInbox(id);
        first.ok() && *first && !ConstantTimeEqual((*first)->digest, opened->digest)) {
      RejectInput("duplicate of message " + ToHex(id) + " with different signed content from " +
                      NationCode(h.sender()) + "; answered with the first receipt",
                  id, h.sender());
    }
    committer_->Submit([]() { return Status::Ok(); },
                       [this, relay, delivery_id, id, h](const Status& st) {
                         if (!st.ok()) return;
                         SendTaken(relay, delivery_id);
                         auto receipt = store_->FindReceipt(id, v1::RECEIPT_KIND_DELIVERED);
                         if (!receipt.ok() || !*receipt) return;
                         auto parsed = ParseReceipt(**receipt);
                         if (parsed.ok()) {
                           TransmitReceipt({ReceiptId(parsed->signed_receipt),
                                            parsed->details.sender(), **receipt, h.precedence()},
                                           static_cast<int>(relay));
                         }
                       });
    return;
  }
  inbox_in_progress_.insert(id);
  int64_t now = config_.now_ms();
  // A sender's creation time may be hours old (store and forward) but never
  // in our future.
  ObserveClock(NationCode(h.sender()), h.created_at_ms(), ClockWatch::kUnbounded, now);
  Bytes digest(opened->digest.begin(), opened->digest.end());
  PendingReceipt pending =
      MakeReceipt({v1::RECEIPT_KIND_DELIVERED,
                   id,
                   digest,
                   h.sender(),
                   h.precedence(),
                   {},
                   {},
                   NewestEpochKey()},
                  config_.nation, identity_->details.serial(), identity_->keys.signing.secret, now);
  auto held = std::make_shared<Held>(Held{h, std::move(opened->body), digest, now});
  auto shown = std::make_shared<std::vector<Shown>>();
  auto gaps = std::make_shared<std::vector<GapEvent>>();
  committer_->Submit(
      [this, held, pending, shown, gaps]() -> Status {
        shown->clear();  // re-runnable after a rollback
        gaps->clear();
        const auto& hh = held->header;
        HOTLINE_RETURN_IF_ERROR(store_->InsertInbox(hh, held->body, held->digest, held->since_ms));
        HOTLINE_RETURN_IF_ERROR(
            store_->InsertReceipt(pending, AsBytes(hh.message_id()), v1::RECEIPT_KIND_DELIVERED));
        Bytes message_id = ToBytes(hh.message_id());
        held_[message_id] = *held;
        auto out = sequencer_.Arrive({hh.sender(), hh.channel()}, SequenceFor(hh, config_.nation),
                                     hh.precedence(), message_id, held->since_ms);
        return ApplyRelease(out, *shown, *gaps);
      },
      [this, relay, delivery_id, id, pending, shown, gaps](const Status& st) {
        inbox_in_progress_.erase(id);
        if (!st.ok()) {
          // Not stored: do not take it; the relay keeps it and redelivers.
          spdlog::error("cannot store incoming message {}: {}", ToHex(id), st.ToString());
          return;
        }
        SendTaken(relay, delivery_id);
        receipts_.Add(pending);
        TransmitReceipt(pending, static_cast<int>(relay));
        OnReleased(*shown, *gaps);
      },
      h.precedence());
}

Status NodeDaemon::ApplyRelease(const SequencerOutput& out, std::vector<Shown>& shown,
                                std::vector<GapEvent>& gaps) {
  for (const Release& r : out.released) {
    auto it = held_.find(r.message_id);
    bool ahead = r.kind == ReleaseKind::kAheadOfGap;
    HOTLINE_RETURN_IF_ERROR(store_->SetInboxRelease(
        r.message_id, ahead ? InboxRelease::kShownEarly : InboxRelease::kReleased));
    if (it == held_.end()) continue;
    if (r.kind != ReleaseKind::kCaughtUp) {  // a caught-up message was audited when shown
      const auto& h = it->second.header;
      HOTLINE_RETURN_IF_ERROR(audit_->Append(
          {.event = v1::AUDIT_EVENT_DELIVERED,
           .message_id = h.message_id(),
           .envelope_digest = ToString(it->second.digest),
           .peer = h.sender(),
           .precedence = h.precedence(),
           .channel = h.channel(),
           .detail = ahead ? "shown before missing " + Range(r.missing_from, r.missing_to) : "",
           .sequence = r.sequence,
           .release = ReleaseOrderOf(r.kind)}));
      shown.push_back({it->second, r});
    }
    held_.erase(it);
  }
  for (const auto& [key, next] : out.next_changed) {
    HOTLINE_RETURN_IF_ERROR(store_->SetStreamNext(key.sender, key.channel, next));
  }
  gaps.insert(gaps.end(), out.gaps.begin(), out.gaps.end());
  return Status::Ok();
}

void NodeDaemon::OnReleased(const std::vector<Shown>& shown, const std::vector<GapEvent>& gaps) {
  for (const GapEvent& g : gaps) {
    std::string what = Range(g.from, g.to) + " from " + StreamName(g.key);
    switch (g.kind) {
      case GapEvent::kOpened:
        AlertAndAudit("STREAM GAP: " + what +
                          " missing; later messages wait up to their hold time "
                          "(FLASH is shown at once)",
                      {}, g.key.sender);
        break;
      case GapEvent::kClosed:
        Emit("gap-closed", {}, g.key.sender, what + " arrived");
        break;
      case GapEvent::kSkipped:
        AlertAndAudit("STREAM GAP: " + what + " never arrived; releasing the later ones", {},
                      g.key.sender);
        break;
    }
  }
  for (const auto& [held, release] : shown) {
    const auto& hh = held.header;
    Bytes id = ToBytes(hh.message_id());
    if (hh.ack_deadline_ms() > 0) {
      inbox_deadlines_.Track({id, hh.sender(), DeadlineTier::kAcknowledged},
                             LocalAckDue(hh, held.since_ms));
    }
    if (held.body.has_checkpoint_note()) {
      OnCheckpointNote(hh.sender(), held.body.checkpoint_note());
      continue;  // a system message: not for the operator
    }
    if (held.body.has_epoch_key()) {
      OnEpochAnnouncement(hh.sender(), held.body.epoch_key());
      continue;
    }
    if (held.body.has_track_summary()) {
      OnTrackSummary(hh.sender(), held.body.track_summary(), id);
      continue;
    }
    witness_->NoteTraffic();
    ObserveConsultation(hh, held.body, /*sent=*/false);
    std::string mark;
    if (release.kind == ReleaseKind::kAheadOfGap) {
      mark = " [AHEAD OF GAP: " + Range(release.missing_from, release.missing_to) +
             " of this stream missing]";
    } else if (release.kind == ReleaseKind::kLate) {
      mark = " [LATE: later messages of this stream were shown first]";
    }
    Emit("arrived", id, hh.sender(),
         PrecedenceText(hh.precedence()) + " " + SummarizeBody(held.body) + mark);
  }
}

Status NodeDaemon::ReloadStreams() {
  HOTLINE_ASSIGN_OR_RETURN(auto streams, store_->LoadStreams());
  sequencer_.Clear();
  held_.clear();
  for (const auto& [key, next] : streams) sequencer_.RestoreNext(key, next);
  // Arrival times as stored, so that a reload (a restart, or a rolled-back
  // write) does not restart hold times, gap timeouts or deadlines.
  return store_->ForEachHeld([this](v1::EnvelopeHeader h, v1::Body b, Bytes digest,
                                    bool shown_early, int64_t received_at_ms) {
    Bytes id = ToBytes(h.message_id());
    sequencer_.RestoreHeld({h.sender(), h.channel()}, SequenceFor(h, config_.nation),
                           h.precedence(), id, shown_early, received_at_ms);
    held_[id] = Held{std::move(h), std::move(b), std::move(digest), received_at_ms};
  });
}

void NodeDaemon::TickSequencer(int64_t now_ms) {
  if (sequencer_tick_pending_ || !sequencer_.Due(now_ms)) return;
  sequencer_tick_pending_ = true;
  auto shown = std::make_shared<std::vector<Shown>>();
  auto gaps = std::make_shared<std::vector<GapEvent>>();
  committer_->Submit(
      [this, now_ms, shown, gaps]() -> Status {
        shown->clear();
        gaps->clear();
        return ApplyRelease(sequencer_.Tick(now_ms), *shown, *gaps);
      },
      [this, shown, gaps](const Status& st) {
        sequencer_tick_pending_ = false;
        if (st.ok()) OnReleased(*shown, *gaps);
      });
}

void NodeDaemon::OnDeliverReceipt(size_t relay, const v1::DeliverReceipt& deliver) {
  uint64_t delivery_id = deliver.delivery_id();
  auto reject = [&](const std::string& why, ByteView id, v1::Nation peer) {
    RejectInput("receipt rejected: " + why, id, peer);
    SendTaken(relay, delivery_id);
  };
  auto parsed = ParseReceipt(AsBytes(deliver.receipt()));
  if (!parsed.ok()) return reject(parsed.status().message(), {}, v1::NATION_UNSPECIFIED);
  const auto& d = parsed->details;
  Bytes id = ToBytes(d.message_id());
  v1::Nation from = d.recipient();
  auto row = store_->FindOutbox(id);
  if (!row.ok()) {  // our store failed: keep the receipt (not taken); the relay offers it again
    spdlog::error("cannot look up {} for a receipt: {}", ToHex(id), row.status().ToString());
    return;
  }
  const OutboxRow* sent = *row ? &**row : nullptr;
  Status check = CheckReceipt(*parsed, config_.nation, peers_, trust(), sent, config_.now_ms());
  // A signer's certificate serial we have not seen: perhaps just renewed.
  if (check.code() == StatusCode::kNotFound && ReloadTrust()) {
    check = CheckReceipt(*parsed, config_.nation, peers_, trust(), sent, config_.now_ms());
  }
  if (!check.ok()) return reject(check.message(), id, from);
  auto held_epoch = epochs_.peers().find(from);
  bool known_epoch_key = held_epoch != epochs_.peers().end() &&
                         held_epoch->second.signed_key == d.recipient_epoch_key();
  if (!d.recipient_epoch_key().empty() && !known_epoch_key) {  // the one we hold was verified
    // Its newest epoch key, signed under the certificate that signed the receipt.
    const PeerCertificate* cert = peers_.Find(from, d.recipient_cert_serial());
    auto epoch =
        cert ? VerifyEpochKey(AsBytes(d.recipient_epoch_key()), cert->keys.signing_public_key, from,
                              d.recipient_cert_serial())
             : StatusOr<v1::EpochKeyDetails>(NotFoundError("no certificate"));
    if (epoch.ok()) {
      LearnPeerEpoch(from, *epoch, d.recipient_epoch_key());
    } else {
      RejectInput("epoch key in a receipt from " + NationCode(from) +
                      " refused: " + epoch.status().message(),
                  id, from);
    }
  }
  bool delivered = d.kind() == v1::RECEIPT_KIND_DELIVERED;
  Bytes receipt = ToBytes(deliver.receipt());
  Bytes reply = ToBytes(d.reply_message_id());
  // Recorded on our clock (when we verified it), so that every duration
  // shown is measured on one clock; the signer's own time stays in the
  // stored receipt and tells us about its clock.
  int64_t at = config_.now_ms();
  ObserveClock(NationCode(from), d.at_ms(), sent->header.created_at_ms(), at);
  outbox_deadlines_.Satisfy({id, from, DeadlineTier::kDelivered});
  if (!delivered) outbox_deadlines_.Satisfy({id, from, DeadlineTier::kAcknowledged});
  OutboxScheduler::Delivered progress;
  if (delivered) progress = outbox_.OnDelivered(id, from);
  bool done = progress.done;
  v1::Precedence precedence = sent->header.precedence();
  AuditEntry rec{
      .event = delivered ? v1::AUDIT_EVENT_RECEIPT_RECEIVED : v1::AUDIT_EVENT_ACKNOWLEDGED,
      .message_id = d.message_id(),
      .envelope_digest = d.envelope_digest(),
      .peer = from,
      .detail = delivered ? "delivery receipt" : "operator acknowledgment receipt"};
  // A receipt is recorded, audited and shown once: a replayed or re-sent
  // copy (a duplicate delivery makes the recipient send it again) is taken
  // and otherwise ignored.
  auto fresh = std::make_shared<bool>(false);
  committer_->Submit(
      [this, id, from, at, receipt, reply, delivered, done, rec, fresh]() -> Status {
        if (delivered) {
          HOTLINE_ASSIGN_OR_RETURN(*fresh, store_->MarkDelivered(id, from, at, receipt));
        } else {
          HOTLINE_ASSIGN_OR_RETURN(*fresh, store_->MarkAcknowledged(id, from, at, receipt, reply));
        }
        if (done) HOTLINE_RETURN_IF_ERROR(store_->MarkDone(id));
        return *fresh ? audit_->Append(rec) : Status::Ok();
      },
      [this, relay, delivery_id, id, from, delivered, progress, precedence,
       fresh](const Status& st) {
        if (!st.ok()) {
          spdlog::error("cannot record receipt for {}: {}", ToHex(id), st.ToString());
          return;
        }
        SendTaken(relay, delivery_id);
        if (!*fresh) return;
        if (progress.done) WithdrawCopies(id, progress.submitted_via, precedence);
        Emit(delivered ? "delivered" : "acknowledged", id, from,
             delivered ? "signed delivery receipt verified" : "operator acknowledged (signed)");
      },
      precedence);
}

}  // namespace hotline::node
