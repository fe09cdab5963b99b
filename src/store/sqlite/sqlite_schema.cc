#include "store/sqlite/sqlite_schema.h"

#include <fmt/format.h>

#include <array>
#include <string>

#include "common/log.h"

namespace amstream::store::sqlite {
namespace {

// The same tables and views as PostgreSQL (postgres_schema.cc), in SQLite's terms: money
// is INTEGER micro-units in *_micros columns, time_window_start INTEGER epoch seconds,
// dates 'YYYY-MM-DD' and timestamps ISO 8601 UTC text. STRICT makes an integer overflow
// (which SQLite would turn into a REAL) fail instead of being stored. The views add
// cost = micros / 1e6 for convenience, keep the exact *_micros beside it, and show
// time_window_start as ISO text plus time_window_start_epoch.
constexpr const char* kMigration1 = R"sql(
CREATE TABLE idempotency_ledger (
  dataset TEXT NOT NULL,
  idempotency_id TEXT NOT NULL,
  applied_at TEXT NOT NULL,
  PRIMARY KEY (dataset, idempotency_id)
) WITHOUT ROWID, STRICT;

CREATE TABLE sp_traffic_totals (
  advertiser_id TEXT NOT NULL,
  marketplace_id TEXT NOT NULL,
  time_window_start INTEGER NOT NULL,
  campaign_id TEXT NOT NULL,
  ad_group_id TEXT NOT NULL,
  ad_id TEXT NOT NULL,
  keyword_id TEXT NOT NULL,
  keyword_text TEXT NOT NULL,
  placement TEXT NOT NULL,
  currency TEXT NOT NULL,
  match_type TEXT NOT NULL,
  utc_offset_minutes INTEGER NOT NULL,
  clicks INTEGER NOT NULL,
  impressions INTEGER NOT NULL,
  cost_micros INTEGER NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (advertiser_id, marketplace_id, time_window_start, campaign_id, ad_group_id,
               ad_id, keyword_id, keyword_text, placement, currency)
) WITHOUT ROWID, STRICT;

CREATE TABLE sp_conversion_totals (
  advertiser_id TEXT NOT NULL,
  marketplace_id TEXT NOT NULL,
  time_window_start INTEGER NOT NULL,
  campaign_id TEXT NOT NULL,
  ad_group_id TEXT NOT NULL,
  ad_id TEXT NOT NULL,
  keyword_id TEXT NOT NULL,
  placement TEXT NOT NULL,
  currency TEXT NOT NULL,
  utc_offset_minutes INTEGER NOT NULL,
  attributed_conversions_1d INTEGER NOT NULL,
  attributed_conversions_1d_same_sku INTEGER NOT NULL,
  attributed_sales_1d_micros INTEGER NOT NULL,
  attributed_sales_1d_same_sku_micros INTEGER NOT NULL,
  attributed_units_ordered_1d INTEGER NOT NULL,
  attributed_units_ordered_1d_same_sku INTEGER NOT NULL,
  attributed_conversions_7d INTEGER NOT NULL,
  attributed_conversions_7d_same_sku INTEGER NOT NULL,
  attributed_sales_7d_micros INTEGER NOT NULL,
  attributed_sales_7d_same_sku_micros INTEGER NOT NULL,
  attributed_units_ordered_7d INTEGER NOT NULL,
  attributed_units_ordered_7d_same_sku INTEGER NOT NULL,
  attributed_conversions_14d INTEGER NOT NULL,
  attributed_conversions_14d_same_sku INTEGER NOT NULL,
  attributed_sales_14d_micros INTEGER NOT NULL,
  attributed_sales_14d_same_sku_micros INTEGER NOT NULL,
  attributed_units_ordered_14d INTEGER NOT NULL,
  attributed_units_ordered_14d_same_sku INTEGER NOT NULL,
  attributed_conversions_30d INTEGER NOT NULL,
  attributed_conversions_30d_same_sku INTEGER NOT NULL,
  attributed_sales_30d_micros INTEGER NOT NULL,
  attributed_sales_30d_same_sku_micros INTEGER NOT NULL,
  attributed_units_ordered_30d INTEGER NOT NULL,
  attributed_units_ordered_30d_same_sku INTEGER NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (advertiser_id, marketplace_id, time_window_start, campaign_id, ad_group_id,
               ad_id, keyword_id, placement, currency)
) WITHOUT ROWID, STRICT;

CREATE TABLE campaign_snapshots (
  profile_id TEXT NOT NULL,
  campaign_id TEXT NOT NULL,
  date TEXT NOT NULL,
  dataset_type TEXT NOT NULL,
  impressions INTEGER NOT NULL,
  clicks INTEGER NOT NULL,
  cost_micros INTEGER NOT NULL,
  sales_micros INTEGER NOT NULL,
  event_ms INTEGER NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (profile_id, campaign_id, date)
) WITHOUT ROWID, STRICT;

CREATE TABLE quarantined_messages (
  message_id TEXT NOT NULL UNIQUE,
  sns_message_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  body TEXT NOT NULL,
  received_at TEXT NOT NULL
) STRICT;

CREATE TABLE subscription_confirmations (
  message_id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  topic_arn TEXT NOT NULL,
  token TEXT NOT NULL,
  subscribe_url TEXT NOT NULL,
  "timestamp" TEXT,
  received_at TEXT NOT NULL,
  body TEXT NOT NULL,
  confirmed_at TEXT
) STRICT;

CREATE VIEW sp_traffic_hourly AS
SELECT NULLIF(advertiser_id, '') AS advertiser_id,
       NULLIF(marketplace_id, '') AS marketplace_id,
       strftime('%Y-%m-%dT%H:%M:%SZ', time_window_start, 'unixepoch') AS time_window_start,
       NULLIF(campaign_id, '') AS campaign_id,
       NULLIF(ad_group_id, '') AS ad_group_id,
       NULLIF(ad_id, '') AS ad_id,
       NULLIF(keyword_id, '') AS keyword_id,
       NULLIF(keyword_text, '') AS keyword_text,
       NULLIF(match_type, '') AS match_type,
       NULLIF(placement, '') AS placement,
       NULLIF(currency, '') AS currency,
       clicks,
       impressions,
       cost_micros / 1e6 AS cost,
       utc_offset_minutes,
       updated_at,
       cost_micros,
       time_window_start AS time_window_start_epoch
FROM sp_traffic_totals;

CREATE VIEW sp_conversion_hourly AS
SELECT NULLIF(advertiser_id, '') AS advertiser_id,
       NULLIF(marketplace_id, '') AS marketplace_id,
       strftime('%Y-%m-%dT%H:%M:%SZ', time_window_start, 'unixepoch') AS time_window_start,
       NULLIF(campaign_id, '') AS campaign_id,
       NULLIF(ad_group_id, '') AS ad_group_id,
       NULLIF(ad_id, '') AS ad_id,
       NULLIF(keyword_id, '') AS keyword_id,
       NULLIF(placement, '') AS placement,
       NULLIF(currency, '') AS currency,
       attributed_conversions_1d,
       attributed_conversions_1d_same_sku,
       attributed_sales_1d_micros / 1e6 AS attributed_sales_1d,
       attributed_sales_1d_same_sku_micros / 1e6 AS attributed_sales_1d_same_sku,
       attributed_units_ordered_1d,
       attributed_units_ordered_1d_same_sku,
       attributed_conversions_7d,
       attributed_conversions_7d_same_sku,
       attributed_sales_7d_micros / 1e6 AS attributed_sales_7d,
       attributed_sales_7d_same_sku_micros / 1e6 AS attributed_sales_7d_same_sku,
       attributed_units_ordered_7d,
       attributed_units_ordered_7d_same_sku,
       attributed_conversions_14d,
       attributed_conversions_14d_same_sku,
       attributed_sales_14d_micros / 1e6 AS attributed_sales_14d,
       attributed_sales_14d_same_sku_micros / 1e6 AS attributed_sales_14d_same_sku,
       attributed_units_ordered_14d,
       attributed_units_ordered_14d_same_sku,
       attributed_conversions_30d,
       attributed_conversions_30d_same_sku,
       attributed_sales_30d_micros / 1e6 AS attributed_sales_30d,
       attributed_sales_30d_same_sku_micros / 1e6 AS attributed_sales_30d_same_sku,
       attributed_units_ordered_30d,
       attributed_units_ordered_30d_same_sku,
       utc_offset_minutes,
       updated_at,
       attributed_sales_1d_micros,
       attributed_sales_1d_same_sku_micros,
       attributed_sales_7d_micros,
       attributed_sales_7d_same_sku_micros,
       attributed_sales_14d_micros,
       attributed_sales_14d_same_sku_micros,
       attributed_sales_30d_micros,
       attributed_sales_30d_same_sku_micros,
       time_window_start AS time_window_start_epoch
FROM sp_conversion_totals;

CREATE VIEW campaign_performance AS
SELECT profile_id, campaign_id, date, impressions, clicks,
       cost_micros / 1e6 AS cost, sales_micros / 1e6 AS sales, updated_at,
       strftime('%Y-%m-%dT%H:%M:%fZ', event_ms / 1000.0, 'unixepoch') AS event_at,
       cost_micros, sales_micros
FROM campaign_snapshots;

CREATE VIEW quarantine AS
SELECT received_at, reason, message_id, body, NULLIF(sns_message_id, '') AS sns_message_id
FROM quarantined_messages;
)sql";

// Index i holds the migration to version i + 1. Append only: never edit a shipped one.
constexpr std::array<const char*, 1> kMigrations = {kMigration1};

Result<int64_t> CurrentVersion(Database* db) {
  Result<Statement> query =
      db->Prepare("SELECT coalesce(max(version), 0) FROM schema_migrations", "reading the version");
  if (!query.ok()) {
    return query.status();
  }
  Result<bool> row = query->Step("reading the version");
  if (!row.ok()) {
    return row.status();
  }
  return query->ColumnInt64(0);
}

Status ApplyPending(Database* db) {
  AMSTREAM_RETURN_IF_ERROR(
      db->Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
               " version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT",
               "creating schema_migrations"));
  Result<int64_t> version = CurrentVersion(db);
  if (!version.ok()) {
    return version.status();
  }
  if (*version > static_cast<int64_t>(kMigrations.size())) {
    log::Warn("store", "the schema is newer than this amstream; leaving it as it is",
              {{"schema_version", *version}, {"known_version", kMigrations.size()}});
  }
  for (size_t v = static_cast<size_t>(*version) + 1; v <= kMigrations.size(); ++v) {
    std::string doing = fmt::format("applying migration {}", v);
    AMSTREAM_RETURN_IF_ERROR(db->Exec(kMigrations[v - 1], doing));
    std::string record = fmt::format(
        "INSERT INTO schema_migrations (version, applied_at) "
        "VALUES ({}, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
        v);
    AMSTREAM_RETURN_IF_ERROR(db->Exec(record.c_str(), doing));
    log::Info("store", "applied a schema migration", {{"version", v}});
  }
  return Status::Ok();
}

}  // namespace

Status MigrateSchema(Database* db) {
  // IMMEDIATE takes the write lock first, so two processes migrating take turns.
  AMSTREAM_RETURN_IF_ERROR(db->Exec("BEGIN IMMEDIATE", "starting the migration"));
  Status applied = ApplyPending(db);
  if (!applied.ok()) {
    db->Rollback();
    return applied;
  }
  return db->Exec("COMMIT", "committing the migration");
}

}  // namespace amstream::store::sqlite
