// Expiry (PROTOCOL.md §5 "Expiry"): an envelope still undelivered after the
// relay's retention is removed and its sender told, so that a copy whose
// recipient epoch key is being destroyed does not wait forever unseen.
#include <spdlog/spdlog.h>

#include "relay_server.h"

namespace hotline::relay {

namespace {

// Often enough that an envelope outlives the retention by at most an
// eighth of it (and never by more than a minute).
std::chrono::milliseconds SweepInterval(std::chrono::milliseconds retention) {
  return std::clamp(retention / 8, std::chrono::milliseconds(100),
                    std::chrono::milliseconds(60000));
}

}  // namespace

std::string RetentionText(std::chrono::milliseconds retention) {
  int64_t ms = retention.count();
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + " h";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

awaitable<void> RelayServer::ExpiryLoop() {
  asio::steady_timer timer(io_);
  while (!stopping_) {
    ExpireUndelivered();
    timer.expires_after(SweepInterval(config_.retention));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

void RelayServer::ExpireUndelivered() {
  int64_t now = config_.now_ms();
  for (auto [recipient, id] : queues_.Expirable(now - config_.retention.count())) {
    std::optional<QueuedItem> item = queues_.Remove(recipient, id);
    if (!item) continue;
    v1::ExpiryNotice notice;
    notice.set_message_id(ToString(item->item_id));
    notice.set_recipient(item->recipient);
    notice.set_accepted_at_ms(item->accepted_at_ms);
    notice.set_expired_at_ms(now);
    notice.set_retention_ms(config_.retention.count());
    Bytes notice_id = item->item_id;
    notice_id.push_back(static_cast<uint8_t>(item->recipient));
    auto queued = std::make_shared<QueuedItem>();
    std::string why = "undelivered after the relay's retention of " +
                      RetentionText(config_.retention) + ": removed, sender " +
                      NationCode(item->sender) + " notified";
    committer_->Submit(
        [this, item = *item, notice = notice.SerializeAsString(), notice_id, now, queued,
         why]() -> Status {
          HOTLINE_RETURN_IF_ERROR(store_->Remove(item.id));
          // Queued for the sender like a delivery: it survives a restart and
          // waits for the sender's next link.
          HOTLINE_ASSIGN_OR_RETURN(
              *queued, store_->Enqueue(item.sender, ItemKind::kExpiry, notice_id, item.recipient,
                                       item.precedence, AsBytes(notice), now));
          return audit_->Append({.event = v1::AUDIT_EVENT_EXPIRED,
                                 .message_id = ToString(item.item_id),
                                 .peer = item.recipient,
                                 .precedence = static_cast<v1::Precedence>(item.precedence),
                                 .reason = why});
        },
        [this, item = *item, queued](const Status& st) {
          if (!st.ok()) {
            // Still stored: queued again, and tried at the next sweep.
            spdlog::error("cannot expire queued item {}: {}", item.id, st.ToString());
            queues_.Add(item);
            return Pump(item.recipient);
          }
          spdlog::warn("envelope {} for {} expired undelivered; {} notified", ToHex(item.item_id),
                       NationCode(item.recipient), NationCode(item.sender));
          queues_.Add(*queued);
          Pump(queued->recipient);
        },
        item->precedence);
  }
}

}  // namespace hotline::relay
