#include "hotline/group_commit.h"

#include <algorithm>

namespace hotline {

GroupCommitter::GroupCommitter(asio::any_io_executor executor, Database& db, size_t max_batch,
                               std::chrono::milliseconds lazy_delay)
    : executor_(executor),
      db_(db),
      max_batch_(max_batch),
      lazy_delay_(lazy_delay),
      lazy_timer_(executor) {}

void GroupCommitter::SubmitLazy(Write write, Done done) {
  pending_.push_back({std::move(write), std::move(done)});
  if (scheduled_ || lazy_armed_) return;
  lazy_armed_ = true;
  lazy_timer_.expires_after(lazy_delay_);
  lazy_timer_.async_wait([this](const boost::system::error_code& ec) {
    lazy_armed_ = false;
    if (!ec && !pending_.empty()) Schedule();
  });
}

void GroupCommitter::Submit(Write write, Done done, int priority) {
  pending_.push_back({std::move(write), std::move(done), priority});
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

void GroupCommitter::NotifyRollback() {
  for (auto& listener : rollback_listeners_) listener();
}

// Runs `ops` in one transaction. If every write and the commit succeed,
// returns true with `results` all ok. Otherwise rolls back and returns false.
bool GroupCommitter::RunBatch(std::vector<Op>& ops, std::vector<Status>& results) {
  results.assign(ops.size(), Status::Ok());
  auto began = std::chrono::steady_clock::now();
  Status st = db_.Begin();
  if (!st.ok()) {
    results.assign(ops.size(), st);
    return false;
  }
  bool all_ok = true;
  for (size_t i = 0; i < ops.size() && all_ok; ++i) {
    results[i] = ops[i].write();
    all_ok = results[i].ok();
  }
  if (all_ok) st = db_.Commit();
  if (!all_ok || !st.ok()) {
    (void)db_.Rollback();
    NotifyRollback();
    if (!st.ok()) results.assign(ops.size(), st);
    return false;
  }
  auto took = std::chrono::steady_clock::now() - began;
  for (auto& listener : commit_listeners_) listener(took, ops.size());
  return true;
}

void GroupCommitter::FlushNow() {
  while (!pending_.empty()) {
    // The next batch: the writes of the highest pending priority, in
    // submission order, at most max_batch_ of them.
    int top = pending_.front().priority;
    for (const Op& op : pending_) top = std::max(top, op.priority);
    std::vector<Op> batch, rest;
    for (Op& op : pending_) {
      if (op.priority == top && batch.size() < max_batch_) {
        batch.push_back(std::move(op));
      } else {
        rest.push_back(std::move(op));
      }
    }
    pending_.swap(rest);
    std::vector<Status> results;
    // The common case: one transaction, one fsync for the whole batch. If
    // anything failed, everything was rolled back; then each write runs in a
    // transaction of its own so that one bad write fails alone. Writes must
    // therefore be re-runnable (rollback listeners restore cached state).
    if (!RunBatch(batch, results) && batch.size() > 1) {
      for (size_t i = 0; i < batch.size(); ++i) {
        std::vector<Op> one;
        one.push_back({batch[i].write, nullptr});
        std::vector<Status> r;
        RunBatch(one, r);
        results[i] = r[0];
      }
    }
    ++batches_;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].done) batch[i].done(results[i]);
    }
  }
}

}  // namespace hotline
