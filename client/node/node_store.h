// A national node's durable state in SQLite: outbox with per-recipient
// tier times, inbox, outgoing receipts, per-channel sequence numbers, and
// the audit log. Tables are documented in docs/AUDIT.md for auditors.
//
// Thread safety: one thread. Error contract: Status from SQLite; writes run
// inside GroupCommitter transactions.
#ifndef HOTLINE_CLIENT_NODE_NODE_STORE_H_
#define HOTLINE_CLIENT_NODE_NODE_STORE_H_

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "hotline/sqlite_db.h"
#include "hotline/v1/audit.pb.h"
#include "hotline/v1/control.pb.h"
#include "hotline/v1/envelope.pb.h"
#include "hotline/v1/receipt.pb.h"
#include "node/stream_keys.h"

namespace hotline::node {

struct OutboxRow {
  Bytes message_id;
  v1::EnvelopeHeader header;
  Bytes envelope;
  Bytes digest;
  std::string summary;
};

struct InboxRow {
  v1::InboxEntry entry;
  Bytes digest;
  bool acknowledged = false;
};

// The inbox row's `released` column.
enum class InboxRelease { kHeld = 0, kReleased = 1, kShownEarly = 2 };

struct PendingReceipt {
  Bytes receipt_id;
  v1::Nation to = v1::NATION_UNSPECIFIED;
  Bytes receipt;
  v1::Precedence precedence = v1::PRECEDENCE_FLASH;  // of the message it answers
};

class NodeStore {
 public:
  static StatusOr<std::unique_ptr<NodeStore>> Open(const std::filesystem::path& path);
  Database& db() { return *db_; }

  // --- writes (inside a transaction) ---
  Status InsertOutbox(const OutboxRow& row, int64_t now_ms);
  Status SetNextSequence(SequenceKey key, uint64_t next);
  // Tier times: only the first value of each is kept.
  Status MarkAccepted(ByteView message_id, int64_t at_ms, const std::string& relay);
  // Record a verified receipt once: false (and nothing written) when that
  // recipient's receipt of this kind is already recorded.
  StatusOr<bool> MarkDelivered(ByteView message_id, v1::Nation recipient, int64_t at_ms,
                               ByteView receipt);
  StatusOr<bool> MarkAcknowledged(ByteView message_id, v1::Nation recipient, int64_t at_ms,
                                  ByteView receipt, ByteView reply_id);
  Status MarkDone(ByteView message_id);
  // Stored but not yet released to the operator (released = 0) until the
  // messages before it in its (sender, channel) stream have been.
  Status InsertInbox(const v1::EnvelopeHeader& header, const v1::Body& body, ByteView digest,
                     int64_t received_at_ms);
  Status SetInboxRelease(ByteView message_id, InboxRelease state);
  Status SetStreamNext(v1::Nation sender, v1::Channel channel, uint64_t next);
  Status MarkInboxAcknowledged(ByteView message_id, int64_t at_ms);
  Status InsertReceipt(const PendingReceipt& r, ByteView message_id, int kind);
  Status MarkReceiptAccepted(ByteView receipt_id, int64_t at_ms);
  Status MarkOverdue(ByteView message_id, v1::Nation recipient);
  // A relay expired the copy for `recipient`: no longer re-sent or awaited.
  // False (nothing written) if already recorded.
  StatusOr<bool> MarkExpired(ByteView message_id, v1::Nation recipient, int64_t at_ms,
                             const std::string& relay);
  Status SaveConsultation(const v1::ConsultationStatus& status);

