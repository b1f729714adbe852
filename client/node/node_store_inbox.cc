// NodeStore, the incoming side: the inbox and its release state, the
// streams' next sequences, consultations and witnessing (node_store.h).
#include "hotline/text.h"
#include "node/node_store.h"

namespace hotline::node {

#define HOTLINE_STMT(var, sql) HOTLINE_ASSIGN_OR_RETURN(Statement* var, db_->Cached(sql))

Status NodeStore::InsertInbox(const v1::EnvelopeHeader& h, const v1::Body& body, ByteView digest,
                              int64_t received_at_ms) {
  HOTLINE_STMT(s,
               "INSERT OR IGNORE INTO inbox(message_id, sender, channel, precedence, sequence,"
               " created_at_ms, received_at_ms, digest, header, body) VALUES(?,?,?,?,?,?,?,?,?,?)");
  std::string header = h.SerializeAsString();
  std::string b = body.SerializeAsString();
  s->Bind(1, AsBytes(h.message_id()))
      .Bind(2, h.sender())
      .Bind(3, h.channel())
      .Bind(4, h.precedence())
      .Bind(5, static_cast<int64_t>(h.sequence()))
      .Bind(6, h.created_at_ms())
      .Bind(7, received_at_ms)
      .Bind(8, digest)
      .Bind(9, AsBytes(header))
      .Bind(10, AsBytes(b));
  return s->Run();
}

Status NodeStore::SetInboxRelease(ByteView message_id, InboxRelease state) {
  HOTLINE_STMT(s, "UPDATE inbox SET released=? WHERE message_id=?");
  s->Bind(1, static_cast<int>(state)).Bind(2, message_id);
  return s->Run();
}

Status NodeStore::SetStreamNext(v1::Nation sender, v1::Channel channel, uint64_t next) {
  HOTLINE_STMT(s,
               "INSERT INTO streams(sender, channel, next_sequence) VALUES(?,?,?)"
               " ON CONFLICT(sender, channel) DO UPDATE SET next_sequence=excluded.next_sequence");
  s->Bind(1, sender).Bind(2, channel).Bind(3, static_cast<int64_t>(next));
  return s->Run();
}

StatusOr<std::map<StreamKey, uint64_t>> NodeStore::LoadStreams() {
  std::map<StreamKey, uint64_t> out;
  HOTLINE_RETURN_IF_ERROR(db_->ForEachRow(
      "SELECT sender, channel, next_sequence FROM streams", [&](Statement& s) -> Status {
        out[{static_cast<v1::Nation>(s.ColumnInt(0)), static_cast<v1::Channel>(s.ColumnInt(1))}] =
            static_cast<uint64_t>(s.ColumnInt(2));
        return Status::Ok();
      }));
  return out;
}

Status NodeStore::SaveWitnessed(const std::string& origin, uint64_t size, ByteView countersigned) {
  HOTLINE_STMT(s, "INSERT OR REPLACE INTO witnessed(origin, size, signed) VALUES(?,?,?)");
  s->BindText(1, origin).Bind(2, static_cast<int64_t>(size)).Bind(3, countersigned);
  return s->Run();
}

Status NodeStore::ForEachWitnessed(const std::function<void(const v1::SignedCheckpoint&)>& fn) {
  return db_->ForEachRow("SELECT signed FROM witnessed", [&](Statement& s) -> Status {
    v1::SignedCheckpoint cp;
    HOTLINE_RETURN_IF_ERROR(s.ColumnMessage(0, cp, "witnessed checkpoint"));
    fn(cp);
    return Status::Ok();
  });
}

Status NodeStore::SetWitnessSent(v1::Nation witness, uint64_t size) {
  HOTLINE_STMT(s,
               "INSERT INTO witness_sent(witness, size) VALUES(?,?)"
               " ON CONFLICT(witness) DO UPDATE SET size=excluded.size");
  s->Bind(1, witness).Bind(2, static_cast<int64_t>(size));
  return s->Run();
}

StatusOr<std::map<v1::Nation, uint64_t>> NodeStore::LoadWitnessSent() {
  std::map<v1::Nation, uint64_t> out;
  HOTLINE_RETURN_IF_ERROR(
      db_->ForEachRow("SELECT witness, size FROM witness_sent", [&](Statement& s) -> Status {
        out[static_cast<v1::Nation>(s.ColumnInt(0))] = static_cast<uint64_t>(s.ColumnInt(1));
        return Status::Ok();
      }));
  return out;
}

Status NodeStore::ForEachHeld(
    const std::function<void(v1::EnvelopeHeader, v1::Body, Bytes, bool shown_early,
                             int64_t received_at_ms)>& fn) {
  return db_->ForEachRow(
      "SELECT header, body, digest, released, received_at_ms FROM inbox WHERE released IN (0, 2)"
      " ORDER BY sequence",
      [&](Statement& s) -> Status {
        v1::EnvelopeHeader h;
        v1::Body b;
        HOTLINE_RETURN_IF_ERROR(s.ColumnMessage(0, h, "inbox header"));
        HOTLINE_RETURN_IF_ERROR(s.ColumnMessage(1, b, "inbox body"));
        fn(std::move(h), std::move(b), s.ColumnBlob(2), s.ColumnInt(3) == 2, s.ColumnInt(4));
        return Status::Ok();
      });
}

Status NodeStore::MarkInboxAcknowledged(ByteView message_id, int64_t at_ms) {
  HOTLINE_STMT(
      s, "UPDATE inbox SET acknowledged_at_ms=? WHERE message_id=? AND acknowledged_at_ms IS NULL");
  s->Bind(1, at_ms).Bind(2, message_id);
  return s->Run();
}

Status NodeStore::SaveConsultation(const v1::ConsultationStatus& status) {
  HOTLINE_STMT(s,
               "INSERT INTO consultations(consultation_id, status) VALUES(?,?)"
               " ON CONFLICT(consultation_id) DO UPDATE SET status=excluded.status");
  std::string bytes = status.SerializeAsString();
  s->Bind(1, AsBytes(status.consultation_id())).Bind(2, AsBytes(bytes));
  return s->Run();
}

Status NodeStore::ForEachUnacknowledgedInbox(
    const std::function<void(const v1::EnvelopeHeader&, int64_t received_at_ms)>& fn) {
  return db_->ForEachRow(
      "SELECT header, received_at_ms FROM inbox"
      " WHERE acknowledged_at_ms IS NULL AND released IN (1, 2)",
      [&](Statement& s) -> Status {
        v1::EnvelopeHeader h;
        HOTLINE_RETURN_IF_ERROR(s.ColumnMessage(0, h, "inbox header"));
        fn(h, s.ColumnInt(1));
        return Status::Ok();
      });
}

Status NodeStore::ForEachConsultation(
    const std::function<void(const v1::ConsultationStatus&)>& fn) {
  return db_->ForEachRow("SELECT status FROM consultations", [&](Statement& s) -> Status {
    v1::ConsultationStatus st;
    HOTLINE_RETURN_IF_ERROR(s.ColumnMessage(0, st, "consultation"));
    fn(st);
    return Status::Ok();
  });
}

StatusOr<bool> NodeStore::InboxHas(ByteView message_id) {
  HOTLINE_STMT(s, "SELECT 1 FROM inbox WHERE message_id=?");
  s->Bind(1, message_id);
  auto row = s->Step();
  s->Reset();
  if (!row.ok()) return row.status();
  return *row;
}

static StatusOr<InboxRow> ReadInboxRow(Statement& s) {
  InboxRow r;
  auto& e = r.entry;
  Bytes id = s.ColumnBlob(0);
  e.set_message_id(ToString(id));
  e.set_sender(static_cast<v1::Nation>(s.ColumnInt(1)));
  e.set_channel(static_cast<v1::Channel>(s.ColumnInt(2)));
  e.set_precedence(static_cast<v1::Precedence>(s.ColumnInt(3)));
  e.set_sequence(static_cast<uint64_t>(s.ColumnInt(4)));
  e.set_created_at_ms(s.ColumnInt(5));
  e.set_received_at_ms(s.ColumnInt(6));
  r.digest = s.ColumnBlob(7);
  HOTLINE_RETURN_IF_ERROR(s.ColumnMessage(8, *e.mutable_body(), "inbox body"));
  if (!s.ColumnIsNull(9)) e.set_acknowledged_at_ms(s.ColumnInt(9));
  r.acknowledged = !s.ColumnIsNull(9);
  return r;
}

constexpr std::string_view kInboxColumns =
    "message_id, sender, channel, precedence, sequence, created_at_ms, received_at_ms, digest, "
    "body,"
    " acknowledged_at_ms";

StatusOr<std::optional<InboxRow>> NodeStore::GetInbox(ByteView message_id) {
  HOTLINE_ASSIGN_OR_RETURN(Statement s, db_->Prepare("SELECT " + std::string(kInboxColumns) +
                                                     " FROM inbox WHERE message_id=?"));
  s.Bind(1, message_id);
  HOTLINE_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<InboxRow>();
  HOTLINE_ASSIGN_OR_RETURN(InboxRow r, ReadInboxRow(s));
  return std::optional<InboxRow>(std::move(r));
}

StatusOr<std::vector<InboxRow>> NodeStore::ListInbox(uint32_t limit, bool unacknowledged_only) {
  std::string sql = "SELECT " + std::string(kInboxColumns) +
                    " FROM inbox WHERE released IN (1, 2)" +
                    (unacknowledged_only ? " AND acknowledged_at_ms IS NULL" : "") +
                    " ORDER BY received_at_ms DESC, rowid DESC LIMIT ?";
  HOTLINE_ASSIGN_OR_RETURN(Statement s, db_->Prepare(sql));
  s.Bind(1, limit ? limit : 50);
  std::vector<InboxRow> out;
  for (;;) {
    HOTLINE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    HOTLINE_ASSIGN_OR_RETURN(InboxRow r, ReadInboxRow(s));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace hotline::node
