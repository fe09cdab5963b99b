// The PostgreSQL store: Store over one libpq connection.
//
// Writes are set-based (COPY into staging tables, then one merge per kind of row) and
// commit in one transaction; concurrent replicas are safe because the idempotency
// ledger decides what is new and rows are locked in sorted key order. See
// postgres_write.h for the statements and postgres_schema.cc for the tables and views.
#pragma once

#include <memory>
#include <string_view>

#include "store/store.h"

namespace amstream::store::postgres {

// Connects to the server named by `conninfo` (a postgresql:// or postgres:// URL, or
// libpq "key=value" pairs). kConfig for a malformed string, kUnavailable when the server
// cannot be reached, kPermissionDenied when it refuses the credentials. The returned
// store is thread-safe; calls are serialized on its one connection.
Result<std::unique_ptr<Store>> OpenPostgres(std::string_view conninfo);

}  // namespace amstream::store::postgres
