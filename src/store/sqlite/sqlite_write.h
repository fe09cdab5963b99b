// Applying a batch to SQLite, row by row with prepared statements.
//
// SQLite runs in-process, so a statement per row costs no round trip: each delta first
// inserts its idempotency id into the ledger, and only when that inserted a row is it
// added to its hourly aggregate. The caller wraps Apply in one transaction.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/batch_plan.h"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace amstream::store::sqlite {

// The prepared statements of a write, reused across batches. Not thread-safe.
class Writer {
 public:
  // Prepares the statements; fails (kInternal) if the schema is missing: run Migrate.
  static Result<std::unique_ptr<Writer>> Prepare(Database* db);

  // Applies `plan` inside the caller's open transaction, stamping rows with `now` (ISO
  // UTC text). Adds what the database decided to `*stats` and appends confirmations that
  // were not stored before to `*new_confirmations`. On failure the caller rolls back.
  Status Apply(const BatchPlan& plan, std::string_view now, WriteStats* stats,
               std::vector<const sns::Confirmation*>* new_confirmations);

 private:
  Writer(Database* db, Statement ledger, Statement traffic, Statement conversion, Statement blog,
         Statement quarantine, Statement confirmation);

  Status ApplyTraffic(const ams::TrafficRecord& r, std::string_view now, WriteStats* stats);
  Status ApplyConversion(const ams::ConversionRecord& r, std::string_view now, WriteStats* stats);
  // Records the delta's id; sets `*fresh` when the ledger did not hold it yet.
  Status RecordId(std::string_view dataset, std::string_view id, std::string_view now, bool* fresh);

  Database* db_;
  Statement ledger_;
  Statement traffic_;
  Statement conversion_;
  Statement blog_;
  Statement quarantine_;
  Statement confirmation_;
};

}  // namespace amstream::store::sqlite
