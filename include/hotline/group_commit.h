// Group commit: many small durable writes share one SQLite transaction and
// one fsync. Writes submitted during one turn of the event loop are run in
// the next flush; each write runs in its own SAVEPOINT so that one failing
// write does not undo the others; callbacks run only after COMMIT returned,
// so nothing is acknowledged before it is durable (PERFORMANCE.md §4).
//
// Thread safety: one event-loop thread (the executor's). Error contract: a
// failed write or commit is reported to that write's callback; a failed
// commit fails every write in the batch.
#ifndef HOTLINE_GROUP_COMMIT_H_
#define HOTLINE_GROUP_COMMIT_H_

#include <functional>
#include <vector>

#include "hotline/asio.h"
#include "hotline/sqlite_db.h"

namespace hotline {

class GroupCommitter {
 public:
  using Write = std::function<Status()>;
  using Done = std::function<void(const Status&)>;

  // `db` must outlive the committer.
  GroupCommitter(asio::any_io_executor executor, Database& db, size_t max_batch = 4096);

  void Submit(Write write, Done done = nullptr);
  // Runs every pending write now (e.g. at shutdown).
  void FlushNow();
  size_t pending() const { return pending_.size(); }
  uint64_t batches() const { return batches_; }

 private:
  struct Op {
    Write write;
    Done done;
  };
  void Schedule();

  asio::any_io_executor executor_;
  Database& db_;
  size_t max_batch_;
  std::vector<Op> pending_;
  bool scheduled_ = false;
  uint64_t batches_ = 0;
};

}  // namespace hotline

#endif  // HOTLINE_GROUP_COMMIT_H_
