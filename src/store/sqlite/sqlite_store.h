// The SQLite store: Store over one file, for a single host and modest volumes.
//
// The same tables and views as the PostgreSQL store (money as integer micro-units),
// written row by row with reused prepared statements inside one IMMEDIATE transaction
// per batch. WAL mode lets reports and the sqlite3 CLI read while amstream writes.
#pragma once

#include <memory>
#include <string_view>

#include "store/store.h"

namespace amstream::store::sqlite {

// Opens or creates the database file at `path`. kConfig if it cannot be opened or is
// not a SQLite database. The returned store is thread-safe: calls take turns.
Result<std::unique_ptr<Store>> OpenSqlite(std::string_view path);

}  // namespace amstream::store::sqlite
