#include "delivery_queues.h"

#include <algorithm>

namespace hotline::relay {

bool DeliveryQueues::Add(const QueuedItem& item) {
  NoteAssigned(item.id);
  Queue& q = queues_[item.recipient];
  if (!q.items.emplace(item.id, item).second) return false;
  q.pending.insert(PendingOf(item));
  if (item.kind == ItemKind::kEnvelope)
    copies_[{item.sender, ToString(item.item_id)}].insert({item.recipient, item.id});
  return true;
}

const QueuedItem* DeliveryQueues::Next(v1::Nation recipient) const {
  auto found = queues_.find(recipient);
  if (found == queues_.end()) return nullptr;
  const Queue& q = found->second;
  if (q.pending.empty()) return nullptr;
  const QueuedItem& next = q.items.at(q.pending.begin()->id);
  bool full =
      q.in_flight.size() >= options_.window_count || q.in_flight_bytes >= options_.window_bytes;
  // A FLASH does not wait for routine work to be taken: it may exceed the
  // window by a few items (the most urgent goes first, so only FLASH does).
  bool urgent = next.precedence >= v1::PRECEDENCE_FLASH &&
                q.in_flight.size() < options_.window_count + limits::kFlashBeyondWindow;
  return full && !urgent ? nullptr : &next;
}

void DeliveryQueues::Sent(v1::Nation recipient, int64_t id) {
  Queue& q = queues_[recipient];
  auto it = q.items.find(id);
  if (it == q.items.end() || !q.pending.erase(PendingOf(it->second))) return;
  q.in_flight.insert(id);
  q.in_flight_bytes += it->second.size;
}

bool DeliveryQueues::Unreadable(v1::Nation recipient, int64_t id) {
  Queue& q = queues_[recipient];
  auto it = q.items.find(id);
  if (it == q.items.end()) return false;
  q.pending.erase(PendingOf(it->second));
  q.unreadable.insert(id);
  return q.unreadable_audited.insert(id).second;
}

std::vector<v1::Nation> DeliveryQueues::RetryUnreadable() {
  std::vector<v1::Nation> nations;
  for (auto& [nation, q] : queues_) {
    if (q.unreadable.empty()) continue;
    for (int64_t id : q.unreadable) {
      auto it = q.items.find(id);
      if (it != q.items.end()) q.pending.insert(PendingOf(it->second));
    }
    q.unreadable.clear();
    nations.push_back(nation);
  }
  return nations;
}

void DeliveryQueues::ReturnInFlight(v1::Nation recipient) {
  Queue& q = queues_[recipient];
  for (int64_t id : q.in_flight) {
    auto it = q.items.find(id);
    if (it != q.items.end()) q.pending.insert(PendingOf(it->second));
  }
  q.in_flight.clear();
  q.in_flight_bytes = 0;
}

DeliveryQueues::Taken DeliveryQueues::Take(v1::Nation recipient, int64_t id) {
  Taken out;
  Queue& q = queues_[recipient];
  auto it = q.items.find(id);
  if (it == q.items.end()) {
    // Taken twice (once per link after a reconnect) is harmless; an id the
    // store never handed out is not.
    out.kind =
        id <= 0 || id > highest_assigned_ ? Taken::Kind::kNeverQueued : Taken::Kind::kAlreadyGone;
    return out;
  }
  // In flight on this link, or sent on an earlier one and queued again when
  // it dropped: either way the node has it now.
  if (q.in_flight.erase(id)) q.in_flight_bytes -= std::min(q.in_flight_bytes, it->second.size);
  out.kind = Taken::Kind::kTaken;
  out.item = Forget(q, it);
  return out;
}

std::optional<QueuedItem> DeliveryQueues::Remove(v1::Nation recipient, int64_t id) {
  Queue& q = queues_[recipient];
  auto it = q.items.find(id);
  if (it == q.items.end()) return std::nullopt;
  if (q.in_flight.erase(id)) q.in_flight_bytes -= std::min(q.in_flight_bytes, it->second.size);
  return Forget(q, it);
}

std::vector<std::pair<v1::Nation, int64_t>> DeliveryQueues::Withdrawable(
    v1::Nation sender, const std::string& message_id) const {
  std::vector<std::pair<v1::Nation, int64_t>> out;
  auto copies = copies_.find({sender, message_id});
  if (copies == copies_.end()) return out;
  for (const auto& copy : copies->second) {
    auto q = queues_.find(copy.first);
    if (q != queues_.end() && !q->second.in_flight.count(copy.second)) out.push_back(copy);
  }
  return out;
}

std::vector<std::pair<v1::Nation, int64_t>> DeliveryQueues::Expirable(
    int64_t accepted_before) const {
  std::vector<std::pair<v1::Nation, int64_t>> out;
  for (const auto& [recipient, q] : queues_) {
    for (const auto& [id, item] : q.items) {
      if (item.kind == ItemKind::kEnvelope && item.accepted_at_ms <= accepted_before &&
          !q.in_flight.count(id)) {
        out.emplace_back(recipient, id);
      }
    }
  }
  return out;
}

size_t DeliveryQueues::queued(v1::Nation recipient) const {
  auto q = queues_.find(recipient);
  return q == queues_.end() ? 0 : q->second.items.size();
}

std::map<int, size_t> DeliveryQueues::QueuedByPrecedence(v1::Nation recipient) const {
  std::map<int, size_t> out;
  auto q = queues_.find(recipient);
  if (q == queues_.end()) return out;
  for (const auto& [id, item] : q->second.items) ++out[item.precedence];
  return out;
}

size_t DeliveryQueues::in_flight(v1::Nation recipient) const {
  auto q = queues_.find(recipient);
  return q == queues_.end() ? 0 : q->second.in_flight.size();
}

QueuedItem DeliveryQueues::Forget(Queue& q, std::map<int64_t, QueuedItem>::iterator it) {
  QueuedItem item = it->second;
  q.pending.erase(PendingOf(item));
  q.unreadable.erase(item.id);
  q.unreadable_audited.erase(item.id);
  if (item.kind == ItemKind::kEnvelope) {
    auto copies = copies_.find({item.sender, ToString(item.item_id)});
    if (copies != copies_.end()) {
      copies->second.erase({item.recipient, item.id});
      if (copies->second.empty()) copies_.erase(copies);
    }
  }
  q.items.erase(it);
  return item;
}

}  // namespace hotline::relay
