// Group commit: many small durable writes share one SQLite transaction and
// one fsync. Writes submitted during one turn of the event loop are run in
// the next flush; callbacks run only after COMMIT returned, so nothing is
// acknowledged before it is durable (PERFORMANCE.md §4). If any write in a
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
#include <functional>
#include <optional>
#include <vector>

#include "hotline/asio.h"
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
  // Runs every pending write now (e.g. at shutdown).
  void FlushNow();
  // Called whenever a write or a whole batch is rolled back, so that caches
  // of database state (e.g. the audit log's next index) can be dropped.
  void OnRollback(std::function<void()> listener) { rollback_listeners_.push_back(std::move(listener)); }
  // Called after each transaction committed, with its duration from BEGIN
  // to the end of COMMIT (the fsync included) and its number of writes.
  using CommitListener = std::function<void(std::chrono::nanoseconds took, size_t writes)>;
  void OnCommit(CommitListener listener) { commit_listeners_.push_back(std::move(listener)); }
  size_t pending() const { return pending_.size(); }
  uint64_t batches() const { return batches_; }

 private:
  struct Op {
    Write write;
    Done done;
    int priority = 0;
  };
  void Schedule();
  bool RunBatch(std::vector<Op>& ops, std::vector<Status>& results);
  void NotifyRollback();

  asio::any_io_executor executor_;
  Database& db_;
  size_t max_batch_;
  std::vector<Op> pending_;
  std::vector<std::function<void()>> rollback_listeners_;
  std::vector<CommitListener> commit_listeners_;
  bool scheduled_ = false;
  bool lazy_armed_ = false;
  std::chrono::milliseconds lazy_delay_;
  asio::steady_timer lazy_timer_;
  uint64_t batches_ = 0;
};

}  // namespace hotline

#endif  // HOTLINE_GROUP_COMMIT_H_
