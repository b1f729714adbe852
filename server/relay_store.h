// The relay's durable store-and-forward queue in SQLite: one row per
// (recipient, item); an item is an envelope or a receipt. A row exists from
// the moment the relay acknowledged it as accepted until the recipient node
// says it has stored it.
//
// Thread safety: one thread. Error contract: Status from SQLite; writes must
// run inside a transaction (a GroupCommitter write).
#ifndef HOTLINE_SERVER_RELAY_STORE_H_
#define HOTLINE_SERVER_RELAY_STORE_H_

#include <functional>
#include <memory>
#include <optional>

#include "hotline/sqlite_db.h"
#include "hotline/v1/common.pb.h"

namespace hotline::relay {

// kExpiry: an ExpiryNotice for the envelope's sender (item_id = message id
// followed by the nation byte of the recipient whose copy expired).
enum class ItemKind : int { kEnvelope = 1, kReceipt = 2, kExpiry = 3 };

struct QueuedItem {
  int64_t id = 0;             // row id, used as the delivery id on the link
  v1::Nation recipient = v1::NATION_UNSPECIFIED;
  ItemKind kind = ItemKind::kEnvelope;
  Bytes item_id;              // message id or receipt id
  int precedence = 0;
  size_t size = 0;
  v1::Nation sender = v1::NATION_UNSPECIFIED;  // who submitted it
  int64_t accepted_at_ms = 0;                  // stored at (relay clock)
};

class RelayStore {
 public:
  static StatusOr<std::unique_ptr<RelayStore>> Open(const std::filesystem::path& path);

  Database& db() { return *db_; }

  // Inserts unless (recipient, kind, item_id) is already queued; returns the
  // queued item either way.
  StatusOr<QueuedItem> Enqueue(v1::Nation recipient, ItemKind kind, ByteView item_id,
                               v1::Nation sender, int precedence, ByteView data, int64_t now_ms);
  Status Remove(int64_t id);
  StatusOr<Bytes> LoadData(int64_t id);
  // Calls `fn` for every queued item (at start-up).
  Status ForEach(const std::function<void(const QueuedItem&)>& fn);
  // The highest id ever handed out, including items since removed.
  StatusOr<int64_t> HighestIdAssigned();

 private:
  explicit RelayStore(std::unique_ptr<Database> db) : db_(std::move(db)) {}
  std::unique_ptr<Database> db_;
  std::optional<Statement> insert_, find_, remove_, load_;
};

}  // namespace hotline::relay

#endif  // HOTLINE_SERVER_RELAY_STORE_H_
