#include "relay_store.h"

#include "hotline/audit_log.h"

namespace hotline::relay {
namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS queue(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  recipient INTEGER NOT NULL,
  kind INTEGER NOT NULL,          -- 1 envelope, 2 receipt, 3 expiry notice
  item_id BLOB NOT NULL,          -- message id or receipt id
  sender INTEGER NOT NULL,
  precedence INTEGER NOT NULL,
  data BLOB NOT NULL,             -- serialized Envelope, SignedReceipt or ExpiryNotice
  accepted_at_ms INTEGER NOT NULL,
  UNIQUE(recipient, kind, item_id)
);
)sql";

}  // namespace

StatusOr<std::unique_ptr<RelayStore>> RelayStore::Open(const std::filesystem::path& path) {
  std::string schema = std::string(kSchema) + std::string(kAuditSchema);
  HOTLINE_ASSIGN_OR_RETURN(auto db, Database::Open(path, schema));
  std::unique_ptr<RelayStore> store(new RelayStore(std::move(db)));
  auto prep = [&](std::optional<Statement>& slot, std::string_view sql) -> Status {
    HOTLINE_ASSIGN_OR_RETURN(Statement s, store->db_->Prepare(sql));
    slot.emplace(std::move(s));
    return Status::Ok();
  };
  HOTLINE_RETURN_IF_ERROR(prep(store->insert_,
      "INSERT OR IGNORE INTO queue(recipient, kind, item_id, sender, precedence, data, accepted_at_ms)"
      " VALUES(?,?,?,?,?,?,?)"));
  HOTLINE_RETURN_IF_ERROR(prep(store->find_,
                               "SELECT id, length(data), accepted_at_ms FROM queue WHERE "
                               "recipient=? AND kind=? AND item_id=?"));
  HOTLINE_RETURN_IF_ERROR(prep(store->remove_, "DELETE FROM queue WHERE id=?"));
  HOTLINE_RETURN_IF_ERROR(prep(store->load_, "SELECT data FROM queue WHERE id=?"));
  return store;
}

StatusOr<QueuedItem> RelayStore::Enqueue(v1::Nation recipient, ItemKind kind, ByteView item_id,
                                         v1::Nation sender, int precedence, ByteView data,
                                         int64_t now_ms) {
  insert_->Bind(1, recipient).Bind(2, static_cast<int>(kind)).Bind(3, item_id).Bind(4, sender)
      .Bind(5, precedence).Bind(6, data).Bind(7, now_ms);
  HOTLINE_RETURN_IF_ERROR(insert_->Run());
  QueuedItem item{0,          recipient,   kind,   Bytes(item_id.begin(), item_id.end()),
                  precedence, data.size(), sender, now_ms};
  if (db_->Changes() == 1) {
    item.id = db_->LastInsertRowId();
    return item;
  }
  find_->Bind(1, recipient).Bind(2, static_cast<int>(kind)).Bind(3, item_id);
  auto row = find_->Step();
  if (row.ok() && *row) {
    item.id = find_->ColumnInt(0);
    item.size = static_cast<size_t>(find_->ColumnInt(1));
    item.accepted_at_ms = find_->ColumnInt(2);
  }
  find_->Reset();
  if (!row.ok()) return row.status();
  return item;
}

Status RelayStore::Remove(int64_t id) {
  remove_->Bind(1, id);
  return remove_->Run();
}

StatusOr<Bytes> RelayStore::LoadData(int64_t id) {
  load_->Bind(1, id);
  auto row = load_->Step();
  Bytes out;
  if (row.ok() && *row) out = load_->ColumnBlob(0);
  load_->Reset();
  if (!row.ok()) return row.status();
  if (!*row) return NotFoundError("queued item " + std::to_string(id) + " is gone");
  return out;
}

Status RelayStore::ForEach(const std::function<void(const QueuedItem&)>& fn) {
  HOTLINE_ASSIGN_OR_RETURN(
      Statement s, db_->Prepare("SELECT id, recipient, kind, item_id, precedence, "
                                "length(data), sender, accepted_at_ms FROM queue ORDER BY id"));
  for (;;) {
    HOTLINE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    fn(QueuedItem{s.ColumnInt(0), static_cast<v1::Nation>(s.ColumnInt(1)),
                  static_cast<ItemKind>(s.ColumnInt(2)), s.ColumnBlob(3),
                  static_cast<int>(s.ColumnInt(4)), static_cast<size_t>(s.ColumnInt(5)),
                  static_cast<v1::Nation>(s.ColumnInt(6)), s.ColumnInt(7)});
  }
  return Status::Ok();
}

StatusOr<int64_t> RelayStore::HighestIdAssigned() {
  // AUTOINCREMENT keeps this in sqlite_sequence and never hands an id out twice.
  HOTLINE_ASSIGN_OR_RETURN(Statement s,
                           db_->Prepare("SELECT IFNULL((SELECT seq FROM sqlite_sequence "
                                        "WHERE name = 'queue'), 0)"));
  HOTLINE_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.ColumnInt(0) : 0;
}

}  // namespace hotline::relay
