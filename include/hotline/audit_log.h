// The append-only audit log of one node or relay, stored in that process's
// SQLite database. Each record is a serialized AuditRecord (metadata and
// digests only, never plaintext or keys) and a leaf of an RFC 6962 Merkle
// tree: leaf_hash = SHA-256(0x00 || record).
//
// Thread safety: one thread. Error contract: Append must run inside a
// transaction (normally a GroupCommitter write) and fails with the
// database's Status. The next index is cached; call InvalidateCache() after
// any rollback (GroupCommitter::OnRollback) so that no gap is left.
#ifndef HOTLINE_AUDIT_LOG_H_
#define HOTLINE_AUDIT_LOG_H_

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hotline/crypto.h"
#include "hotline/merkle.h"
#include "hotline/sqlite_db.h"
#include "hotline/v1/audit.pb.h"

namespace hotline {

inline constexpr std::string_view kAuditSchema = R"sql(
CREATE TABLE IF NOT EXISTS audit_log(
  idx INTEGER PRIMARY KEY,   -- 0-based leaf index
  record BLOB NOT NULL,      -- serialized hotline.v1.AuditRecord
  leaf_hash BLOB NOT NULL    -- SHA-256(0x00 || record)
);
CREATE TABLE IF NOT EXISTS witnessed(
  origin TEXT NOT NULL,      -- whose log
  size INTEGER NOT NULL,
  signed BLOB NOT NULL,      -- SignedCheckpoint with our counter-signature added
  PRIMARY KEY(origin, size)
);
CREATE TABLE IF NOT EXISTS witness_sent(
  witness INTEGER PRIMARY KEY,  -- nation we sent our checkpoints to
  size INTEGER NOT NULL         -- size of the last one sent
);
CREATE TABLE IF NOT EXISTS checkpoints(
  size INTEGER PRIMARY KEY,  -- tree size the checkpoint covers
  signed BLOB NOT NULL       -- serialized hotline.v1.SignedCheckpoint
);
)sql";

inline constexpr std::string_view kCheckpointTag = "hotline.v1.checkpoint";

// What one audit record says, by name: the event and what it concerns.
// Every record in every log is built from one of these (AuditLog::Append),
// so a field means the same thing everywhere; fields left out stay unset.
// Written with designated initializers:
//   log.Append({.event = v1::AUDIT_EVENT_STOP, .detail = why});
struct AuditEntry {
  v1::AuditEvent event = v1::AUDIT_EVENT_UNSPECIFIED;
  std::string message_id = {};
  std::string envelope_digest = {};
  v1::Nation peer = v1::NATION_UNSPECIFIED;
  std::string peer_subject = {};
  v1::Precedence precedence = v1::PRECEDENCE_UNSPECIFIED;
  v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
  std::string reason = {};  // why: rejections, overdue, escalation, alerts
  std::string detail = {};  // short, non-secret context
  uint64_t sequence = 0;
  std::vector<v1::Nation> recipients = {};
  v1::ReleaseOrder release = v1::RELEASE_ORDER_IN_SEQUENCE;
  int64_t at_ms = 0;  // 0: the log's clock at append time
  std::string operator_name = {};  // the operator whose action it records
};

// The entry's fields as a record (version, index and actor are the log's).
v1::AuditRecord ToAuditRecord(const AuditEntry& entry);

class AuditLog {
 public:
  // `db` must outlive the log and already hold kAuditSchema.
  AuditLog(Database& db, std::string actor, std::function<int64_t()> now_ms);

  // Adds version, index, at_ms (if 0) and actor, then inserts.
  Status Append(const AuditEntry& entry);
  StatusOr<uint64_t> Size();
  // Rolled back: cached state and records not yet committed are dropped.
  void InvalidateCache() {
    next_index_.reset();
    range_.reset();
    uncommitted_.clear();
  }
  // Records appended are handed to `observer` once Committed() says their
  // transaction is durable (metrics read them; a rolled-back one never is).
  void SetObserver(std::function<void(const v1::AuditRecord&)> observer) {
    observer_ = std::move(observer);
  }
  void Committed();
  // Signs a checkpoint of the log as it is now (inside a transaction) and
  // stores it. Returns it.
  StatusOr<v1::SignedCheckpoint> SignCheckpoint(const Ed25519Secret& key, ByteView public_key);
  // SignCheckpoint only if the log grew since `last_size` (then updated).
  StatusOr<std::optional<v1::SignedCheckpoint>> CheckpointIfGrown(const Ed25519Secret& key,
                                                                  ByteView public_key, uint64_t& last_size);
  // The latest stored checkpoint, if any.
  StatusOr<std::optional<v1::SignedCheckpoint>> LatestCheckpoint();
  StatusOr<merkle::Hash> Root();
  // Every leaf hash in a tree kept in memory from the first call on (by a
  // node that shares checkpoints), brought up to date with the table:
  // consistency proofs without rereading the log. Call outside a
  // transaction; the pointer is valid until the next Append.
  StatusOr<const merkle::Tree*> ProofTree();

  const std::string& actor() const { return actor_; }

 private:
  Database& db_;
  std::string actor_;
  std::function<int64_t()> now_ms_;
  std::optional<Statement> insert_, max_;
  std::optional<uint64_t> next_index_;
  std::optional<merkle::CompactRange> range_;  // loaded lazily from the table
  std::optional<merkle::Tree> tree_;           // loaded by the first ProofTree()
  std::function<void(const v1::AuditRecord&)> observer_;
  std::vector<v1::AuditRecord> uncommitted_;
  StatusOr<std::vector<merkle::Hash>> ReadLeaves(uint64_t from);
};

Bytes AuditLeafHash(ByteView record);

// A stored audit log read as evidence (a node's or relay's store, whose
// owner may be running): the only code besides AuditLog that knows its
// tables. Opened read-only: a missing store is NotFound, and nothing is
// written beside it.
class AuditLogReader {
 public:
  static StatusOr<AuditLogReader> Open(const std::filesystem::path& path);

  struct StoredRecord {
    uint64_t index = 0;
    Bytes record;     // the serialized AuditRecord, as hashed
    Bytes leaf_hash;  // as stored
  };
  // In index order; stops at the first error `fn` returns.
  Status ForEachRecord(const std::function<Status(const StoredRecord&)>& fn);
  struct StoredCheckpoint {
    uint64_t size = 0;
    Bytes signed_checkpoint;  // serialized SignedCheckpoint
  };
  // The log's own signed checkpoints, in size order.
  Status ForEachCheckpoint(const std::function<Status(const StoredCheckpoint&)>& fn);
  // Checkpoints of `origin` this store's owner witnessed (empty for a store
  // that witnesses nothing, e.g. a relay's).
  StatusOr<std::vector<v1::SignedCheckpoint>> Witnessed(const std::string& origin);

 private:
  explicit AuditLogReader(std::unique_ptr<Database> db) : db_(std::move(db)) {}
  std::unique_ptr<Database> db_;
};

// Signature check of a checkpoint: returns the parsed Checkpoint if the
// first signature verifies under `public_key` with the checkpoint tag.
StatusOr<v1::Checkpoint> VerifyCheckpointSignature(const v1::SignedCheckpoint& signed_checkpoint,
                                                   ByteView public_key);
v1::CheckpointSignature SignCheckpointBytes(const std::string& checkpoint, const std::string& signer,
                                            const Ed25519Secret& key, ByteView public_key);

}  // namespace hotline

#endif  // HOTLINE_AUDIT_LOG_H_
