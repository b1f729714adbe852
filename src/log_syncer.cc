#include "hotline/log_syncer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hotline {

struct LogSyncer::Shared {
  asio::any_io_executor executor;
  std::filesystem::path log, database;
  Done done;
  bool alive = true;  // executor thread only: cleared by the destructor

  std::mutex mu;  // guards the fields below
  std::condition_variable wake;
  uint64_t requested = 0;
  bool stop = false;
  int fd = -1;  // the log's descriptor; used under `sync_mu`
  std::mutex sync_mu;
};

namespace {

Status ErrnoStatus(const std::string& what, const std::filesystem::path& path) {
  return UnavailableError(what + " " + path.string() + ": " + std::strerror(errno));
}

Status SyncFolder(const std::filesystem::path& file) {
  std::filesystem::path folder = file.parent_path().empty() ? "." : file.parent_path();
  int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open folder", folder);
  int rc = ::fsync(fd);
  Status st = rc == 0 ? Status::Ok() : ErrnoStatus("cannot sync folder", folder);
  ::close(fd);
  return st;
}

}  // namespace

Status SyncStoreFile(const std::filesystem::path& log, const std::filesystem::path& database,
                     int& fd) {
  struct stat now {
  }, held{};
  bool exists = ::stat(log.c_str(), &now) == 0;
  if (fd >= 0 && (!exists || ::fstat(fd, &held) != 0 || held.st_ino != now.st_ino ||
                  held.st_dev != now.st_dev)) {
    ::close(fd);  // replaced or removed: its content was checkpointed into the store
    fd = -1;
  }
  if (!exists) {
    int db = ::open(database.c_str(), O_RDONLY | O_CLOEXEC);
    if (db < 0) return ErrnoStatus("cannot open", database);
    int rc = ::fdatasync(db);
    Status st = rc == 0 ? Status::Ok() : ErrnoStatus("cannot sync", database);
    ::close(db);
    return st;
  }
  if (fd < 0) {
    fd = ::open(log.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("cannot open", log);
    // A log created since the folder was last synced must itself be found.
    if (Status st = SyncFolder(log); !st.ok()) {
      ::close(fd);
      fd = -1;
      return st;
    }
  }
  if (::fdatasync(fd) != 0) return ErrnoStatus("cannot sync", log);
  return Status::Ok();
}

LogSyncer::LogSyncer(asio::any_io_executor executor, std::filesystem::path log,
                     std::filesystem::path database, Done done)
    : shared_(std::make_shared<Shared>()) {
  shared_->executor = executor;
  shared_->log = std::move(log);
  shared_->database = std::move(database);
  shared_->done = std::move(done);
  thread_ = std::thread([this] { Run(); });
}

LogSyncer::~LogSyncer() {
  shared_->alive = false;
  {
    std::lock_guard lock(shared_->mu);
    shared_->stop = true;
  }
  shared_->wake.notify_one();
  thread_.join();
  if (shared_->fd >= 0) ::close(shared_->fd);
}

void LogSyncer::Request(uint64_t ticket) {
  {
    std::lock_guard lock(shared_->mu);
    if (ticket <= shared_->requested) return;
    shared_->requested = ticket;
  }
  shared_->wake.notify_one();
}

Status LogSyncer::SyncNow() {
  std::lock_guard lock(shared_->sync_mu);
  return SyncStoreFile(shared_->log, shared_->database, shared_->fd);
}

void LogSyncer::Run() {
  uint64_t synced = 0;
  for (;;) {
    uint64_t ticket;
    {
      std::unique_lock lock(shared_->mu);
      shared_->wake.wait(lock, [&] { return shared_->stop || shared_->requested > synced; });
      if (shared_->stop) return;
      ticket = shared_->requested;
    }
    Status st;
    {
      std::lock_guard lock(shared_->sync_mu);
      st = SyncStoreFile(shared_->log, shared_->database, shared_->fd);
    }
    synced = ticket;
    asio::post(shared_->executor, [shared = shared_, ticket, st] {
      if (shared->alive) shared->done(ticket, st);
    });
  }
}

}  // namespace hotline
