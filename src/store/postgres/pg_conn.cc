#include "store/postgres/pg_conn.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "common/log.h"
#include "store/postgres/pg_error.h"

namespace amstream::store::postgres {
namespace {

// libpq messages end with a newline and may span lines; logs want one line.
std::string OneLine(const char* text) {
  std::string line = text != nullptr ? text : "";
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) {
    line.pop_back();
  }
  std::replace(line.begin(), line.end(), '\n', ' ');
  return line;
}

// Server notices ("relation already exists, skipping") go to the debug log instead of
// libpq's default, standard error.
void LogNotice(void* /*arg*/, const char* message) {
  log::Debug("store", "PostgreSQL notice", {{"notice", OneLine(message)}});
}

// Pieces of the COPY data per PQputCopyData call; libpq takes an int length.
constexpr size_t kCopyChunkBytes = size_t{1} << 20;

}  // namespace

std::string_view PgResult::Get(int row, int column) const {
  const char* value = PQgetvalue(result_.get(), row, column);
  return {value, static_cast<size_t>(PQgetlength(result_.get(), row, column))};
}

Result<int64_t> PgResult::GetInt64(int row, int column) const {
  std::string_view text = Get(row, column);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return InternalError(fmt::format("expected an integer from PostgreSQL, got '{:.40}'", text));
  }
  return value;
}

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(std::string_view conninfo) {
  std::string info(conninfo);
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(info.c_str(), &parse_error);
  if (options == nullptr) {
    std::string message = parse_error != nullptr ? OneLine(parse_error) : "out of memory";
    PQfreemem(parse_error);
    return ConfigError("invalid PostgreSQL connection string: " + message);
  }
  PQconninfoFree(options);

  // Keywords are applied in order, so `dbname` (the caller's string, expanded) comes last
  // and overrides these defaults.
  std::vector<const char*> keys = {"fallback_application_name"};
  std::vector<const char*> values = {"amstream"};
  if (std::getenv("PGCONNECT_TIMEOUT") == nullptr) {
    keys.push_back("connect_timeout");
    values.push_back("10");
  }
  // Without keepalives a connection whose server vanished (a failover, a dropped route)
  // blocks a query for the kernel's retransmission timeout, about 15 minutes; with them
  // the writer sees the failure within a minute and reconnects.
  for (const auto& [key, value] :
       {std::pair{"keepalives", "1"}, std::pair{"keepalives_idle", "30"},
        std::pair{"keepalives_interval", "10"}, std::pair{"keepalives_count", "3"}}) {
    keys.push_back(key);
    values.push_back(value);
  }
  keys.push_back("dbname");
  values.push_back(info.c_str());
  keys.push_back(nullptr);
  values.push_back(nullptr);

  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr) {
    return UnavailableError("connecting to PostgreSQL: out of memory");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = OneLine(PQerrorMessage(conn));
    PQfinish(conn);
    return Status(CodeForConnectFailure(message), "connecting to PostgreSQL: " + message);
  }
  PQsetNoticeProcessor(conn, &LogNotice, nullptr);
  log::Info("store", "connected to PostgreSQL",
            {{"host", PQhost(conn)},
             {"port", PQport(conn)},
             {"dbname", PQdb(conn)},
             {"server_version", PQserverVersion(conn)}});
  return std::unique_ptr<PgConnection>(new PgConnection(conn));
}

PgConnection::~PgConnection() { PQfinish(conn_); }

Status PgConnection::EnsureConnected(bool* reconnected) {
  *reconnected = false;
  if (PQstatus(conn_) == CONNECTION_OK) {
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) {
      Rollback();
    }
    if (PQstatus(conn_) == CONNECTION_OK) {
      return Status::Ok();
    }
  }
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    return UnavailableError("reconnecting to PostgreSQL: " + OneLine(PQerrorMessage(conn_)));
  }
  *reconnected = true;
  return Status::Ok();
}

Status PgConnection::Failure(const PGresult* result, std::string_view doing,
                             bool committing) const {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string sqlstate = state != nullptr ? state : "";
  std::string message = OneLine(primary != nullptr ? primary : PQerrorMessage(conn_));

  Code code = Code::kInternal;
  if (committing && CommitOutcomeUnknown(sqlstate)) {
    code = Code::kUnknownOutcome;
  } else if (sqlstate.empty()) {
    code = PQstatus(conn_) != CONNECTION_OK ? Code::kUnavailable : Code::kInternal;
  } else {
    code = CodeForSqlState(sqlstate);
  }
  return Status(code, fmt::format("{}: sqlstate={} {}", doing, sqlstate.empty() ? "none" : sqlstate,
                                  message));
}

Status PgConnection::Exec(const char* sql, std::string_view doing) {
  PgResult result(PQexec(conn_, sql));
  ExecStatusType status = result.status();
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return Failure(result.get(), doing, false);
  }
  return Status::Ok();
}

Result<PgResult> PgConnection::Query(const char* sql, const PgParams& params,
                                     std::string_view doing) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::optional<std::string>& param : params) {
    values.push_back(param.has_value() ? param->c_str() : nullptr);
  }
  PgResult result(PQexecParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(),
                               nullptr, nullptr, /*resultFormat=*/0));
  ExecStatusType status = result.status();
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return Failure(result.get(), doing, false);
  }
  return result;
}

Status PgConnection::CopyIn(const char* copy_sql, std::string_view data, std::string_view doing) {
  {
    PgResult start(PQexec(conn_, copy_sql));
    if (start.status() != PGRES_COPY_IN) {
      return Failure(start.get(), doing, false);
    }
  }
  bool sent = true;
  for (size_t offset = 0; sent && offset < data.size(); offset += kCopyChunkBytes) {
    size_t length = std::min(kCopyChunkBytes, data.size() - offset);
    sent = PQputCopyData(conn_, data.data() + offset, static_cast<int>(length)) == 1;
  }
  sent = PQputCopyEnd(conn_, sent ? nullptr : "amstream could not send the rows") == 1 && sent;

  PgResult end(PQgetResult(conn_));
  Status status = Status::Ok();
  if (end.status() != PGRES_COMMAND_OK) {
    status = Failure(end.get(), doing, false);
  } else if (!sent) {
    status = UnavailableError(
        fmt::format("{}: sending COPY data: {}", doing, OneLine(PQerrorMessage(conn_))));
  }
  while (PGresult* extra = PQgetResult(conn_)) {
    PQclear(extra);
  }
  return status;
}

Status PgConnection::Commit() {
  PgResult result(PQexec(conn_, "COMMIT"));
  if (result.status() != PGRES_COMMAND_OK) {
    return Failure(result.get(), "committing", true);
  }
  // COMMIT of a transaction that had failed answers ROLLBACK instead of an error.
  if (std::string_view(PQcmdStatus(result.get())) != "COMMIT") {
    return InternalError("committing: the transaction had failed and was rolled back");
  }
  return Status::Ok();
}

void PgConnection::Rollback() {
  if (PQstatus(conn_) != CONNECTION_OK || PQtransactionStatus(conn_) == PQTRANS_IDLE) {
    return;
  }
  PgResult result(PQexec(conn_, "ROLLBACK"));
}

}  // namespace amstream::store::postgres
