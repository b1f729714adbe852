#include "node/outbox_scheduler.h"

namespace hotline::node {

void OutboxScheduler::Add(const Bytes& message_id, Entry entry) {
  entry.accepted = false;
  entry.via = -1;
  entry.order = next_order_++;
  Entry& e = entries_[message_id] = std::move(entry);
  Queue(message_id, e);
}

void OutboxScheduler::Queue(const Bytes& message_id, const Entry& entry) {
  int precedence = fifo_ ? 0 : entry.precedence;
  queue_.emplace(std::make_pair(-precedence, entry.order), message_id);
}

std::optional<Bytes> OutboxScheduler::Next(bool bulk_room) {
  while (!queue_.empty()) {
    auto next = queue_.begin();
    bool urgent = -next->first.first >= v1::PRECEDENCE_IMMEDIATE;
    if (!urgent && !bulk_room) return std::nullopt;
    Bytes id = next->second;
    queue_.erase(next);
    if (entries_.count(id)) return id;  // else receipted meanwhile
  }
  return std::nullopt;
}

void OutboxScheduler::Submitted(const Bytes& message_id, int relay, int64_t now_ms) {
  auto it = entries_.find(message_id);
  if (it == entries_.end()) return;
  it->second.via = relay;
  it->second.submitted_via.insert(relay);
  if (it->second.precedence == v1::PRECEDENCE_FLASH && !fifo_) {
    hedges_.emplace(std::make_pair(now_ms + hedge_after_ms_, message_id), relay);
  }
}

std::vector<OutboxScheduler::Hedge> OutboxScheduler::HedgesDue(
    int64_t now_ms, const std::function<bool(int)>& is_up, int relay_count) {
  std::vector<Hedge> out;
  while (!hedges_.empty() && hedges_.begin()->first.first <= now_ms) {
    auto node = hedges_.extract(hedges_.begin());
    const Bytes& id = node.key().second;
    int from = node.mapped();
    auto it = entries_.find(id);
    // Accepted, receipted, or gone out again elsewhere meanwhile: nothing to do.
    if (it == entries_.end() || it->second.accepted || it->second.via != from) continue;
    int to = EscalationRelay(id, is_up, relay_count);
    if (to >= 0 && to != from) out.push_back({id, from, to});
  }
  return out;
}

std::optional<int64_t> OutboxScheduler::NextHedgeAt() const {
  if (hedges_.empty()) return std::nullopt;
  return hedges_.begin()->first.first;
}

void OutboxScheduler::Unsubmitted(const Bytes& message_id) {
  auto it = entries_.find(message_id);
  if (it != entries_.end()) Queue(message_id, it->second);
}

void OutboxScheduler::OnRelayUp(int relay, const std::function<bool(int)>& is_up) {
  for (auto& [id, e] : entries_) {
    bool accepted_elsewhere = e.accepted && e.via >= 0 && e.via != relay && is_up(e.via);
    if (!accepted_elsewhere) Queue(id, e);
  }
}

void OutboxScheduler::OnRelayDown(int relay) {
  for (auto& [id, e] : entries_) {
    if (e.via != relay) continue;
    e.via = -1;
    e.accepted = false;
    Queue(id, e);
  }
}

bool OutboxScheduler::OnAccepted(const Bytes& message_id, int relay) {
  auto it = entries_.find(message_id);
  if (it == entries_.end() || it->second.accepted) return false;
  it->second.accepted = true;
  it->second.via = relay;
  return true;
}

OutboxScheduler::Delivered OutboxScheduler::OnDelivered(const Bytes& message_id,
                                                        v1::Nation recipient) {
  Delivered out;
  auto it = entries_.find(message_id);
  if (it == entries_.end()) return out;
  out.awaited = it->second.awaiting.erase(recipient) > 0;
  if (it->second.awaiting.empty()) {
    out.done = true;
    out.submitted_via = std::move(it->second.submitted_via);
    entries_.erase(it);
  }
  return out;
}

int OutboxScheduler::EscalationRelay(const Bytes& message_id, const std::function<bool(int)>& is_up,
                                     int relay_count) const {
  auto it = entries_.find(message_id);
  int last = it == entries_.end() ? -1 : it->second.via;
  int same = -1;
  for (int i = 0; i < relay_count; ++i) {
    if (!is_up(i)) continue;
    if (i != last) return i;
    same = i;
  }
  return same;
}

std::map<v1::Precedence, OutboxScheduler::Depth> OutboxScheduler::Depths() const {
  std::map<v1::Precedence, Depth> out;
  for (const auto& [id, e] : entries_) ++out[e.precedence].unreceipted;
  for (const auto& [key, id] : queue_) {
    if (auto e = entries_.find(id); e != entries_.end()) ++out[e->second.precedence].queued;
  }
  return out;
}

const OutboxScheduler::Entry* OutboxScheduler::Find(const Bytes& message_id) const {
  auto it = entries_.find(message_id);
  return it == entries_.end() ? nullptr : &it->second;
}

uint64_t SequenceCounters::Peek(SequenceKey key) const {
  auto it = next_.find(key);
  return it == next_.end() ? 1 : it->second;
}

std::map<SequenceKey, uint64_t> SequenceCounters::Stamp(v1::EnvelopeHeader& header) const {
  std::map<SequenceKey, uint64_t> after;
  SequenceKey display{header.channel(), v1::NATION_UNSPECIFIED};
  header.set_sequence(Peek(display));
  after[display] = header.sequence() + 1;
  header.clear_recipient_sequences();
  for (int r : header.recipients()) {
    SequenceKey key{header.channel(), static_cast<v1::Nation>(r)};
    header.add_recipient_sequences(Peek(key));
    after[key] = Peek(key) + 1;
  }
  return after;
}

void SequenceCounters::Commit(const std::map<SequenceKey, uint64_t>& next) {
  for (const auto& [key, value] : next) next_[key] = value;
}

}  // namespace hotline::node
