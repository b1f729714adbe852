// A small RAII wrapper over SQLite for durable state: WAL journal,
// synchronous=FULL (a commit is on disk when Commit() returns), prepared
// statements, and explicit transactions.
//
// Thread safety: a Database and its Statements belong to one thread.
// Error contract: every fallible call returns Status; SQLITE_FULL and
// SQLITE_IOERR map to kResourceExhausted / kUnavailable so callers can
// refuse explicitly (disk full) instead of acknowledging.
#ifndef HOTLINE_SQLITE_DB_H_
#define HOTLINE_SQLITE_DB_H_

#include <google/protobuf/message_lite.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "hotline/bytes.h"

struct sqlite3;
struct sqlite3_stmt;

namespace hotline {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Bind by 1-based index. Returns *this for chaining.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, ByteView blob);
  Statement& BindText(int index, std::string_view text);
  Statement& BindNull(int index);

  // Steps once: true when a row is available, false when done.
  StatusOr<bool> Step();
  // Steps to completion (for INSERT/UPDATE/DELETE) and resets.
  Status Run();
  void Reset();

  int64_t ColumnInt(int col) const;
  Bytes ColumnBlob(int col) const;
  std::string ColumnText(int col) const;
  bool ColumnIsNull(int col) const;
  // A column holding a serialized protobuf: one that does not parse is
  // corruption (DataLoss naming `what`), never an empty message.
  Status ColumnMessage(int col, google::protobuf::MessageLite& out, std::string_view what) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Database {
 public:
  // Opens (creating if needed) with WAL and synchronous=FULL, then runs `schema`.
  static StatusOr<std::unique_ptr<Database>> Open(const std::filesystem::path& path,
                                                  std::string_view schema);
  // Opens an existing store to read it as evidence: a missing file is
  // NotFound (never a new empty database), and nothing is written next to
  // it — no -wal or -shm file is created unless its owner is running.
  static StatusOr<std::unique_ptr<Database>> OpenReadOnly(const std::filesystem::path& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Status Exec(std::string_view sql);
  StatusOr<Statement> Prepare(std::string_view sql);
  // A statement prepared once and kept for this Database's lifetime (for
  // the statements a store runs on every message); Run() or Reset() it
  // after each use.
  StatusOr<Statement*> Cached(std::string_view sql);
  // Runs `fn` on each row of `sql`; stops at the first error.
  Status ForEachRow(std::string_view sql, const std::function<Status(Statement&)>& fn);
  int64_t LastInsertRowId() const;
  int Changes() const;

  Status Begin();   // BEGIN IMMEDIATE
  Status Commit();  // durable on return
  Status Rollback();
  bool in_transaction() const;

  sqlite3* raw() { return db_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  // sqlite3_open_v2(name, flags) with the busy timeout; errors name `path`.
  static StatusOr<std::unique_ptr<Database>> Connect(const std::string& name,
                                                     const std::filesystem::path& path, int flags);
  sqlite3* db_;
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> cached_;
};

// Maps the last SQLite error on `db` to a Status with `what` as context.
Status SqliteError(sqlite3* db, std::string_view what);

}  // namespace hotline

#endif  // HOTLINE_SQLITE_DB_H_
