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

v1::AuditRecord ToAuditRecord(const AuditEntry& e) {
  v1::AuditRecord r;
  r.set_event(e.event);
  r.set_message_id(e.message_id);
  r.set_envelope_digest(e.envelope_digest);
  r.set_peer(e.peer);
  r.set_peer_subject(e.peer_subject);
  r.set_precedence(e.precedence);
  r.set_channel(e.channel);
  r.set_reason(e.reason);
  r.set_detail(e.detail);
  r.set_sequence(e.sequence);
  for (v1::Nation n : e.recipients) r.add_recipients(n);
  r.set_release(e.release);
  r.set_at_ms(e.at_ms);
  r.set_operator_name(e.operator_name);
  return r;
}

Status AuditLog::Append(const AuditEntry& entry) {
  HOTLINE_ASSIGN_OR_RETURN(uint64_t index, Size());
  v1::AuditRecord record = ToAuditRecord(entry);
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
  merkle::Hash leaf = merkle::LeafHash(AsBytes(bytes));
  insert_->Bind(1, static_cast<int64_t>(index)).Bind(2, AsBytes(bytes)).Bind(3, leaf);
  Status st = insert_->Run();
  if (st.ok()) {
    if (observer_ && uncommitted_.size() < 100'000) uncommitted_.push_back(std::move(record));
    next_index_ = index + 1;
    if (range_ && range_->size() == index) {
      range_->Append(leaf);
    } else {
      range_.reset();
    }
    if (tree_ && tree_->size() >= index) {  // a rolled-back tail is replaced
      tree_->Truncate(index);
      tree_->Append(leaf);
    }
  } else {
    InvalidateCache();
  }
  return st;
}

void AuditLog::Committed() {
  std::vector<v1::AuditRecord> records;
  records.swap(uncommitted_);
  for (const auto& r : records) observer_(r);
}

StatusOr<std::vector<merkle::Hash>> AuditLog::ReadLeaves(uint64_t from) {
  HOTLINE_ASSIGN_OR_RETURN(
      Statement s, db_.Prepare("SELECT idx, leaf_hash FROM audit_log WHERE idx >= ? ORDER BY idx"));
  s.Bind(1, static_cast<int64_t>(from));
  std::vector<merkle::Hash> out;
  for (;;) {
    HOTLINE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (s.ColumnInt(0) != static_cast<int64_t>(from + out.size())) {
      return DataLossError("audit log has no record " + std::to_string(from + out.size()));
    }
    Bytes h = s.ColumnBlob(1);
    if (h.size() != 32) return DataLossError("audit leaf hash is not 32 bytes");
    merkle::Hash leaf;
    std::copy(h.begin(), h.end(), leaf.begin());
    out.push_back(leaf);
  }
  return out;
}

StatusOr<const merkle::Tree*> AuditLog::ProofTree() {
  HOTLINE_ASSIGN_OR_RETURN(uint64_t size, Size());
  if (!tree_) tree_.emplace();
  if (tree_->size() > size) tree_->Truncate(size);  // appends rolled back
  if (tree_->size() < size) {
    HOTLINE_ASSIGN_OR_RETURN(std::vector<merkle::Hash> more, ReadLeaves(tree_->size()));
    for (const auto& leaf : more) tree_->Append(leaf);
  }
  if (tree_->size() != size) return DataLossError("audit log size and records disagree");
  return &*tree_;
}

StatusOr<merkle::Hash> AuditLog::Root() {
  if (!range_) {
    HOTLINE_ASSIGN_OR_RETURN(std::vector<merkle::Hash> leaves, ReadLeaves(0));
    merkle::CompactRange range;
    for (const auto& leaf : leaves) range.Append(leaf);
    range_ = range;
  }
  return range_->Root();
}

StatusOr<std::optional<v1::SignedCheckpoint>> AuditLog::CheckpointIfGrown(const Ed25519Secret& key,
                                                                           ByteView public_key,
                                                                           uint64_t& last_size) {
  HOTLINE_ASSIGN_OR_RETURN(uint64_t size, Size());
  if (size == last_size) return std::optional<v1::SignedCheckpoint>();
  HOTLINE_ASSIGN_OR_RETURN(v1::SignedCheckpoint cp, SignCheckpoint(key, public_key));
  last_size = size;
  return std::optional<v1::SignedCheckpoint>(std::move(cp));
}

v1::CheckpointSignature SignCheckpointBytes(const std::string& checkpoint, const std::string& signer,
                                            const Ed25519Secret& key, ByteView public_key) {
  v1::CheckpointSignature sig;
  sig.set_signer(signer);
  Sha256Digest id = Sha256({public_key});
  sig.set_key_id(std::string(reinterpret_cast<const char*>(id.data()), 8));
  Ed25519Signature s = Ed25519Sign(key, DomainSeparated(kCheckpointTag, {AsBytes(checkpoint)}));
  sig.set_signature(ToString(s));
  return sig;
}

StatusOr<v1::SignedCheckpoint> AuditLog::SignCheckpoint(const Ed25519Secret& key, ByteView public_key) {
  HOTLINE_ASSIGN_OR_RETURN(merkle::Hash root, Root());
  HOTLINE_ASSIGN_OR_RETURN(uint64_t size, Size());
  if (range_->size() != size) return InternalError("audit tree and index disagree");
  v1::Checkpoint cp;
  cp.set_origin(actor_);
  cp.set_size(size);
  cp.set_root(ToString(root));
  cp.set_at_ms(now_ms_());
  v1::SignedCheckpoint signed_cp;
  signed_cp.set_checkpoint(cp.SerializeAsString());
  *signed_cp.add_signatures() = SignCheckpointBytes(signed_cp.checkpoint(), actor_, key, public_key);
  HOTLINE_ASSIGN_OR_RETURN(Statement s,
                           db_.Prepare("INSERT OR REPLACE INTO checkpoints(size, signed) VALUES(?,?)"));
  std::string bytes = signed_cp.SerializeAsString();
  s.Bind(1, static_cast<int64_t>(size)).Bind(2, AsBytes(bytes));
  HOTLINE_RETURN_IF_ERROR(s.Run());
  return signed_cp;
}

StatusOr<std::optional<v1::SignedCheckpoint>> AuditLog::LatestCheckpoint() {
  HOTLINE_ASSIGN_OR_RETURN(Statement s,
                           db_.Prepare("SELECT signed FROM checkpoints ORDER BY size DESC LIMIT 1"));
  HOTLINE_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<v1::SignedCheckpoint>();
  Bytes b = s.ColumnBlob(0);
  v1::SignedCheckpoint cp;
  if (!cp.ParseFromArray(b.data(), static_cast<int>(b.size()))) return DataLossError("checkpoint does not parse");
  return std::optional<v1::SignedCheckpoint>(cp);
}

StatusOr<v1::Checkpoint> VerifyCheckpointSignature(const v1::SignedCheckpoint& signed_checkpoint,
                                                   ByteView public_key) {
  if (signed_checkpoint.signatures_size() == 0) return PermissionDeniedError("checkpoint is not signed");
  if (!Ed25519Verify(public_key,
                     DomainSeparated(kCheckpointTag, {AsBytes(signed_checkpoint.checkpoint())}),
                     AsBytes(signed_checkpoint.signatures(0).signature()))) {
    return PermissionDeniedError("checkpoint signature does not verify for its origin");
  }
  v1::Checkpoint cp;
  if (!cp.ParseFromString(signed_checkpoint.checkpoint()) || cp.root().size() != 32) {
    return DataLossError("checkpoint body is malformed");
  }
  return cp;
}

StatusOr<AuditLogReader> AuditLogReader::Open(const std::filesystem::path& path) {
  HOTLINE_ASSIGN_OR_RETURN(auto db, Database::OpenReadOnly(path));
  return AuditLogReader(std::move(db));
}

Status AuditLogReader::ForEachRecord(const std::function<Status(const StoredRecord&)>& fn) {
  return db_->ForEachRow(
      "SELECT idx, record, leaf_hash FROM audit_log ORDER BY idx", [&](Statement& s) {
        return fn(
            StoredRecord{static_cast<uint64_t>(s.ColumnInt(0)), s.ColumnBlob(1), s.ColumnBlob(2)});
      });
}

Status AuditLogReader::ForEachCheckpoint(const std::function<Status(const StoredCheckpoint&)>& fn) {
  return db_->ForEachRow("SELECT size, signed FROM checkpoints ORDER BY size", [&](Statement& s) {
    return fn(StoredCheckpoint{static_cast<uint64_t>(s.ColumnInt(0)), s.ColumnBlob(1)});
  });
}

StatusOr<std::vector<v1::SignedCheckpoint>> AuditLogReader::Witnessed(const std::string& origin) {
  std::vector<v1::SignedCheckpoint> out;
  auto s = db_->Prepare("SELECT signed FROM witnessed WHERE origin=?");
  if (!s.ok()) return out;  // no witness table in this store
  s->BindText(1, origin);
  for (;;) {
    HOTLINE_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    v1::SignedCheckpoint cp;
    if (s->ColumnMessage(0, cp, "witnessed checkpoint").ok()) out.push_back(std::move(cp));
  }
  return out;
}

}  // namespace hotline
