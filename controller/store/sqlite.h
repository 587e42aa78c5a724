#ifndef BAMCTL_CONTROLLER_STORE_SQLITE_H_
#define BAMCTL_CONTROLLER_STORE_SQLITE_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bamctl {

// Thin RAII wrappers over the SQLite C API that turn result codes into
// absl::Status with the database's own message. Not thread-safe: the Store
// serializes access.
class SqliteDb {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs one or more statements that return no rows of interest.
  absl::Status Exec(absl::string_view sql);
  sqlite3* get() const { return db_; }
  // The last error, as "what: message (code)".
  absl::Status Error(absl::string_view what) const;

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// A prepared statement. Bind parameters are 1-based as in SQLite.
class SqliteStmt {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteStmt>> Prepare(SqliteDb& db, absl::string_view sql);
  ~SqliteStmt();
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;

  SqliteStmt& Bind(int index, int64_t value);
  SqliteStmt& Bind(int index, absl::string_view text);
  SqliteStmt& BindBlob(int index, absl::string_view bytes);
  SqliteStmt& BindNull(int index);

  // Advances: true with a row, false when done, or the error.
  absl::StatusOr<bool> Step();
  // Runs to completion, ignoring rows.
  absl::Status Run();
  // Makes the statement ready to run again with new bindings.
  absl::Status Reset();

  int64_t Int(int column) const;
  std::string Text(int column) const;
  bool IsNull(int column) const;

 private:
  SqliteStmt(SqliteDb& db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqliteDb& db_;
  sqlite3_stmt* stmt_;
};

// The first column of the first row of `sql` ("PRAGMA user_version",
// "SELECT count(*) ..."); 0 or "" when there is no row.
absl::StatusOr<int64_t> QueryInt(SqliteDb& db, absl::string_view sql);
absl::StatusOr<std::string> QueryText(SqliteDb& db, absl::string_view sql);

// BEGIN IMMEDIATE in Begin (the write lock up front, so two writers never
// deadlock upgrading a read lock); ROLLBACK on destruction unless Commit()
// succeeded.
class Transaction {
 public:
  explicit Transaction(SqliteDb& db) : db_(db) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  absl::Status Begin();
  absl::Status Commit();

 private:
  SqliteDb& db_;
  bool open_ = false;
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_STORE_SQLITE_H_
