// The storage contract, shared by the PostgreSQL and SQLite stores.
//
// A store applies a batch of classified messages in one transaction: the idempotency
// ledger and the aggregates commit together, so a message may be deleted from the queue
// once Write returns ok. Writing the same messages again changes nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ams/message.h"
#include "common/status.h"

namespace amstream::store {

struct WriteStats {
  int64_t records_stored = 0;   // sp-traffic/sp-conversion deltas newly applied
  int64_t duplicates = 0;       // deltas whose idempotency_id was already stored
  int64_t blog_rows = 0;        // blog rows that replaced an older snapshot or were new
  int64_t blog_rows_stale = 0;  // blog rows ignored because a newer snapshot is stored
  int64_t quarantined = 0;      // quarantine rows written (a re-delivered one counts once)
  int64_t confirmations = 0;    // subscription control messages recorded

  WriteStats& operator+=(const WriteStats& other) {
    records_stored += other.records_stored;
    duplicates += other.duplicates;
    blog_rows += other.blog_rows;
    blog_rows_stale += other.blog_rows_stale;
    quarantined += other.quarantined;
    confirmations += other.confirmations;
    return *this;
  }
};

// Filters and grouping of `amstream report`. Dates are the advertiser's local days.
struct ReportQuery {
  bool by_hour = false;  // false: one row per local day
  std::optional<std::string> advertiser_id;
  std::optional<std::string> campaign_id;
  std::optional<int64_t> from_days;       // first local day, inclusive (days since epoch)
  std::optional<int64_t> to_days;         // last local day, inclusive
  std::string attribution_window = "7d";  // 1d, 7d, 14d or 30d
};

// One bucket of one campaign: traffic and conversions summed.
struct ReportRow {
  std::string bucket;  // "2025-06-01", or "2025-06-01T10:00" local time when by hour
  std::string advertiser_id;
  std::string campaign_id;
  std::string currency;
  int64_t impressions = 0;
  int64_t clicks = 0;
  int64_t cost_micros = 0;
  int64_t conversions = 0;
  int64_t sales_micros = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Creates or upgrades the schema to the newest version. Safe to run concurrently from
  // several replicas and to run again.
  virtual Status Migrate() = 0;

  // Applies every message in one transaction. Quarantined contents become quarantine
  // rows. On failure nothing is applied: kUnavailable/kAborted/kUnknownOutcome may be
  // retried (an unknown outcome is safe to retry: the ledger decides); kInvalid means a
  // value was refused by the database, and the caller should retry messages one by one
  // to find and quarantine the culprit.
  virtual Result<WriteStats> Write(std::span<const ams::Message> messages) = 0;

  // Campaign performance for `amstream report`, ordered by bucket, advertiser, campaign.
  virtual Result<std::vector<ReportRow>> Report(const ReportQuery& query) = 0;

  // "postgresql" or "sqlite", for logs.
  virtual std::string_view kind() const = 0;
};

// Opens the store named by `database`: a postgresql:// or postgres:// URL, or a libpq
// "key=value" string, selects PostgreSQL; anything else is a SQLite file path.
// Does not migrate. Fails with kUnavailable if the server cannot be reached, kConfig
// if the name is malformed.
Result<std::unique_ptr<Store>> Open(std::string_view database);

// Whether Open would pick PostgreSQL for `database`.
bool IsPostgres(std::string_view database);

}  // namespace amstream::store
