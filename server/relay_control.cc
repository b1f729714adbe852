// The relay's control socket (DATA/control.sock, PROTOCOL.md §7): what an
// operator asks with `hotline relay status` — the nodes linked, what waits
// for each by precedence, and the inputs refused lately.
#include <spdlog/spdlog.h>

#include "hotline/certs.h"
#include "hotline/control_codec.h"
#include "relay_server.h"

namespace hotline::relay {

void RelayServer::NoteRefusal(const AuditEntry& entry) {
  if (entry.event != v1::AUDIT_EVENT_INPUT_REJECTED &&
      entry.event != v1::AUDIT_EVENT_HANDSHAKE_REJECTED) {
    return;
  }
  v1::RelayStatusResponse::Refusal r;
  r.set_at_ms(config_.now_ms());
  r.set_event(v1::AuditEvent_Name(entry.event).substr(sizeof("AUDIT_EVENT_") - 1));
  r.set_peer(!entry.peer_subject.empty() ? entry.peer_subject : entry.detail);
  r.set_reason(entry.reason);
  refusals_.push_front(std::move(r));
  if (refusals_.size() > kRecentRefusals) refusals_.pop_back();
}

void RelayServer::Handle(const v1::ControlRequest& request, Reply reply) {
  if (!request.has_relay_status()) {
    RejectControlInput("a relay answers only relay_status, not request kind " +
                       std::to_string(request.kind_case()));
    return reply(ErrorResponse(
        InvalidArgumentError("a relay answers only relay_status (`hotline relay status`)")));
  }
  v1::ControlResponse out;
  out.set_ok(true);
  auto* s = out.mutable_relay_status();
  s->set_relay(config_.subject);
  s->set_at_ms(config_.now_ms());
  s->set_started_at_ms(started_at_ms_);
  for (v1::Nation n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) {
    auto* node = s->add_nodes();
    node->set_nation(n);
    LinkConnection::Ptr link = links_.Current(n);
    if (link && link->established()) {
      node->set_connected(true);
      node->set_remote_address(link->remote_address());
      auto since = linked_since_ms_.find(n);
      if (since != linked_since_ms_.end()) node->set_since_ms(since->second);
    }
    auto depth = queues_.QueuedByPrecedence(n);
    for (v1::Precedence p : {v1::PRECEDENCE_FLASH, v1::PRECEDENCE_IMMEDIATE,
                             v1::PRECEDENCE_PRIORITY, v1::PRECEDENCE_ROUTINE}) {
      auto* q = node->add_queued();
      q->set_precedence(p);
      auto it = depth.find(p);
      q->set_items(it == depth.end() ? 0 : it->second);
    }
    node->set_in_flight(queues_.in_flight(n));
  }
  s->set_connections(links_.All().size());
  for (const auto& r : refusals_) *s->add_recent_refusals() = r;
  reply(std::move(out));
}

void RelayServer::RejectControlInput(const std::string& why) {
  spdlog::warn("control socket: {}", why);
  Audit({.event = v1::AUDIT_EVENT_INPUT_REJECTED, .reason = "control socket: " + why});
}

}  // namespace hotline::relay
