#include "controller/store/sqlite.h"

#include "absl/strings/str_cat.h"
#include "common/status_log.h"
#include "common/status_macros.h"

namespace bamctl {

absl::StatusOr<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return absl::UnavailableError(absl::StrCat("open ", path, ": ", message));
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<SqliteDb>(new SqliteDb(db));
}

SqliteDb::~SqliteDb() { sqlite3_close_v2(db_); }

absl::Status SqliteDb::Error(absl::string_view what) const {
  const int code = sqlite3_extended_errcode(db_);
  std::string message = absl::StrCat(what, ": ", sqlite3_errmsg(db_), " (", code, ")");
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(message);
    case SQLITE_CONSTRAINT:
      return absl::FailedPreconditionError(message);
    default:
      return absl::InternalError(message);
  }
}

absl::Status SqliteDb::Exec(absl::string_view sql) {
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Error(absl::StrCat("exec \"", sql.substr(0, 60), "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SqliteStmt>> SqliteStmt::Prepare(SqliteDb& db,
                                                                absl::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return db.Error(absl::StrCat("prepare \"", sql.substr(0, 60), "\""));
  }
  return std::unique_ptr<SqliteStmt>(new SqliteStmt(db, stmt));
}

SqliteStmt::~SqliteStmt() { sqlite3_finalize(stmt_); }

SqliteStmt& SqliteStmt::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

SqliteStmt& SqliteStmt::Bind(int index, absl::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

SqliteStmt& SqliteStmt::BindBlob(int index, absl::string_view bytes) {
  sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}

SqliteStmt& SqliteStmt::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

absl::StatusOr<bool> SqliteStmt::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_.Error("step");
}

absl::Status SqliteStmt::Run() {
  while (true) {
    ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return absl::OkStatus();
  }
}

absl::Status SqliteStmt::Reset() {
  sqlite3_reset(stmt_);  // its code repeats the last Step's, already reported
  sqlite3_clear_bindings(stmt_);
  return absl::OkStatus();
}

int64_t SqliteStmt::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string SqliteStmt::Text(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  return data != nullptr ? std::string(static_cast<const char*>(data), size) : std::string();
}

bool SqliteStmt::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

absl::StatusOr<int64_t> QueryInt(SqliteDb& db, absl::string_view sql) {
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteStmt> stmt, SqliteStmt::Prepare(db, sql));
  ASSIGN_OR_RETURN(bool row, stmt->Step());
  return row ? stmt->Int(0) : 0;
}

absl::StatusOr<std::string> QueryText(SqliteDb& db, absl::string_view sql) {
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteStmt> stmt, SqliteStmt::Prepare(db, sql));
  ASSIGN_OR_RETURN(bool row, stmt->Step());
  return row ? stmt->Text(0) : std::string();
}

Transaction::~Transaction() {
  // A failed ROLLBACK leaves nothing to do: SQLite rolls the transaction
  // back itself when the connection closes or the next BEGIN fails.
  if (open_) WARN_IF_ERROR(db_.Exec("ROLLBACK"), "rolling back a transaction");
}

absl::Status Transaction::Begin() {
  RETURN_IF_ERROR(db_.Exec("BEGIN IMMEDIATE"));
  open_ = true;
  return absl::OkStatus();
}

absl::Status Transaction::Commit() {
  RETURN_IF_ERROR(db_.Exec("COMMIT"));
  open_ = false;
  return absl::OkStatus();
}

}  // namespace bamctl
