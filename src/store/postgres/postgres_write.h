// Applying a batch to PostgreSQL with a few set-based statements.
//
// Each kind of row is sent with one COPY into a temporary staging table and merged with
// one statement. Deltas first insert their idempotency ids into the ledger, and only the
// ids that were new reach the aggregates. Rows are taken in sorted key order, so
// replicas writing overlapping batches wait for each other instead of deadlocking.
#pragma once

#include <vector>

#include "common/status.h"
#include "store/batch_plan.h"
#include "store/postgres/pg_conn.h"
#include "store/store.h"

namespace amstream::store::postgres {

// Creates this session's temporary staging tables, emptied at every commit. Run once
// per connection, and again after a reconnect.
Status CreateStagingTables(PgConnection* conn);

// Stages and merges `plan` inside the caller's open transaction. Adds what the database
// decided to `*stats` and appends the confirmations that were not stored before to
// `*new_confirmations`. On failure the caller must roll back.
Status ApplyPlan(PgConnection* conn, const BatchPlan& plan, WriteStats* stats,
                 std::vector<const sns::Confirmation*>* new_confirmations);

}  // namespace amstream::store::postgres