  // --- reads ---
  StatusOr<std::map<SequenceKey, uint64_t>> LoadSequences();
  // Outbox messages some recipient has not yet receipted.
  Status ForEachOutstanding(const std::function<void(OutboxRow&&, std::vector<v1::Nation>)>& fn);
  Status ForEachUnacceptedReceipt(const std::function<void(PendingReceipt&&)>& fn);
  // Sent messages some recipient has not acknowledged: (header, recipient, delivered?).
  Status ForEachUnacknowledgedSent(
      const std::function<void(const v1::EnvelopeHeader&, v1::Nation, bool)>& fn);
  // Received messages this node's operator has not acknowledged.
  Status ForEachUnacknowledgedInbox(
      const std::function<void(const v1::EnvelopeHeader&, int64_t received_at_ms)>& fn);
  // Per (sender, channel): the next sequence to release.
  StatusOr<std::map<StreamKey, uint64_t>> LoadStreams();
  // Witnessing: the last checkpoint of each other log we counter-signed,
  // and the last size of our log each other nation was sent.
  Status SaveWitnessed(const std::string& origin, uint64_t size, ByteView countersigned);
  Status ForEachWitnessed(const std::function<void(const v1::SignedCheckpoint&)>& fn);
  Status SetWitnessSent(v1::Nation witness, uint64_t size);
  StatusOr<std::map<v1::Nation, uint64_t>> LoadWitnessSent();
  // Stored, unreleased inbox messages (header, body, digest).
  // Inbox rows its stream has not yet passed: held, or shown ahead of a gap.
  Status ForEachHeld(const std::function<void(v1::EnvelopeHeader, v1::Body, Bytes, bool shown_early,
                                              int64_t received_at_ms)>& fn);
  Status ForEachConsultation(const std::function<void(const v1::ConsultationStatus&)>& fn);

  // Epoch keys (node_store_epochs.cc, PROTOCOL.md §4 "Forward secrecy").
  struct EpochKeyRow {
    uint64_t epoch = 0;
    Bytes secret;
    std::string signed_key;
    int64_t not_before_ms = 0;
    int64_t not_after_ms = 0;
  };
  Status SaveEpochKey(const EpochKeyRow& row);
  Status ForEachEpochKey(const std::function<void(EpochKeyRow&&)>& fn);
  // Empties a row's secret column (kept there by stores from before the
  // epoch secret file); overwritten in place (secure_delete).
  Status ClearEpochSecret(uint64_t epoch);
  // Deletes it: overwritten in the database (secure_delete); the
  // write-ahead log still holds it until TruncateWal.
  Status DestroyEpochKey(uint64_t epoch);
  // Checkpoints the write-ahead log into the database and truncates it
  // (outside a transaction); false if a reader kept it from finishing.
  StatusOr<bool> TruncateWal();
  Status SavePeerEpochKey(v1::Nation nation, const std::string& signed_key);
  Status ForEachPeerEpochKey(const std::function<void(v1::Nation, const std::string&)>& fn);
  // At-rest retention (PROTOCOL.md §4 "At rest"): removes, from messages
  // older than `cutoff_ms`, the body of each received one that is
  // acknowledged and the summary and sealed envelope of each sent one that
  // every recipient has receipted. Returns how many messages it touched.
  StatusOr<int> ForgetBodiesBefore(int64_t cutoff_ms);
  // Messages sent to, or received from, `peer` under a long-term key.
  Status MarkWithoutForwardSecrecy(ByteView message_id, v1::Nation peer);
  StatusOr<std::vector<v1::Nation>> WithoutForwardSecrecy(ByteView message_id);
  StatusOr<std::optional<OutboxRow>> FindOutbox(ByteView message_id);
  StatusOr<bool> InboxHas(ByteView message_id);
  StatusOr<std::optional<Bytes>> FindReceipt(ByteView message_id, int kind);
  // Resolves a hex id or unique prefix (>= 4 hex digits) in inbox or outbox.
  StatusOr<Bytes> ResolveId(std::string_view hex_prefix, bool inbox);
  StatusOr<std::optional<InboxRow>> GetInbox(ByteView message_id);
  StatusOr<std::vector<InboxRow>> ListInbox(uint32_t limit, bool unacknowledged_only);
  StatusOr<v1::MessageStatus> GetStatus(ByteView message_id);
  StatusOr<std::vector<Bytes>> RecentOutbox(uint32_t limit);

 private:
  explicit NodeStore(std::unique_ptr<Database> db) : db_(std::move(db)) {}

  std::unique_ptr<Database> db_;
};

// Human text for a body, for lists and logs: "[FLASH MISSILE WARNING — EXERCISE] ...".
std::string SummarizeBody(const v1::Body& body);

}  // namespace hotline::node

#endif  // HOTLINE_CLIENT_NODE_NODE_STORE_H_
