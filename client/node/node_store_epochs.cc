// The node store's epoch keys and forward-secrecy marks (PROTOCOL.md §4).
#include "hotline/crypto.h"
#include "node/node_store.h"

namespace hotline::node {

#define HOTLINE_STMT(var, sql) HOTLINE_ASSIGN_OR_RETURN(Statement* var, db_->Cached(sql))

Status NodeStore::SaveEpochKey(const EpochKeyRow& row) {
  HOTLINE_STMT(
      s,
      "INSERT OR REPLACE INTO epoch_keys(epoch, secret, signed, not_before_ms, not_after_ms)"
      " VALUES(?,coalesce(?, x''),?,?,?)");  // an empty blob binds as NULL
  s->Bind(1, static_cast<int64_t>(row.epoch))
      .Bind(2, row.secret)
      .Bind(3, AsBytes(row.signed_key))
      .Bind(4, row.not_before_ms)
      .Bind(5, row.not_after_ms);
  return s->Run();
}

Status NodeStore::ForEachEpochKey(const std::function<void(EpochKeyRow&&)>& fn) {
  return db_->ForEachRow(
      "SELECT epoch, secret, signed, not_before_ms, not_after_ms FROM epoch_keys ORDER BY epoch",
      [&](Statement& s) -> Status {
        EpochKeyRow row;
        row.epoch = static_cast<uint64_t>(s.ColumnInt(0));
        row.secret = s.ColumnBlob(1);
        row.signed_key = ToString(s.ColumnBlob(2));
        row.not_before_ms = s.ColumnInt(3);
        row.not_after_ms = s.ColumnInt(4);
        // Empty: the secret is in the epoch secret file (32 bytes: a store
        // from before it, moved there at start).
        if (!row.secret.empty() && row.secret.size() != kX25519Len)
          return DataLossError("epoch key " + std::to_string(row.epoch) + " is corrupt");
        fn(std::move(row));
        return Status::Ok();
      });
}

Status NodeStore::ClearEpochSecret(uint64_t epoch) {
  HOTLINE_STMT(s, "UPDATE epoch_keys SET secret = x'' WHERE epoch = ?");
  s->Bind(1, static_cast<int64_t>(epoch));
  return s->Run();
}

Status NodeStore::DestroyEpochKey(uint64_t epoch) {
  HOTLINE_STMT(s, "DELETE FROM epoch_keys WHERE epoch = ?");
  s->Bind(1, static_cast<int64_t>(epoch));
  return s->Run();
}

StatusOr<bool> NodeStore::TruncateWal() {
  HOTLINE_ASSIGN_OR_RETURN(Statement s, db_->Prepare("PRAGMA wal_checkpoint(TRUNCATE)"));
  HOTLINE_ASSIGN_OR_RETURN(bool row, s.Step());
  return row && s.ColumnInt(0) == 0;  // busy = 0: every frame copied back, the log emptied
}

Status NodeStore::SavePeerEpochKey(v1::Nation nation, const std::string& signed_key) {
  HOTLINE_STMT(s, "INSERT OR REPLACE INTO peer_epoch_keys(nation, signed) VALUES(?,?)");
  s->Bind(1, nation).Bind(2, AsBytes(signed_key));
  return s->Run();
}

Status NodeStore::ForEachPeerEpochKey(
    const std::function<void(v1::Nation, const std::string&)>& fn) {
  return db_->ForEachRow("SELECT nation, signed FROM peer_epoch_keys", [&](Statement& s) -> Status {
    fn(static_cast<v1::Nation>(s.ColumnInt(0)), ToString(s.ColumnBlob(1)));
    return Status::Ok();
  });
}

StatusOr<int> NodeStore::ForgetBodiesBefore(int64_t cutoff_ms) {
  static const std::string kEmptyBody = [] {
    v1::Body b;
    b.set_version(1);  // no payload: what a removed body reads as
    return b.SerializeAsString();
  }();
  HOTLINE_STMT(
      inbox,
      "UPDATE inbox SET body = ? WHERE received_at_ms < ? AND acknowledged_at_ms IS NOT NULL"
      " AND released != 0 AND body != ?");
  inbox->Bind(1, AsBytes(kEmptyBody)).Bind(2, cutoff_ms).Bind(3, AsBytes(kEmptyBody));
  HOTLINE_RETURN_IF_ERROR(inbox->Run());
  int changed = db_->Changes();
  HOTLINE_STMT(outbox,
               "UPDATE outbox SET summary = '(removed after the retention period)', envelope = x''"
               " WHERE created_at_ms < ? AND done = 1 AND length(envelope) > 0");
  outbox->Bind(1, cutoff_ms);
  HOTLINE_RETURN_IF_ERROR(outbox->Run());
  return changed + db_->Changes();
}

Status NodeStore::MarkWithoutForwardSecrecy(ByteView message_id, v1::Nation peer) {
  HOTLINE_STMT(s, "INSERT OR IGNORE INTO without_forward_secrecy(message_id, peer) VALUES(?,?)");
  s->Bind(1, message_id).Bind(2, peer);
  return s->Run();
}

StatusOr<std::vector<v1::Nation>> NodeStore::WithoutForwardSecrecy(ByteView message_id) {
  HOTLINE_STMT(s, "SELECT peer FROM without_forward_secrecy WHERE message_id = ? ORDER BY peer");
  s->Bind(1, message_id);
  std::vector<v1::Nation> out;
  while (true) {
    auto row = s->Step();
    if (!row.ok()) {
      s->Reset();
      return row.status();
    }
    if (!*row) break;
    out.push_back(static_cast<v1::Nation>(s->ColumnInt(0)));
  }
  s->Reset();
  return out;
}

}  // namespace hotline::node
