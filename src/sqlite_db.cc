#include "hotline/sqlite_db.h"

#include <sqlite3.h>

namespace hotline {

Status SqliteError(sqlite3* db, std::string_view what) {
  int code = sqlite3_extended_errcode(db);
  std::string msg = std::string(what) + ": " + sqlite3_errmsg(db);
  switch (code & 0xff) {
    case SQLITE_FULL: return ResourceExhaustedError(msg + " (disk full)");
    case SQLITE_IOERR: return UnavailableError(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return DataLossError(msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return UnavailableError(msg + " (database busy: is another process using it?)");
    case SQLITE_CONSTRAINT: return AlreadyExistsError(msg);
    default: return InternalError(msg);
  }
}

Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, ByteView blob) {
  sqlite3_bind_blob64(stmt_, index, blob.data(), blob.size(), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::BindText(int index, std::string_view text) {
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

StatusOr<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status st = SqliteError(db_, "sqlite step");
  sqlite3_reset(stmt_);
  return st;
}

Status Statement::Run() {
  auto r = Step();
  Reset();
  return r.ok() ? Status::Ok() : r.status();
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::ColumnInt(int col) const { return sqlite3_column_int64(stmt_, col); }

Bytes Statement::ColumnBlob(int col) const {
  const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, col));
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? Bytes(p, p + n) : Bytes();
}

std::string Statement::ColumnText(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

bool Statement::ColumnIsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

Status Statement::ColumnMessage(int col, google::protobuf::MessageLite& out,
                                std::string_view what) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  if (!out.ParseFromArray(p, n))
    return DataLossError("a stored " + std::string(what) + " does not parse");
  return Status::Ok();
}

StatusOr<Statement*> Database::Cached(std::string_view sql) {
  auto it = cached_.find(sql);
  if (it != cached_.end()) return it->second.get();
  HOTLINE_ASSIGN_OR_RETURN(Statement s, Prepare(sql));
  auto owned = std::make_unique<Statement>(std::move(s));
  Statement* raw = owned.get();
  cached_.emplace(std::string(sql), std::move(owned));
  return raw;
}

Status Database::ForEachRow(std::string_view sql, const std::function<Status(Statement&)>& fn) {
  HOTLINE_ASSIGN_OR_RETURN(Statement s, Prepare(sql));
  for (;;) {
    HOTLINE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::Ok();
    HOTLINE_RETURN_IF_ERROR(fn(s));
  }
}

StatusOr<std::unique_ptr<Database>> Database::Connect(const std::string& name,
                                                      const std::filesystem::path& path, int flags) {
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(name.c_str(), &raw, flags, nullptr) != SQLITE_OK) {
    Status st = raw ? SqliteError(raw, "cannot open " + path.string())
                    : ResourceExhaustedError("cannot open " + path.string());
    sqlite3_close(raw);
    return st;
  }
  sqlite3_busy_timeout(raw, 2000);
  return std::unique_ptr<Database>(new Database(raw));
}

StatusOr<std::unique_ptr<Database>> Database::Open(const std::filesystem::path& path,
                                                   std::string_view schema) {
  HOTLINE_ASSIGN_OR_RETURN(
      auto db, Connect(path.string(), path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX));
  HOTLINE_RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode=WAL"));
  HOTLINE_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=FULL"));
  HOTLINE_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys=ON"));
  if (!schema.empty()) HOTLINE_RETURN_IF_ERROR(db->Exec(schema));
  return db;
}

StatusOr<std::unique_ptr<Database>> Database::OpenReadOnly(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return NotFoundError("no store at " + path.string());
  // A store whose owner is running has its -wal file: read it as it is.
  // Otherwise the store is complete on its own; `immutable` lets SQLite
  // read it without creating the -wal and -shm files of WAL mode.
  bool live = std::filesystem::exists(path.string() + "-wal", ec);
  std::string uri = "file:" + path.string() + (live ? "?mode=ro" : "?mode=ro&immutable=1");
  return Connect(uri, path, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX);
}

Database::~Database() {
  cached_.clear();  // finalized before the connection closes
  sqlite3_close_v2(db_);
}

Status Database::Exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    Status st = SqliteError(db_, "sqlite exec");
    sqlite3_free(err);
    return st;
  }
  return Status::Ok();
}

StatusOr<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr) != SQLITE_OK) {
    return SqliteError(db_, "sqlite prepare");
  }
  return Statement(db_, stmt);
}

int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
int Database::Changes() const { return sqlite3_changes(db_); }

Status Database::Begin() { return Exec("BEGIN IMMEDIATE"); }
Status Database::Commit() { return Exec("COMMIT"); }
Status Database::Rollback() {
  if (!in_transaction()) return Status::Ok();
  return Exec("ROLLBACK");
}
bool Database::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

}  // namespace hotline
