#include "hotline/group_commit.h"

namespace hotline {

GroupCommitter::GroupCommitter(asio::any_io_executor executor, Database& db, size_t max_batch)
    : executor_(std::move(executor)), db_(db), max_batch_(max_batch) {}

void GroupCommitter::Submit(Write write, Done done) {
  pending_.push_back({std::move(write), std::move(done)});
  Schedule();
}

void GroupCommitter::Schedule() {
  if (scheduled_) return;
  scheduled_ = true;
  asio::post(executor_, [this] {
    scheduled_ = false;
    FlushNow();
  });
}

void GroupCommitter::FlushNow() {
  while (!pending_.empty()) {
    std::vector<Op> batch;
    if (pending_.size() <= max_batch_) {
      batch.swap(pending_);
    } else {
      auto split = pending_.begin() + static_cast<std::ptrdiff_t>(max_batch_);
      batch.assign(std::make_move_iterator(pending_.begin()), std::make_move_iterator(split));
      pending_.erase(pending_.begin(), split);
    }
    std::vector<Status> results(batch.size());
    Status begin = db_.Begin();
    if (begin.ok()) {
      for (size_t i = 0; i < batch.size(); ++i) {
        Status sp = db_.Exec("SAVEPOINT op");
        if (!sp.ok()) {
          results[i] = sp;
          continue;
        }
        results[i] = batch[i].write();
        if (results[i].ok()) {
          results[i] = db_.Exec("RELEASE op");
        } else {
          (void)db_.Exec("ROLLBACK TO op");
          (void)db_.Exec("RELEASE op");
        }
      }
      Status commit = db_.Commit();
      if (!commit.ok()) {
        (void)db_.Rollback();
        for (auto& r : results) r = commit;
      }
    } else {
      for (auto& r : results) r = begin;
    }
    ++batches_;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].done) batch[i].done(results[i]);
    }
  }
}

}  // namespace hotline
