// Group commit: many small durable writes share one SQLite transaction and
// one fsync. Writes submitted during one turn of the event loop are run in
// the next flush. The COMMIT itself does not wait for the disk: a LogSyncer
// thread syncs the write-ahead log while the loop goes on, and callbacks
// run only after that sync covered their batch, so nothing is acknowledged
// before it is durable (PERFORMANCE.md §4). If any write in a
// batch fails, the batch is rolled back and each write is retried alone, so
// one failing write fails alone; writes must be re-runnable, with rollback
// listeners restoring any cached state.
//
// Thread safety: one event-loop thread (the executor's). Error contract: a
// failed write or commit is reported to that write's callback; a failed
// commit fails every write in the batch.
#ifndef HOTLINE_GROUP_COMMIT_H_
#define HOTLINE_GROUP_COMMIT_H_

#include <chrono>
#include <deque>
#include <functional>
#include <limits>
#include <optional>
#include <vector>

#include "hotline/asio.h"
#include "hotline/log_syncer.h"
#include "hotline/sqlite_db.h"

namespace hotline {

class GroupCommitter {
 public:
  using Write = std::function<Status()>;
  using Done = std::function<void(const Status&)>;

  // `db` must outlive the committer.
  GroupCommitter(asio::any_io_executor executor, Database& db, size_t max_batch = 128,
                 std::chrono::milliseconds lazy_delay = std::chrono::milliseconds(20));

  // `priority` (e.g. a v1::Precedence): pending writes of the highest
  // priority commit first, in a transaction of their own, so a FLASH write
  // never waits behind a large batch of ROUTINE ones.
  void Submit(Write write, Done done = nullptr, int priority = 0);
  // For writes nobody waits on (bookkeeping such as "delivery taken"): they
  // join the next batch, or are flushed after `lazy_delay` at the latest,
  // so they do not add an fsync to the critical path of each message.
  void SubmitLazy(Write write, Done done = nullptr);
  // Batches of this priority or above (e.g. FLASH) commit even while a
  // sync is in progress and are synced on the loop's thread at once.
  void SetUrgentPriority(int priority) { urgent_priority_ = priority; }
  // Runs every pending write now, syncs on this thread and runs every
  // callback (start-up and shutdown).
  void FlushNow();
  // Called whenever a write or a whole batch is rolled back, so that caches
  // of database state (e.g. the audit log's next index) can be dropped.
  void OnRollback(std::function<void()> listener) { rollback_listeners_.push_back(std::move(listener)); }
  // Writes not yet run, and run but not yet known durable.
  size_t pending() const { return pending_.size() + awaiting_sync_; }
  uint64_t batches() const { return batches_; }

 private:
  struct Op {
    Write write;
    Done done;
    int priority = 0;
  };
  // A committed batch waiting for the sync that makes it durable.
  struct Committed {
    uint64_t ticket;
    std::vector<Done> dones;
    std::vector<Status> results;
  };
  void Schedule();
  // Runs every pending write, each batch then waiting for its sync.
  void RunPending();
  bool RunBatch(std::vector<Op>& ops, std::vector<Status>& results);
  void NotifyRollback();
  // The sync requested with `ticket` finished with `st`.
  void OnSynced(uint64_t ticket, const Status& st);

  asio::any_io_executor executor_;
  Database& db_;
  size_t max_batch_;
  std::vector<Op> pending_;
  std::vector<std::function<void()>> rollback_listeners_;
  bool scheduled_ = false;
  bool lazy_armed_ = false;
  std::chrono::milliseconds lazy_delay_;
  asio::steady_timer lazy_timer_;
  uint64_t batches_ = 0;
  int urgent_priority_ = std::numeric_limits<int>::max();
  std::deque<Committed> committed_;
  size_t awaiting_sync_ = 0;  // writes in committed_
  // Keeps run() going while a sync is in progress on the syncer's thread.
  std::optional<asio::executor_work_guard<asio::any_io_executor>> work_;
  LogSyncer syncer_;  // last: its thread stops before the state above goes
};

}  // namespace hotline

#endif  // HOTLINE_GROUP_COMMIT_H_
