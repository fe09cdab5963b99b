// How PostgreSQL failures become Status codes, decided once for the whole store.
//
// The SQLSTATE class says whether a failure is worth retrying: a lost connection or a
// server shutting down is kUnavailable, a lost race is kAborted, a refused value is
// kInvalid. Nothing here touches libpq, so the table is testable without a server.
#pragma once

#include <string_view>

#include "common/status.h"

namespace amstream::store::postgres {

// The Code for a five-character SQLSTATE: class 08 and 57P0x (connection, shutdown),
// 53 (insufficient resources) and 57014 (statement timeout) are kUnavailable; 40001 and
// 40P01 (serialization failure, deadlock) are kAborted; 40003 is kUnknownOutcome; class
// 22 and 23 (data exception, integrity) are kInvalid; class 28 and 42501 are
// kPermissionDenied; anything else is kInternal.
Code CodeForSqlState(std::string_view sqlstate);

// Whether a failure of COMMIT with this SQLSTATE ("" when the connection broke without
// one) leaves the outcome unknown: the server may have committed before the answer was
// lost.
bool CommitOutcomeUnknown(std::string_view sqlstate);

// The Code for a failed connection attempt, judged from libpq's message: a refused
// password is kPermissionDenied, a missing database or role kConfig, the rest (server
// down, timeout) kUnavailable.
Code CodeForConnectFailure(std::string_view message);

}  // namespace amstream::store::postgres
