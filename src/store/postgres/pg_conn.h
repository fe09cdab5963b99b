// One libpq connection, with results that free themselves and failures mapped to Status.
//
// The only place that calls libpq. Every failure carries the SQLSTATE and what was being
// done ("merging sp-traffic: sqlstate=22003 bigint out of range"), its Code chosen by
// pg_error.h. A connection that broke is re-established by EnsureConnected.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace amstream::store::postgres {

// The result of a query, freed when it goes out of scope. Values are text.
class PgResult {
 public:
  // Takes ownership of `result` (may be null).
  explicit PgResult(PGresult* result) : result_(result, &PQclear) {}

  // Number of rows.
  int rows() const { return PQntuples(result_.get()); }
  // The text of a field; empty for NULL.
  std::string_view Get(int row, int column) const;
  // Whether a field is NULL.
  bool IsNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  // A field read as a 64-bit integer; kInternal if it is not one.
  Result<int64_t> GetInt64(int row, int column) const;
  // How the command ended; PGRES_FATAL_ERROR when libpq returned no result at all.
  ExecStatusType status() const {
    return result_ ? PQresultStatus(result_.get()) : PGRES_FATAL_ERROR;
  }
  // The underlying result, still owned by this object.
  PGresult* get() const { return result_.get(); }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> result_;
};

// Optional text parameters of a query ($1, $2, ...); nullopt is SQL NULL.
using PgParams = std::vector<std::optional<std::string>>;

// A blocking connection. Not thread-safe: the store serializes its use.
class PgConnection {
 public:
  // Connects with `conninfo` (a postgresql:// URL or "key=value" pairs), defaulting
  // application_name to amstream. Fails with kConfig if `conninfo` is malformed, else
  // as CodeForConnectFailure says.
  static Result<std::unique_ptr<PgConnection>> Connect(std::string_view conninfo);

  // Closes the connection.
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Makes sure the connection is usable, reconnecting if it broke. Sets `*reconnected`
  // when it had to, so that per-session state can be recreated. kUnavailable if the
  // server still cannot be reached.
  Status EnsureConnected(bool* reconnected);

  // Runs one or more statements that return no rows.
  Status Exec(const char* sql, std::string_view doing);

  // Runs one statement with text parameters and returns its rows.
  Result<PgResult> Query(const char* sql, const PgParams& params, std::string_view doing);

  // Runs `copy_sql` (COPY ... FROM STDIN) and sends `data` in text format.
  Status CopyIn(const char* copy_sql, std::string_view data, std::string_view doing);

  // Commits the open transaction. A connection lost on the way is kUnknownOutcome.
  Status Commit();

  // Rolls back the open transaction, if any; failures only mean the connection broke,
  // which the next EnsureConnected repairs.
  void Rollback();

 private:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}

  // The Status for a failed `result` (may be null), while `doing` something.
  Status Failure(const PGresult* result, std::string_view doing, bool committing) const;

  PGconn* conn_;
};

}  // namespace amstream::store::postgres
