// A relay's expiry notice (PROTOCOL.md §5 "Expiry"): our envelope's copy
// for one recipient sat undelivered past the relay's retention and was
// removed. The recipient's epoch key for it is being destroyed too, so the
// sealed copy is not sent again: the operator is told and sends afresh if
// the message still matters.
#include <spdlog/spdlog.h>

#include "node/node_daemon.h"

namespace hotline::node {

namespace {

std::string HoursOrSeconds(int64_t ms) {
  if (ms > 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + " h";
  return std::to_string(ms / 1000) + " s";
}

}  // namespace

void NodeDaemon::OnExpiryNotice(size_t relay, const v1::ExpiryNotice& notice) {
  Bytes id = ToBytes(notice.message_id());
  v1::Nation recipient = notice.recipient();
  std::string subject = pool_->subject(relay);
  const OutboxScheduler::Entry* entry = outbox_.Find(id);
  if (!entry || !entry->awaiting.count(recipient)) {
    // Delivered meanwhile through another relay, or already expired: the
    // notice changes nothing. One for a message we never sent is audited.
    auto sent = store_->FindOutbox(id);
    if (sent.ok() && !*sent) {
      RejectInput("expiry notice from " + subject + " for a message this node never sent", id,
                  recipient);
    }
    return SendTaken(relay, notice.delivery_id());
  }
  v1::Precedence precedence = entry->precedence;
  outbox_deadlines_.Satisfy({id, recipient, DeadlineTier::kDelivered});
  outbox_deadlines_.Satisfy({id, recipient, DeadlineTier::kAcknowledged});
  OutboxScheduler::Delivered progress = outbox_.OnExpired(id, recipient);
  int64_t at = config_.now_ms();
  std::string text = "EXPIRED: " + ToHex(id).substr(0, 8) + " to " + NationCode(recipient) +
                     " was not delivered within " + subject + "'s retention of " +
                     HoursOrSeconds(notice.retention_ms()) +
                     " and is no longer sent; send it again if it still matters";
  AuditEntry rec{.event = v1::AUDIT_EVENT_EXPIRED,
                 .message_id = notice.message_id(),
                 .peer = recipient,
                 .peer_subject = subject,
                 .precedence = precedence,
                 .reason = "undelivered after the relay's retention of " +
                           HoursOrSeconds(notice.retention_ms()),
                 .detail = subject};
  auto fresh = std::make_shared<bool>(false);
  committer_->Submit(
      [this, id, recipient, at, subject, progress, rec, fresh]() -> Status {
        HOTLINE_ASSIGN_OR_RETURN(*fresh, store_->MarkExpired(id, recipient, at, subject));
        if (progress.done) HOTLINE_RETURN_IF_ERROR(store_->MarkDone(id));
        return *fresh ? audit_->Append(rec) : Status::Ok();
      },
      [this, relay, notice, id, recipient, progress, precedence, text, fresh](const Status& st) {
        if (!st.ok()) {
          spdlog::error("cannot record expiry of {}: {}", ToHex(id), st.ToString());
          return;  // not taken: the relay offers it again
        }
        SendTaken(relay, notice.delivery_id());
        if (!*fresh) return;
        if (progress.done) WithdrawCopies(id, progress.submitted_via, precedence);
        Alert(text, id, recipient);
        Emit("expired", id, recipient, text);
      },
      precedence);
}

}  // namespace hotline::node
