#include "hotline/audit_log.h"

#include "hotline/crypto.h"

namespace hotline {

Bytes AuditLeafHash(ByteView record) {
  static constexpr uint8_t kLeafPrefix = 0x00;  // RFC 6962 §2.1
  Sha256Digest d = Sha256({ByteView(&kLeafPrefix, 1), record});
  return Bytes(d.begin(), d.end());
}

AuditLog::AuditLog(Database& db, std::string actor, std::function<int64_t()> now_ms)
    : db_(db), actor_(std::move(actor)), now_ms_(std::move(now_ms)) {}

StatusOr<uint64_t> AuditLog::Size() {
  if (next_index_) return *next_index_;
  if (!max_) {
    HOTLINE_ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT IFNULL(MAX(idx) + 1, 0) FROM audit_log"));
    max_.emplace(std::move(s));
  }
  auto row = max_->Step();
  if (!row.ok()) return row.status();
  uint64_t size = static_cast<uint64_t>(max_->ColumnInt(0));
  max_->Reset();
  next_index_ = size;
  return size;
}

Status AuditLog::Append(v1::AuditRecord record) {
  HOTLINE_ASSIGN_OR_RETURN(uint64_t index, Size());
  record.set_version(1);
  record.set_index(index);
  if (record.at_ms() == 0) record.set_at_ms(now_ms_());
  record.set_actor(actor_);
  std::string bytes = record.SerializeAsString();
  if (!insert_) {
    HOTLINE_ASSIGN_OR_RETURN(Statement s,
                             db_.Prepare("INSERT INTO audit_log(idx, record, leaf_hash) VALUES(?,?,?)"));
    insert_.emplace(std::move(s));
  }
  insert_->Bind(1, static_cast<int64_t>(index)).Bind(2, AsBytes(bytes)).Bind(3, AuditLeafHash(AsBytes(bytes)));
  Status st = insert_->Run();
  if (st.ok()) {
    next_index_ = index + 1;
  } else {
    next_index_.reset();
  }
  return st;
}

}  // namespace hotline
