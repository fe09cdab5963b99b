#include "store/sqlite/sqlite_db.h"

#include <fmt/format.h>

namespace amstream::store::sqlite {
namespace {

// How long a writer waits for another process's transaction before failing.
constexpr int kBusyTimeoutMs = 5000;

}  // namespace

Code CodeForSqliteError(int code) {
  switch (code & 0xff) {
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      return Code::kInvalid;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
      return Code::kUnavailable;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Code::kPermissionDenied;
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
      return Code::kConfig;
    default:
      return Code::kInternal;
  }
}

Statement& Statement::Bind(int index, std::string_view text) {
  int rc =
      sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) {
    bind_error_ = rc;
  }
  return *this;
}

Statement& Statement::Bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_.get(), index, value);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) {
    bind_error_ = rc;
  }
  return *this;
}

Result<bool> Statement::Step(std::string_view doing) {
  int rc = bind_error_;
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(stmt_.get());
  }
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  bind_error_ = SQLITE_OK;
  sqlite3_reset(stmt_.get());
  return Status(CodeForSqliteError(rc),
                fmt::format("{}: {} ({})", doing, sqlite3_errmsg(db_), sqlite3_errstr(rc)));
}

Status Statement::Run(std::string_view doing) {
  Result<bool> row = Step(doing);
  while (row.ok() && *row) {
    row = Step(doing);
  }
  sqlite3_reset(stmt_.get());
  return row.ok() ? Status::Ok() : row.status();
}

std::string_view Statement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_.get(), column);
  if (text == nullptr) {
    return {};
  }
  return {reinterpret_cast<const char*>(text),
          static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), column))};
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<Database> database(new Database(db));
  if (rc != SQLITE_OK) {
    return Status(Code::kConfig, fmt::format("opening SQLite database {}: {}", path,
                                             db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  // WAL lets readers (the report, the sqlite3 CLI) run beside the writer. FULL syncs the
  // log at every commit: `run` deletes a message from SQS as soon as its transaction
  // commits, so a commit that a power loss could still take back would lose numbers.
  // With large batches this is one fsync per thousands of records. A batch of random
  // idempotency ids dirties most pages, so the default checkpoint (every 1,000 pages)
  // copied nearly the whole file back after each commit; 8,192 pages (32 MiB of log)
  // lets a checkpoint carry several commits' versions of a page at once.
  Status configured = database->Exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;"
      " PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=8192",
      "configuring SQLite");
  if (!configured.ok()) {
    return Status(configured.code() == Code::kInternal ? Code::kConfig : configured.code(),
                  fmt::format("{} ({})", configured.message(), path));
  }
  return database;
}

Status Database::Exec(const char* sql, std::string_view doing) {
  char* error = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
  if (rc == SQLITE_OK) {
    return Status::Ok();
  }
  std::string message = error != nullptr ? error : sqlite3_errstr(rc);
  sqlite3_free(error);
  return Status(CodeForSqliteError(rc), fmt::format("{}: {}", doing, message));
}

Result<Statement> Database::Prepare(std::string_view sql, std::string_view doing) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return Error(rc, doing);
  }
  return Statement(db_, stmt);
}

void Database::Rollback() {
  if (sqlite3_get_autocommit(db_) == 0) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

Status Database::Error(int code, std::string_view doing) const {
  return Status(CodeForSqliteError(code),
                fmt::format("{}: {} ({})", doing, sqlite3_errmsg(db_), sqlite3_errstr(code)));
}

}  // namespace amstream::store::sqlite
