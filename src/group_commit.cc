#include "hotline/group_commit.h"

#include <algorithm>

namespace hotline {

GroupCommitter::GroupCommitter(asio::any_io_executor executor, Database& db, size_t max_batch,
                               std::chrono::milliseconds lazy_delay)
    : executor_(executor),
      db_(db),
      max_batch_(max_batch),
      lazy_delay_(lazy_delay),
      lazy_timer_(executor),
      syncer_(executor, db.log_path(), db.path(),
              [this](uint64_t ticket, const Status& st) { OnSynced(ticket, st); }) {}

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
    RunPending();
  });
}

void GroupCommitter::NotifyRollback() {
  for (auto& listener : rollback_listeners_) listener();
}

// Runs `ops` in one transaction. If every write and the commit succeed,
// returns true with `results` all ok. Otherwise rolls back and returns false.
bool GroupCommitter::RunBatch(std::vector<Op>& ops, std::vector<Status>& results) {
  results.assign(ops.size(), Status::Ok());
  Status st = db_.BeginDeferred();
  if (!st.ok()) {
    results.assign(ops.size(), st);
    return false;
  }
  bool all_ok = true;
  for (size_t i = 0; i < ops.size() && all_ok; ++i) {
    results[i] = ops[i].write();
    all_ok = results[i].ok();
  }
  if (all_ok) st = db_.CommitDeferred();
  if (!all_ok || !st.ok()) {
    (void)db_.Rollback();
    NotifyRollback();
    if (!st.ok()) results.assign(ops.size(), st);
    return false;
  }
  return true;
}

void GroupCommitter::RunPending() {
  // One batch on its way to the disk at a time: a sync flushes every page
  // committed before it, so a FLASH batch must not find routine batches
  // committed behind the one being synced. Meanwhile the loop reads,
  // verifies and sends; the writes gathered run when the sync is done,
  // the most urgent first.
  // An urgent batch goes at once and is synced on this thread: its fdatasync
  // covers the batch being synced too, and a thread hand-off on a busy
  // machine costs more than the sync itself.
  while (!pending_.empty()) {
    // The next batch: the writes of the highest pending priority, in
    // submission order, at most max_batch_ of them.
    int top = pending_.front().priority;
    for (const Op& op : pending_) top = std::max(top, op.priority);
    bool urgent = top >= urgent_priority_;
    if (!committed_.empty() && !urgent) return;  // after the sync in progress
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
    Committed c{.ticket = batches_, .dones = {}, .results = std::move(results)};
    for (Op& op : batch) c.dones.push_back(std::move(op.done));
    awaiting_sync_ += c.dones.size();
    committed_.push_back(std::move(c));
    if (!work_) work_.emplace(executor_);
    if (urgent) {
      OnSynced(batches_, syncer_.SyncNow());
    } else {
      syncer_.Request(batches_);
    }
  }
}

void GroupCommitter::OnSynced(uint64_t ticket, const Status& st) {
  while (!committed_.empty() && committed_.front().ticket <= ticket) {
    Committed c = std::move(committed_.front());
    committed_.pop_front();
    awaiting_sync_ -= c.dones.size();
    for (size_t i = 0; i < c.dones.size(); ++i) {
      // A write that succeeded is durable only if the sync was.
      if (c.dones[i]) c.dones[i](c.results[i].ok() ? st : c.results[i]);
    }
  }
  if (committed_.empty()) work_.reset();
  if (!pending_.empty()) Schedule();
}

void GroupCommitter::FlushNow() {
  // Bounded: each round commits at least one batch; callbacks may submit
  // more (e.g. an audit record), which the next round runs.
  for (;;) {
    if (!committed_.empty()) OnSynced(committed_.back().ticket, syncer_.SyncNow());
    if (pending_.empty()) return;
    RunPending();
  }
}

}  // namespace hotline
