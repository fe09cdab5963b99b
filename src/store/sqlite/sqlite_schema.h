// The SQLite schema and its versioned migrations: the same tables and views as the
// PostgreSQL store, with money in integer micro-units.
#pragma once

#include "common/status.h"
#include "store/sqlite/sqlite_db.h"

namespace amstream::store::sqlite {

// Applies the migrations newer than schema_migrations records in one IMMEDIATE
// transaction, so processes sharing the file take turns. Safe to run again.
Status MigrateSchema(Database* db);

}  // namespace amstream::store::sqlite
