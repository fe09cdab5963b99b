// One SQLite connection and its prepared statements, with failures mapped to Status.
//
// The only place, with the rest of this folder, that calls SQLite. Statements bind text
// without copying it: the bound strings must outlive the next Step or Run.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace amstream::store::sqlite {

// The Code for a SQLite result code (primary or extended): constraint and type errors
// are kInvalid; busy, locked, full disk and I/O errors kUnavailable; read-only and
// permission errors kPermissionDenied; a file that cannot be opened or is no database
// kConfig; anything else kInternal.
Code CodeForSqliteError(int code);

// A prepared statement, finalized when destroyed. Not thread-safe.
class Statement {
 public:
  // Takes ownership of `stmt`; `db` is used for error messages.
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt, &sqlite3_finalize) {}

  // Binds parameter `index` (from 1) to text that must outlive the next Step or Run.
  Statement& Bind(int index, std::string_view text);
  // Binds parameter `index` to an integer.
  Statement& Bind(int index, int64_t value);

  // Advances one row: true when a row is ready, false when the statement is done.
  Result<bool> Step(std::string_view doing);
  // Runs the statement to its end and resets it for the next use.
  Status Run(std::string_view doing);
  // Resets the statement so that it can run again (bindings are kept).
  void Reset() { sqlite3_reset(stmt_.get()); }

  // Column `column` of the current row as an integer.
  int64_t ColumnInt64(int column) const { return sqlite3_column_int64(stmt_.get(), column); }
  // Column `column` of the current row as text (empty for NULL); valid until the next Step.
  std::string_view ColumnText(int column) const;

 private:
  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt_;
  int bind_error_ = SQLITE_OK;  // the first failed bind, reported by the next Step
};

// A connection to one database file. Not thread-safe: the store serializes its use.
class Database {
 public:
  // Opens or creates the file at `path` in WAL mode with synchronous=NORMAL and a busy
  // timeout. kConfig if it cannot be opened or is not a database.
  static Result<std::unique_ptr<Database>> Open(const std::string& path);

  // Closes the connection.
  ~Database() { sqlite3_close_v2(db_); }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements that return no rows.
  Status Exec(const char* sql, std::string_view doing);
  // Prepares `sql` for repeated use.
  Result<Statement> Prepare(std::string_view sql, std::string_view doing);
  // Rows changed by the most recent INSERT, UPDATE or DELETE.
  int64_t Changes() const { return sqlite3_changes64(db_); }
  // Rolls back the open transaction, if any.
  void Rollback();
  // The Status for result `code` while `doing` something, with SQLite's message.
  Status Error(int code, std::string_view doing) const;

 private:
  explicit Database(sqlite3* db) : db_(db) {}

  sqlite3* db_;
};

}  // namespace amstream::store::sqlite
