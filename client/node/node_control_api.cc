// The daemon's control API (docs/PROTOCOL.md §7): what the CLI asks of a
// running node. Each call answers with a ControlResponse; sends and
// acknowledgments answer only once their durable write has committed.
#include <deque>

#include "hotline/audit_verify.h"
#include "hotline/control_codec.h"
#include "node/node_daemon.h"

namespace hotline::node {

namespace {

v1::ControlResponse Error(const Status& st) { return ErrorResponse(st); }

v1::ControlResponse Ok() {
  v1::ControlResponse r;
  r.set_ok(true);
  return r;
}

}  // namespace

void NodeDaemon::Handle(const v1::ControlRequest& request, Reply reply) {
  const std::string& who = request.operator_name().empty() ? "operator" : request.operator_name();
  switch (request.kind_case()) {
    case v1::ControlRequest::kSend: return Send(request.send(), who, std::move(reply));
    case v1::ControlRequest::kInbox: return reply(Inbox(request.inbox()));
    case v1::ControlRequest::kShow: return reply(Show(request.show()));
    case v1::ControlRequest::kAck: return Ack(request.ack(), who, std::move(reply));
    case v1::ControlRequest::kStatus: return reply(GetStatus(request.status()));
    case v1::ControlRequest::kConsultStatus: return reply(ConsultStatus(request.consult_status()));
    case v1::ControlRequest::kAudit: return AuditView(request.audit(), std::move(reply));
    case v1::ControlRequest::kKeysRotate:
      AuditAsync({.event = v1::AUDIT_EVENT_EPOCH_KEY,
                  .reason = "rotation asked for",
                  .operator_name = who});
      epochs_.RotateNow(config_.now_ms());
      if (epoch_in_progress_)
        return reply(Error(UnavailableError("an epoch key is being made; ask again")));
      return MakeEpoch("rotation asked for by " + who, std::move(reply));
    case v1::ControlRequest::kTrackPublish:
      return reply(PublishTrack(request.track_publish()));
    case v1::ControlRequest::kTrackList:
      return reply(TrackList());
    case v1::ControlRequest::kLinks:
      return GetLinks(request.links(), std::move(reply));
    case v1::ControlRequest::kTrustPublish:
      return PublishTrust(request.trust_publish(), who, std::move(reply));
    case v1::ControlRequest::kConsoleLink: {
      if (!console_links_) {
        return reply(Error(FailedPreconditionError("this node serves no console (--console)")));
      }
      auto link = console_links_(request.console_link().operator_name(), who);
      if (!link.ok()) return reply(Error(link.status()));
      v1::ControlResponse r = Ok();
      *r.mutable_console_link() = *link;
      return reply(r);
    }
    default:
      RejectControlInput("unknown control request");
      return reply(Error(InvalidArgumentError("unknown control request")));
  }
}

void NodeDaemon::Send(const v1::SendRequest& request, const std::string& operator_name,
                      Reply reply) {
  if (IsSystemBody(request.body())) {
    return reply(
        Error(InvalidArgumentError("checkpoint notes, epoch keys and track summaries are sent by "
                                   "the node itself; track updates by `track publish`")));
  }
  witness_->NoteTraffic();
  SendInternal(request, /*system=*/false, operator_name, std::move(reply));
}

StatusOr<std::set<int>> NodeDaemon::Recipients(const google::protobuf::RepeatedField<int>& asked) {
  std::set<int> to(asked.begin(), asked.end());
  if (to.empty()) {
    for (v1::Nation n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) {
      if (n != config_.nation) to.insert(n);
    }
  }
  for (int n : to) {
    if (n == config_.nation) return InvalidArgumentError("cannot send to your own nation");
    auto nation = static_cast<v1::Nation>(n);
    bool valid = v1::Nation_IsValid(n) && nation != v1::NATION_UNSPECIFIED;
    if (valid && !peers_.Current(nation)) ReloadTrust();  // fixed in the folder since?
    if (valid && !peers_.Current(nation)) {
      return FailedPreconditionError("cannot send to " + NationCode(nation) + ": " +
                                     peers_.ProblemFor(nation));
    }
  }
  return to;
}

void NodeDaemon::SendInternal(const v1::SendRequest& request, bool system,
                              const std::string& operator_name, Reply reply) {
  v1::EnvelopeHeader h;
  h.set_version(kEnvelopeVersion);
  h.set_message_id(ToString(RandomBytes(kMessageIdLen)));
  h.set_sender(config_.nation);
  auto to = Recipients(request.to());
  if (!to.ok()) return reply(Error(to.status()));
  for (int n : *to) h.add_recipients(static_cast<v1::Nation>(n));
  v1::Channel channel =
      request.channel() == v1::CHANNEL_UNSPECIFIED ? v1::CHANNEL_GENERAL : request.channel();
  h.set_channel(channel);
  h.set_precedence(request.precedence() == v1::PRECEDENCE_UNSPECIFIED ? DefaultPrecedence(channel)
                                                                      : request.precedence());
  h.set_created_at_ms(config_.now_ms());
  h.set_sender_cert_serial(identity_->details.serial());
  auto deliver = config_.deadlines.deliver.find(h.precedence());
  auto acknowledge = config_.deadlines.acknowledge.find(h.precedence());
  if (deliver != config_.deadlines.deliver.end()) {
    h.set_deliver_deadline_ms(h.created_at_ms() + deliver->second.count());
  }
  if (acknowledge != config_.deadlines.acknowledge.end() && !system) {
    h.set_ack_deadline_ms(h.created_at_ms() + acknowledge->second.count());
  }
  if (auto st = ValidateHeader(h); !st.ok()) return reply(Error(st));
  if (request.body().payload_case() == v1::Body::PAYLOAD_NOT_SET) {
    return reply(Error(InvalidArgumentError("message has no content")));
  }
  v1::Body body = request.body();
  body.set_version(1);
  SealAndStore(h, body, operator_name, [reply](const Status& st, const Bytes& id) {
    if (!st.ok()) return reply(Error(st));
    v1::ControlResponse r = Ok();
    r.mutable_send()->set_message_id(ToString(id));
    reply(r);
  });
}

void NodeDaemon::MarkForwardSecrecy(v1::InboxEntry& entry) {
  auto without = store_->WithoutForwardSecrecy(AsBytes(entry.message_id()));
  entry.set_without_forward_secrecy(without.ok() && !without->empty());
}

v1::ControlResponse NodeDaemon::Inbox(const v1::InboxRequest& request) {
  auto rows = store_->ListInbox(request.limit(), request.unacknowledged_only());
  if (!rows.ok()) return Error(rows.status());
  v1::ControlResponse r = Ok();
  for (auto& row : *rows) {
    if (IsSystemBody(row.entry.body())) continue;
    MarkForwardSecrecy(row.entry);
    *r.mutable_inbox()->add_entries() = std::move(row.entry);
  }
  return r;
}

v1::ControlResponse NodeDaemon::Show(const v1::ShowRequest& request) {
  auto id = store_->ResolveId(request.id_prefix(), /*inbox=*/true);
  if (!id.ok()) return Error(id.status());
  auto row = store_->GetInbox(*id);
  if (!row.ok()) return Error(row.status());
  v1::ControlResponse r = Ok();
  *r.mutable_show() = (*row)->entry;
  MarkForwardSecrecy(*r.mutable_show());
  return r;
}

void NodeDaemon::Ack(const v1::AckRequest& request, const std::string& operator_name,
                     Reply reply) {
  auto id = store_->ResolveId(request.id_prefix(), /*inbox=*/true);
  if (!id.ok()) return reply(Error(id.status()));
  auto row = store_->GetInbox(*id);
  if (!row.ok() || !*row)
    return reply(Error(row.ok() ? NotFoundError("message vanished") : row.status()));
  InboxRow entry = std::move(**row);
  if (entry.acknowledged) {
    return reply(
        Error(FailedPreconditionError("message " + ToHex(*id) + " was already acknowledged")));
  }
  Bytes message_id = *id;
  auto finish = [this, entry, message_id, reply, operator_name](const Bytes& reply_id) {
    int64_t now = config_.now_ms();
    v1::Nation sender = entry.entry.sender();
    PendingReceipt pending = MakeReceipt(
        {v1::RECEIPT_KIND_ACKNOWLEDGED, message_id, entry.digest, sender, entry.entry.precedence(),
         reply_id, operator_name, NewestEpochKey()},
        config_.nation, identity_->details.serial(), identity_->keys.signing.secret, now);
    AuditEntry rec{
        .event = v1::AUDIT_EVENT_ACKNOWLEDGED,
        .message_id = ToString(message_id),
        .envelope_digest = ToString(entry.digest),
        .peer = sender,
        .detail = "operator acknowledged" + std::string(reply_id.empty() ? "" : " with a reply"),
        .operator_name = operator_name};
    committer_->Submit(
        [this, message_id, now, pending, rec]() -> Status {
          HOTLINE_RETURN_IF_ERROR(store_->MarkInboxAcknowledged(message_id, now));
          HOTLINE_RETURN_IF_ERROR(
              store_->InsertReceipt(pending, message_id, v1::RECEIPT_KIND_ACKNOWLEDGED));
          return audit_->Append(rec);
        },
        [this, pending, message_id, reply_id, reply, sender, operator_name](const Status& st) {
          if (!st.ok()) return reply(Error(st));
          receipts_.Add(pending);
          TransmitReceipt(pending);
          inbox_deadlines_.Satisfy({message_id, sender, DeadlineTier::kAcknowledged});
          // Every console of this node clears its FLASH banner for it.
          Emit("acknowledged-here", message_id, sender, "acknowledged by " + operator_name);
          v1::ControlResponse r = Ok();
          r.mutable_ack()->set_message_id(ToString(message_id));
          r.mutable_ack()->set_reply_message_id(ToString(reply_id));
          reply(r);
        });
  };
  if (request.reply_text().empty()) return finish({});
  v1::SendRequest answer;
  answer.add_to(entry.entry.sender());
  answer.set_channel(entry.entry.channel());
  answer.set_precedence(entry.entry.precedence());
  answer.mutable_body()->set_in_reply_to(ToString(message_id));
  answer.mutable_body()->mutable_text()->set_text(request.reply_text());
  if (entry.entry.body().has_exercise()) {  // a reply to exercise traffic is exercise traffic
    *answer.mutable_body()->mutable_exercise() = entry.entry.body().exercise();
  }
  Send(answer, operator_name, [finish, reply](v1::ControlResponse r) {
    if (!r.ok()) return reply(r);
    finish(ToBytes(r.send().message_id()));
  });
}

v1::ControlResponse NodeDaemon::GetStatus(const v1::StatusRequest& request) {
  v1::ControlResponse r = Ok();
  auto* out = r.mutable_status();
  out->set_nation(config_.nation);
  *out->mutable_trust() = trust_keeper_->Summary();
  std::vector<Bytes> ids;
  if (!request.id_prefix().empty()) {
    auto id = store_->ResolveId(request.id_prefix(), /*inbox=*/false);
    if (!id.ok()) return Error(id.status());
    ids.push_back(*id);
  } else {
    auto recent = store_->RecentOutbox(request.limit());
    if (!recent.ok()) return Error(recent.status());
    ids = *recent;
  }
  for (const auto& id : ids) {
    auto st = store_->GetStatus(id);
    if (!st.ok()) return Error(st.status());
    *out->add_messages() = *st;
  }
  for (const auto& a : alerts_) out->add_alerts(a);
  for (const auto& [peer, offset] : clocks_.offsets()) {
    auto* c = out->add_clocks();
    c->set_peer(peer);
    c->set_offset_ms(offset);
    c->set_out_of_step(clocks_.OutOfStep(peer));
  }
  pool_->FillStatus(*out);
  return r;
}

v1::ControlResponse NodeDaemon::ConsultStatus(const v1::ConsultStatusRequest& request) {
  Bytes id;
  if (!request.id_prefix().empty()) {
    auto resolved = store_->ResolveId(request.id_prefix(), /*inbox=*/false);
    if (!resolved.ok()) resolved = store_->ResolveId(request.id_prefix(), /*inbox=*/true);
    if (!resolved.ok()) return Error(resolved.status());
    id = *resolved;
  }
  v1::ControlResponse r = Ok();
  for (auto& s : consultations_.List(id, config_.now_ms())) {
    *r.mutable_consult_status()->add_consultations() = std::move(s);
  }
  return r;
}

// Reads the log through a read-only connection on a background thread:
// a full verification reads every record and must not hold up a FLASH.
void NodeDaemon::AuditView(const v1::AuditRequest& request, Reply reply) {
  v1::ControlResponse r = Ok();
  auto* out = r.mutable_audit();
  for (v1::Nation n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) {
    if (n == config_.nation) continue;
    auto* w = out->add_witnessing();
    w->set_nation(n);
    w->set_sent_size(witness_->SentTo(n));
    w->set_witnessed_size(witness_->WitnessedOf(NodeSubject(n)));
  }
  if (auto latest = audit_->LatestCheckpoint(); latest.ok() && *latest) {
    out->mutable_latest_checkpoint()->ParseFromString((*latest)->checkpoint());
  }
  size_t limit = request.limit() == 0 ? 50 : std::min<size_t>(request.limit(), 500);
  std::filesystem::path store = config_.data_dir / "node.db";
  std::filesystem::path certs = config_.certs_dir;
  bool verify = request.verify();
  if (!background_) background_ = std::make_unique<asio::thread_pool>(1);
  asio::post(*background_, [this, r, store, certs, limit, verify, reply]() mutable {
    auto* view = r.mutable_audit();
    std::deque<v1::AuditRecord> newest;
    Status st = [&]() -> Status {
      HOTLINE_ASSIGN_OR_RETURN(AuditLogReader reader, AuditLogReader::Open(store));
      return reader.ForEachRecord([&](const AuditLogReader::StoredRecord& stored) {
        view->set_size(stored.index + 1);
        newest.emplace_back().ParseFromArray(stored.record.data(),
                                             static_cast<int>(stored.record.size()));
        if (newest.size() > limit) newest.pop_front();
        return Status::Ok();
      });
    }();
    for (auto& record : newest) *view->add_records() = std::move(record);
    if (st.ok() && verify) {
      auto report = VerifyAuditStore(store, {.key_for = CheckpointKeysFrom(certs), .witnessed = {}});
      if (report.ok()) {
        *view->mutable_verification() = ToProto(store, *report, 0);
      } else {
        st = report.status();
      }
    }
    if (!st.ok()) r = Error(st);
    asio::post(io_, [reply, r = std::move(r)]() { reply(r); });
  });
}

}  // namespace hotline::node
