// The PostgreSQL schema and its versioned migrations.
//
// Tables are internal; users read the views sp_traffic_hourly, sp_conversion_hourly,
// campaign_performance and quarantine, which both stores define with the same columns.
#pragma once

#include "common/status.h"
#include "store/postgres/pg_conn.h"

namespace amstream::store::postgres {

// Applies the migrations newer than schema_migrations records, all in one transaction
// under a transaction-scoped advisory lock, so replicas starting together take turns
// and the second finds nothing to do. Safe to run again.
Status MigrateSchema(PgConnection* conn);

}  // namespace amstream::store::postgres
