#include "store/postgres/pg_error.h"

namespace amstream::store::postgres {

Code CodeForSqlState(std::string_view sqlstate) {
  if (sqlstate.size() != 5) {
    return Code::kInternal;
  }
  std::string_view cls = sqlstate.substr(0, 2);
  if (cls == "08" || cls == "53" || sqlstate.substr(0, 4) == "57P0" || sqlstate == "57014") {
    return Code::kUnavailable;
  }
  if (sqlstate == "40001" || sqlstate == "40P01") {
    return Code::kAborted;
  }
  if (sqlstate == "40003") {
    return Code::kUnknownOutcome;
  }
  if (cls == "22" || cls == "23") {
    return Code::kInvalid;
  }
  if (cls == "28" || sqlstate == "42501") {
    return Code::kPermissionDenied;
  }
  return Code::kInternal;
}

bool CommitOutcomeUnknown(std::string_view sqlstate) {
  return sqlstate.empty() || sqlstate.substr(0, 2) == "08" || sqlstate.substr(0, 4) == "57P0" ||
         sqlstate == "40003";
}

Code CodeForConnectFailure(std::string_view message) {
  if (message.find("authentication failed") != std::string_view::npos ||
      message.find("no password supplied") != std::string_view::npos) {
    return Code::kPermissionDenied;
  }
  // A database that does not exist or a malformed option (libpq says "invalid integer
  // value", "invalid port number", "invalid sslmode value"...) will not heal by waiting.
  if (message.find("does not exist") != std::string_view::npos ||
      message.find("invalid ") != std::string_view::npos) {
    return Code::kConfig;
  }
  return Code::kUnavailable;
}

}  // namespace amstream::store::postgres
