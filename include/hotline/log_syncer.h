// Makes committed transactions durable off the event loop.
//
// A SQLite commit in WAL mode with synchronous=NORMAL appends the
// transaction to the write-ahead log without waiting for the disk; it then
// survives a crash of the process but not of the machine. fdatasync of the
// log makes it, and every commit before it, durable: on open SQLite replays
// the log's longest valid prefix of commits. LogSyncer runs that fdatasync
// on a thread of its own, so the event loop goes on reading, verifying and
// sending while the disk works; requests made during one sync share the
// next one (PERFORMANCE.md §4: nothing is acknowledged before it is durable
// — the caller acknowledges only in `done`).
//
// Thread safety: Request and SyncNow on the executor's thread; `done` runs
// there too. Error contract: a failed sync is reported to `done` for every
// ticket it covered; later requests try again.
#ifndef HOTLINE_LOG_SYNCER_H_
#define HOTLINE_LOG_SYNCER_H_

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "hotline/asio.h"
#include "hotline/status.h"

namespace hotline {

class LogSyncer {
 public:
  // Called on the executor once everything committed before `ticket` was
  // requested is durable (or the sync failed).
  using Done = std::function<void(uint64_t ticket, const Status& st)>;

  // `log` is the write-ahead log; when it does not exist, `database` (the
  // store itself) is synced instead.
  LogSyncer(asio::any_io_executor executor, std::filesystem::path log,
            std::filesystem::path database, Done done);
  ~LogSyncer();  // waits for a sync in progress; no `done` runs after it
  LogSyncer(const LogSyncer&) = delete;
  LogSyncer& operator=(const LogSyncer&) = delete;

  // Everything committed so far must become durable; tickets increase.
  void Request(uint64_t ticket);
  // Syncs on the calling thread and returns (start-up and shutdown).
  Status SyncNow();

 private:
  struct Shared;
  void Run();

  std::shared_ptr<Shared> shared_;
  std::thread thread_;
};

// fdatasync of `log` (or of `database` when there is no log), reopening
// `fd` when the file was replaced. `fd` is the caller's cached descriptor
// (-1 at first); the folder is synced when the log is first opened.
Status SyncStoreFile(const std::filesystem::path& log, const std::filesystem::path& database,
                     int& fd);

}  // namespace hotline

#endif  // HOTLINE_LOG_SYNCER_H_
