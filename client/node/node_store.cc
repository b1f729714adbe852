#include "node/node_store.h"

#include <algorithm>
#include <cctype>

#include "hotline/audit_log.h"
#include "hotline/names.h"
#include "hotline/receipt.h"
#include "hotline/text.h"

namespace hotline::node {
namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS outbox(
  message_id BLOB PRIMARY KEY,
  channel INTEGER NOT NULL,
  precedence INTEGER NOT NULL,
  sequence INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  header BLOB NOT NULL,            -- serialized EnvelopeHeader
  envelope BLOB NOT NULL,          -- serialized Envelope as sent
  digest BLOB NOT NULL,            -- SHA-256 of envelope
  summary TEXT NOT NULL,
  accepted_at_ms INTEGER,          -- tier 1: first relay acceptance
  accepted_by TEXT,
  done INTEGER NOT NULL DEFAULT 0  -- 1 when every recipient's delivery receipt is back
);
CREATE TABLE IF NOT EXISTS outbox_recipient(
  message_id BLOB NOT NULL REFERENCES outbox(message_id),
  recipient INTEGER NOT NULL,
  delivered_at_ms INTEGER,         -- tier 2: signed delivery receipt verified
  delivered_receipt BLOB,
  acknowledged_at_ms INTEGER,      -- tier 3: signed operator acknowledgment verified
  ack_receipt BLOB,
  reply_message_id BLOB,
  overdue INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(message_id, recipient)
);
CREATE TABLE IF NOT EXISTS inbox(
  message_id BLOB PRIMARY KEY,
  sender INTEGER NOT NULL,
  channel INTEGER NOT NULL,
  precedence INTEGER NOT NULL,
  sequence INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  received_at_ms INTEGER NOT NULL,
  digest BLOB NOT NULL,
  header BLOB NOT NULL,
  body BLOB NOT NULL,              -- serialized Body (decrypted; this node is its endpoint)
  acknowledged_at_ms INTEGER,
  released INTEGER NOT NULL DEFAULT 0  -- 0 held; 1 shown and passed by its stream; 2 shown ahead of a gap
);
CREATE TABLE IF NOT EXISTS streams(
  sender INTEGER NOT NULL,
  channel INTEGER NOT NULL,
  next_sequence INTEGER NOT NULL,  -- next sequence to release from this stream
  PRIMARY KEY(sender, channel)
);
CREATE TABLE IF NOT EXISTS receipts_out(
  receipt_id BLOB PRIMARY KEY,
  message_id BLOB NOT NULL,
  kind INTEGER NOT NULL,           -- ReceiptKind
  to_nation INTEGER NOT NULL,
  receipt BLOB NOT NULL,           -- serialized SignedReceipt
  precedence INTEGER NOT NULL,     -- of the message it answers
  accepted_at_ms INTEGER,          -- a relay stored it
  UNIQUE(message_id, kind)
);
CREATE TABLE IF NOT EXISTS consultations(
  consultation_id BLOB PRIMARY KEY,
  status BLOB NOT NULL             -- serialized ConsultationStatus
);
CREATE TABLE IF NOT EXISTS sequences(
  channel INTEGER PRIMARY KEY,     -- a channel, or channel * 8 + recipient nation
  next INTEGER NOT NULL            -- next sequence to allocate in that counter
);
CREATE TABLE IF NOT EXISTS epoch_keys(
  epoch INTEGER PRIMARY KEY,       -- our epoch keys not yet destroyed (PROTOCOL.md §4)
  secret BLOB NOT NULL,            -- empty: the secret is in the file epoch-secrets
  signed BLOB NOT NULL,            -- serialized SignedEpochKey
  not_before_ms INTEGER NOT NULL,
  not_after_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS peer_epoch_keys(
  nation INTEGER PRIMARY KEY,      -- each other nation's newest epoch key
  signed BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS expired(
  message_id BLOB NOT NULL,        -- a sent message whose copy for `recipient`
  recipient INTEGER NOT NULL,      -- a relay expired undelivered (PROTOCOL.md §5)
  at_ms INTEGER NOT NULL,          -- when the notice arrived (our clock)
  relay TEXT NOT NULL,
  PRIMARY KEY(message_id, recipient)
);
CREATE TABLE IF NOT EXISTS without_forward_secrecy(
  message_id BLOB NOT NULL,        -- a message sent or received wrapped under a long-term key
  peer INTEGER NOT NULL,           -- its recipient (sent) or sender (received)
  PRIMARY KEY(message_id, peer)
);
)sql";

std::string UpperHex(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<NodeStore>> NodeStore::Open(const std::filesystem::path& path) {
  std::string schema = std::string(kSchema) + std::string(kAuditSchema);
  HOTLINE_ASSIGN_OR_RETURN(auto db, Database::Open(path, schema));
  // Deleted rows are overwritten, not left in free pages: an epoch secret
  // deleted is destroyed (forward secrecy), and so is a body past retention.
  HOTLINE_RETURN_IF_ERROR(db->Exec("PRAGMA secure_delete=ON"));
  return std::unique_ptr<NodeStore>(new NodeStore(std::move(db)));
}

#define HOTLINE_STMT(var, sql) HOTLINE_ASSIGN_OR_RETURN(Statement* var, db_->Cached(sql))

Status NodeStore::InsertOutbox(const OutboxRow& row, int64_t now_ms) {
  (void)now_ms;
  HOTLINE_STMT(
      s,
      "INSERT INTO outbox(message_id, channel, precedence, sequence, created_at_ms, header,"
      " envelope, digest, summary) VALUES(?,?,?,?,?,?,?,?,?)");
  std::string header = row.header.SerializeAsString();
  s->Bind(1, row.message_id)
      .Bind(2, row.header.channel())
      .Bind(3, row.header.precedence())
      .Bind(4, static_cast<int64_t>(row.header.sequence()))
      .Bind(5, row.header.created_at_ms())
      .Bind(6, AsBytes(header))
      .Bind(7, row.envelope)
      .Bind(8, row.digest)
      .BindText(9, row.summary);
  HOTLINE_RETURN_IF_ERROR(s->Run());
  HOTLINE_STMT(r, "INSERT INTO outbox_recipient(message_id, recipient) VALUES(?,?)");
  for (int n : row.header.recipients()) {
    r->Bind(1, row.message_id).Bind(2, n);
    HOTLINE_RETURN_IF_ERROR(r->Run());
  }
  return Status::Ok();
}

namespace {
// The sequences table keys a counter by one integer: the channel for its
// display counter, channel * 8 + recipient for a (channel, recipient) one.
int64_t CounterColumn(SequenceKey key) {
  return key.recipient == v1::NATION_UNSPECIFIED ? key.channel : key.channel * 8 + key.recipient;
}
SequenceKey CounterKey(int64_t column) {
  if (column < 8) return {static_cast<v1::Channel>(column), v1::NATION_UNSPECIFIED};
  return {static_cast<v1::Channel>(column / 8), static_cast<v1::Nation>(column % 8)};
}
}  // namespace

Status NodeStore::SetNextSequence(SequenceKey key, uint64_t next) {
  HOTLINE_STMT(s,
               "INSERT INTO sequences(channel, next) VALUES(?,?)"
               " ON CONFLICT(channel) DO UPDATE SET next=excluded.next");
  s->Bind(1, CounterColumn(key)).Bind(2, static_cast<int64_t>(next));
  return s->Run();
}

Status NodeStore::MarkAccepted(ByteView message_id, int64_t at_ms, const std::string& relay) {
  HOTLINE_STMT(s,
               "UPDATE outbox SET accepted_at_ms=?, accepted_by=?"
               " WHERE message_id=? AND accepted_at_ms IS NULL");
  s->Bind(1, at_ms).BindText(2, relay).Bind(3, message_id);
  return s->Run();
}

StatusOr<bool> NodeStore::MarkDelivered(ByteView message_id, v1::Nation recipient, int64_t at_ms,
                                        ByteView receipt) {
  HOTLINE_STMT(s,
               "UPDATE outbox_recipient SET delivered_at_ms=?, delivered_receipt=?"
               " WHERE message_id=? AND recipient=? AND delivered_at_ms IS NULL");
  s->Bind(1, at_ms).Bind(2, receipt).Bind(3, message_id).Bind(4, recipient);
  HOTLINE_RETURN_IF_ERROR(s->Run());
  return db_->Changes() > 0;
}

StatusOr<bool> NodeStore::MarkAcknowledged(ByteView message_id, v1::Nation recipient, int64_t at_ms,
                                           ByteView receipt, ByteView reply_id) {
  HOTLINE_STMT(s,
               "UPDATE outbox_recipient SET acknowledged_at_ms=?, ack_receipt=?, reply_message_id=?"
               " WHERE message_id=? AND recipient=? AND acknowledged_at_ms IS NULL");
  s->Bind(1, at_ms).Bind(2, receipt);
  if (reply_id.empty())
    s->BindNull(3);
  else
    s->Bind(3, reply_id);
  s->Bind(4, message_id).Bind(5, recipient);
  HOTLINE_RETURN_IF_ERROR(s->Run());
  return db_->Changes() > 0;
}

Status NodeStore::MarkDone(ByteView message_id) {
  HOTLINE_STMT(s, "UPDATE outbox SET done=1 WHERE message_id=?");
  s->Bind(1, message_id);
  return s->Run();
}

Status NodeStore::InsertReceipt(const PendingReceipt& r, ByteView message_id, int kind) {
  HOTLINE_STMT(
      s,
      "INSERT OR IGNORE INTO receipts_out(receipt_id, message_id, kind, to_nation, receipt,"
      " precedence) VALUES(?,?,?,?,?,?)");
  s->Bind(1, r.receipt_id)
      .Bind(2, message_id)
      .Bind(3, kind)
      .Bind(4, r.to)
      .Bind(5, r.receipt)
      .Bind(6, r.precedence);
  return s->Run();
}

Status NodeStore::MarkReceiptAccepted(ByteView receipt_id, int64_t at_ms) {
  HOTLINE_STMT(
      s, "UPDATE receipts_out SET accepted_at_ms=? WHERE receipt_id=? AND accepted_at_ms IS NULL");
  s->Bind(1, at_ms).Bind(2, receipt_id);
  return s->Run();
}

StatusOr<bool> NodeStore::MarkExpired(ByteView message_id, v1::Nation recipient, int64_t at_ms,
                                      const std::string& relay) {
  HOTLINE_STMT(s,
               "INSERT OR IGNORE INTO expired(message_id, recipient, at_ms, relay)"
               " VALUES(?,?,?,?)");
  s->Bind(1, message_id).Bind(2, recipient).Bind(3, at_ms).BindText(4, relay);
  HOTLINE_RETURN_IF_ERROR(s->Run());
  return db_->Changes() > 0;
}

Status NodeStore::MarkOverdue(ByteView message_id, v1::Nation recipient) {
  HOTLINE_STMT(s, "UPDATE outbox_recipient SET overdue=1 WHERE message_id=? AND recipient=?");
  s->Bind(1, message_id).Bind(2, recipient);
  return s->Run();
}

Status NodeStore::ForEachUnacknowledgedSent(
    const std::function<void(const v1::EnvelopeHeader&, v1::Nation, bool)>& fn) {
  return db_->ForEachRow(
      "SELECT o.header, r.recipient, r.delivered_at_ms IS NOT NULL FROM outbox o"
      " JOIN outbox_recipient r USING(message_id) WHERE r.acknowledged_at_ms IS NULL"
      " AND NOT EXISTS(SELECT 1 FROM expired e"
      "                WHERE e.message_id = r.message_id AND e.recipient = r.recipient)",
      [&](Statement& s) -> Status {
        v1::EnvelopeHeader h;
        HOTLINE_RETURN_IF_ERROR(s.ColumnMessage(0, h, "outbox header"));
        fn(h, static_cast<v1::Nation>(s.ColumnInt(1)), s.ColumnInt(2) != 0);
        return Status::Ok();
      });
}

StatusOr<std::map<SequenceKey, uint64_t>> NodeStore::LoadSequences() {
  std::map<SequenceKey, uint64_t> out;
  HOTLINE_RETURN_IF_ERROR(
      db_->ForEachRow("SELECT channel, next FROM sequences", [&](Statement& s) -> Status {
        out[CounterKey(s.ColumnInt(0))] = static_cast<uint64_t>(s.ColumnInt(1));
        return Status::Ok();
      }));
  return out;
}

Status NodeStore::ForEachOutstanding(
    const std::function<void(OutboxRow&&, std::vector<v1::Nation>)>& fn) {
  constexpr std::string_view kSql =
      "SELECT o.message_id, o.header, o.envelope, o.digest, o.summary, group_concat(r.recipient)"
      " FROM outbox o JOIN outbox_recipient r USING(message_id)"
      " WHERE o.done=0 AND r.delivered_at_ms IS NULL"
      " AND NOT EXISTS(SELECT 1 FROM expired e"
      "                WHERE e.message_id = r.message_id AND e.recipient = r.recipient)"
      " GROUP BY o.message_id ORDER BY o.rowid";
  return db_->ForEachRow(kSql, [&](Statement& s) -> Status {
    OutboxRow r;
    r.message_id = s.ColumnBlob(0);
    HOTLINE_RETURN_IF_ERROR(s.ColumnMessage(1, r.header, "outbox header"));
    r.envelope = s.ColumnBlob(2);
    r.digest = s.ColumnBlob(3);
    r.summary = s.ColumnText(4);
    std::vector<v1::Nation> missing;
    std::string list = s.ColumnText(5);
    for (size_t pos = 0; pos < list.size();) {
      size_t comma = list.find(',', pos);
      if (comma == std::string::npos) comma = list.size();
      missing.push_back(static_cast<v1::Nation>(std::stoi(list.substr(pos, comma - pos))));
      pos = comma + 1;
    }
    fn(std::move(r), std::move(missing));
    return Status::Ok();
  });
}

Status NodeStore::ForEachUnacceptedReceipt(const std::function<void(PendingReceipt&&)>& fn) {
  return db_->ForEachRow(
      "SELECT receipt_id, to_nation, receipt, precedence FROM receipts_out"
      " WHERE accepted_at_ms IS NULL ORDER BY rowid",
      [&](Statement& s) -> Status {
        fn(PendingReceipt{s.ColumnBlob(0), static_cast<v1::Nation>(s.ColumnInt(1)), s.ColumnBlob(2),
                          static_cast<v1::Precedence>(s.ColumnInt(3))});
        return Status::Ok();
      });
}

StatusOr<std::optional<OutboxRow>> NodeStore::FindOutbox(ByteView message_id) {
  HOTLINE_STMT(s, "SELECT header, envelope, digest, summary FROM outbox WHERE message_id=?");
  s->Bind(1, message_id);
  auto row = s->Step();
  std::optional<OutboxRow> out;
  if (row.ok() && *row) {
    OutboxRow r;
    r.message_id.assign(message_id.begin(), message_id.end());
    if (Status st = s->ColumnMessage(0, r.header, "outbox header"); !st.ok()) {
      s->Reset();
      return st;
    }
    r.envelope = s->ColumnBlob(1);
    r.digest = s->ColumnBlob(2);
    r.summary = s->ColumnText(3);
    out = std::move(r);
  }
  s->Reset();
  if (!row.ok()) return row.status();
  return out;
}

StatusOr<std::optional<Bytes>> NodeStore::FindReceipt(ByteView message_id, int kind) {
  HOTLINE_STMT(s, "SELECT receipt FROM receipts_out WHERE message_id=? AND kind=?");
  s->Bind(1, message_id).Bind(2, kind);
  auto row = s->Step();
  std::optional<Bytes> out;
  if (row.ok() && *row) out = s->ColumnBlob(0);
  s->Reset();
  if (!row.ok()) return row.status();
  return out;
}

StatusOr<Bytes> NodeStore::ResolveId(std::string_view hex_prefix, bool inbox) {
  if (hex_prefix.size() < 4 || hex_prefix.size() > 32 ||
      !std::all_of(hex_prefix.begin(), hex_prefix.end(),
                   [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); })) {
    return InvalidArgumentError("message id '" + std::string(hex_prefix) +
                                "' is not 4 to 32 hex digits");
  }
  std::string sql = std::string("SELECT message_id FROM ") + (inbox ? "inbox" : "outbox") +
                    " WHERE hex(message_id) LIKE ?" + (inbox ? " AND released IN (1, 2)" : "") +
                    " LIMIT 2";
  HOTLINE_ASSIGN_OR_RETURN(Statement s, db_->Prepare(sql));
  s.BindText(1, UpperHex(hex_prefix) + "%");
  std::vector<Bytes> found;
  for (;;) {
    HOTLINE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    found.push_back(s.ColumnBlob(0));
  }
  if (found.empty()) {
    return NotFoundError(std::string("no message with id ") + std::string(hex_prefix) + " in the " +
                         (inbox ? "inbox" : "outbox"));
  }
  if (found.size() > 1)
    return InvalidArgumentError("message id prefix " + std::string(hex_prefix) + " is ambiguous");
  return found[0];
}

StatusOr<v1::MessageStatus> NodeStore::GetStatus(ByteView message_id) {
  HOTLINE_ASSIGN_OR_RETURN(
      Statement s,
      db_->Prepare(
          "SELECT o.channel, o.precedence, o.created_at_ms, o.summary, o.accepted_at_ms, "
          "r.recipient,"
          " r.delivered_at_ms, r.acknowledged_at_ms, r.overdue, r.ack_receipt,"
          " EXISTS(SELECT 1 FROM without_forward_secrecy w"
          "        WHERE w.message_id = o.message_id AND w.peer = r.recipient),"
          " e.at_ms, e.relay"
          " FROM outbox o JOIN outbox_recipient r USING(message_id)"
          " LEFT JOIN expired e ON e.message_id = o.message_id AND e.recipient = r.recipient"
          " WHERE o.message_id=? ORDER BY r.recipient"));
  s.Bind(1, message_id);
  v1::MessageStatus out;
  out.set_message_id(ToString(message_id));
  bool any = false;
  for (;;) {
    HOTLINE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    any = true;
    out.set_channel(static_cast<v1::Channel>(s.ColumnInt(0)));
    out.set_precedence(static_cast<v1::Precedence>(s.ColumnInt(1)));
    out.set_created_at_ms(s.ColumnInt(2));
    out.set_summary(s.ColumnText(3));
    auto* r = out.add_recipients();
    r->set_accepted_at_ms(s.ColumnInt(4));
    r->set_recipient(static_cast<v1::Nation>(s.ColumnInt(5)));
    r->set_delivered_at_ms(s.ColumnInt(6));
    r->set_acknowledged_at_ms(s.ColumnInt(7));
    r->set_overdue(s.ColumnInt(8) != 0);
    r->set_without_forward_secrecy(s.ColumnInt(10) != 0);
    r->set_expired_at_ms(s.ColumnInt(11));
    r->set_expired_by(s.ColumnText(12));
    // Who acknowledged is in the signed receipt itself, checked when it came.
    Bytes ack = s.ColumnBlob(9);
    if (auto receipt = ParseReceipt(ack); !ack.empty() && receipt.ok()) {
      r->set_acknowledged_by(receipt->details.operator_name());
    }
  }
  if (!any) return NotFoundError("no sent message with id " + ToHex(message_id));
  return out;
}

StatusOr<std::vector<Bytes>> NodeStore::RecentOutbox(uint32_t limit) {
  HOTLINE_ASSIGN_OR_RETURN(
      Statement s, db_->Prepare("SELECT message_id FROM outbox ORDER BY rowid DESC LIMIT ?"));
  s.Bind(1, limit ? limit : 20);
  std::vector<Bytes> out;
  for (;;) {
    HOTLINE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(s.ColumnBlob(0));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::string SummarizeBody(const v1::Body& body) {
  // Peers choose these strings: a summary is printable text of bounded length.
  auto clip = [](const std::string& s) { return Printable(s, {.max_code_points = 80}); };
  switch (body.payload_case()) {
    case v1::Body::kText:
      return clip(body.text().text());
    case v1::Body::kMissileWarning: {
      const auto& w = body.missile_warning();
      std::string status = WarningStatusText(w.status());
      return "MISSILE WARNING [" + status + "] " + clip(w.event_id()) + " " + clip(w.remarks());
    }
    case v1::Body::kConsultRequest:
      return "CONSULT REQUEST: " + clip(body.consult_request().topic());
    case v1::Body::kConsultResponse:
      return "CONSULT RESPONSE: " + clip(body.consult_response().text());
    case v1::Body::kLinkTest:
      return "LINK TEST";
    case v1::Body::kEpochKey:
      return "EPOCH KEY (our new one, for forward secrecy)";
    case v1::Body::kCheckpointNote:
      return "AUDIT CHECKPOINT (for witnessing)";
    case v1::Body::kTrackSummary: {
      const auto& t = body.track_summary();
      return "TRACK SUMMARY [" + WarningStatusText(t.status()) + "] " + clip(t.track_id()) + " #" +
             std::to_string(t.first_seq()) + "..#" + std::to_string(t.last_seq()) +
             (t.ended() ? " (ended)" : "");
    }
    case v1::Body::kTrackUpdate:
      return "TRACK UPDATE [" + WarningStatusText(body.track_update().status()) + "] " +
             clip(body.track_update().track_id());
    default:
      return "(empty)";
  }
}

}  // namespace hotline::node
