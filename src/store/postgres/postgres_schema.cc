#include "store/postgres/postgres_schema.h"

#include <fmt/format.h>

#include <array>
#include <string>

#include "common/log.h"

namespace amstream::store::postgres {
namespace {

// Tables hold '' for an absent text key field so that the natural key never contains
// NULL and ON CONFLICT matches it; the views turn '' back into NULL.
constexpr const char* kMigration1 = R"sql(
CREATE TABLE idempotency_ledger (
  dataset text NOT NULL,
  idempotency_id text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dataset, idempotency_id)
);

CREATE TABLE sp_traffic_totals (
  advertiser_id text NOT NULL,
  marketplace_id text NOT NULL,
  time_window_start timestamptz NOT NULL,
  campaign_id text NOT NULL,
  ad_group_id text NOT NULL,
  ad_id text NOT NULL,
  keyword_id text NOT NULL,
  keyword_text text NOT NULL,
  placement text NOT NULL,
  currency text NOT NULL,
  match_type text NOT NULL,
  utc_offset_minutes integer NOT NULL,
  clicks bigint NOT NULL,
  impressions bigint NOT NULL,
  cost numeric(20,6) NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (advertiser_id, marketplace_id, time_window_start, campaign_id, ad_group_id,
               ad_id, keyword_id, keyword_text, placement, currency)
);

CREATE TABLE sp_conversion_totals (
  advertiser_id text NOT NULL,
  marketplace_id text NOT NULL,
  time_window_start timestamptz NOT NULL,
  campaign_id text NOT NULL,
  ad_group_id text NOT NULL,
  ad_id text NOT NULL,
  keyword_id text NOT NULL,
  placement text NOT NULL,
  currency text NOT NULL,
  utc_offset_minutes integer NOT NULL,
  attributed_conversions_1d bigint NOT NULL,
  attributed_conversions_1d_same_sku bigint NOT NULL,
  attributed_sales_1d numeric(20,6) NOT NULL,
  attributed_sales_1d_same_sku numeric(20,6) NOT NULL,
  attributed_units_ordered_1d bigint NOT NULL,
  attributed_units_ordered_1d_same_sku bigint NOT NULL,
  attributed_conversions_7d bigint NOT NULL,
  attributed_conversions_7d_same_sku bigint NOT NULL,
  attributed_sales_7d numeric(20,6) NOT NULL,
  attributed_sales_7d_same_sku numeric(20,6) NOT NULL,
  attributed_units_ordered_7d bigint NOT NULL,
  attributed_units_ordered_7d_same_sku bigint NOT NULL,
  attributed_conversions_14d bigint NOT NULL,
  attributed_conversions_14d_same_sku bigint NOT NULL,
  attributed_sales_14d numeric(20,6) NOT NULL,
  attributed_sales_14d_same_sku numeric(20,6) NOT NULL,
  attributed_units_ordered_14d bigint NOT NULL,
  attributed_units_ordered_14d_same_sku bigint NOT NULL,
  attributed_conversions_30d bigint NOT NULL,
  attributed_conversions_30d_same_sku bigint NOT NULL,
  attributed_sales_30d numeric(20,6) NOT NULL,
  attributed_sales_30d_same_sku numeric(20,6) NOT NULL,
  attributed_units_ordered_30d bigint NOT NULL,
  attributed_units_ordered_30d_same_sku bigint NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (advertiser_id, marketplace_id, time_window_start, campaign_id, ad_group_id,
               ad_id, keyword_id, placement, currency)
);

CREATE TABLE campaign_snapshots (
  profile_id text NOT NULL,
  campaign_id text NOT NULL,
  date date NOT NULL,
  dataset_type text NOT NULL,
  impressions bigint NOT NULL,
  clicks bigint NOT NULL,
  cost numeric(20,6) NOT NULL,
  sales numeric(20,6) NOT NULL,
  event_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (profile_id, campaign_id, date)
);

CREATE TABLE quarantined_messages (
  message_id text PRIMARY KEY,
  sns_message_id text NOT NULL,
  reason text NOT NULL,
  body text NOT NULL,
  received_at timestamptz NOT NULL
);

CREATE TABLE subscription_confirmations (
  message_id text PRIMARY KEY,
  type text NOT NULL,
  topic_arn text NOT NULL,
  token text NOT NULL,
  subscribe_url text NOT NULL,
  "timestamp" timestamptz,
  received_at timestamptz NOT NULL,
  body text NOT NULL,
  confirmed_at timestamptz
);

CREATE VIEW sp_traffic_hourly AS
SELECT NULLIF(advertiser_id, '') AS advertiser_id,
       NULLIF(marketplace_id, '') AS marketplace_id,
       time_window_start,
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
       cost,
       utc_offset_minutes,
       updated_at
FROM sp_traffic_totals;

CREATE VIEW sp_conversion_hourly AS
SELECT NULLIF(advertiser_id, '') AS advertiser_id,
       NULLIF(marketplace_id, '') AS marketplace_id,
       time_window_start,
       NULLIF(campaign_id, '') AS campaign_id,
       NULLIF(ad_group_id, '') AS ad_group_id,
       NULLIF(ad_id, '') AS ad_id,
       NULLIF(keyword_id, '') AS keyword_id,
       NULLIF(placement, '') AS placement,
       NULLIF(currency, '') AS currency,
       attributed_conversions_1d,
       attributed_conversions_1d_same_sku,
       attributed_sales_1d,
       attributed_sales_1d_same_sku,
       attributed_units_ordered_1d,
       attributed_units_ordered_1d_same_sku,
       attributed_conversions_7d,
       attributed_conversions_7d_same_sku,
       attributed_sales_7d,
       attributed_sales_7d_same_sku,
       attributed_units_ordered_7d,
       attributed_units_ordered_7d_same_sku,
       attributed_conversions_14d,
       attributed_conversions_14d_same_sku,
       attributed_sales_14d,
       attributed_sales_14d_same_sku,
       attributed_units_ordered_14d,
       attributed_units_ordered_14d_same_sku,
       attributed_conversions_30d,
       attributed_conversions_30d_same_sku,
       attributed_sales_30d,
       attributed_sales_30d_same_sku,
       attributed_units_ordered_30d,
       attributed_units_ordered_30d_same_sku,
       utc_offset_minutes,
       updated_at
FROM sp_conversion_totals;

CREATE VIEW campaign_performance AS
SELECT profile_id, campaign_id, date, impressions, clicks, cost, sales, updated_at, event_at
FROM campaign_snapshots;

CREATE VIEW quarantine AS
SELECT received_at, reason, message_id, body, NULLIF(sns_message_id, '') AS sns_message_id
FROM quarantined_messages;
)sql";

// Index i holds the migration to version i + 1. Append only: never edit a shipped one.
constexpr std::array<const char*, 1> kMigrations = {kMigration1};

// Key of the advisory lock that serializes migrations: "amstream" in ASCII.
constexpr const char* kLockMigrations = "SELECT pg_advisory_xact_lock(7020394338113118573)";

Status ApplyPending(PgConnection* conn) {
  AMSTREAM_RETURN_IF_ERROR(conn->Exec(kLockMigrations, "locking the schema"));
  AMSTREAM_RETURN_IF_ERROR(
      conn->Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                 " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                 "creating schema_migrations"));
  Result<PgResult> current = conn->Query("SELECT coalesce(max(version), 0) FROM schema_migrations",
                                         {}, "reading the version");
  if (!current.ok()) {
    return current.status();
  }
  Result<int64_t> version = current->GetInt64(0, 0);
  if (!version.ok()) {
    return version.status();
  }
  if (*version > static_cast<int64_t>(kMigrations.size())) {
    log::Warn("store", "the schema is newer than this amstream; leaving it as it is",
              {{"schema_version", *version}, {"known_version", kMigrations.size()}});
  }
  for (size_t v = static_cast<size_t>(*version) + 1; v <= kMigrations.size(); ++v) {
    std::string doing = fmt::format("applying migration {}", v);
    AMSTREAM_RETURN_IF_ERROR(conn->Exec(kMigrations[v - 1], doing));
    AMSTREAM_RETURN_IF_ERROR(conn->Query("INSERT INTO schema_migrations (version) VALUES ($1)",
                                         {std::to_string(v)}, doing)
                                 .status());
    log::Info("store", "applied a schema migration", {{"version", v}});
  }
  return Status::Ok();
}

}  // namespace

Status MigrateSchema(PgConnection* conn) {
  AMSTREAM_RETURN_IF_ERROR(conn->Exec("BEGIN", "starting the migration"));
  Status applied = ApplyPending(conn);
  if (!applied.ok()) {
    conn->Rollback();
    return applied;
  }
  return conn->Commit();
}

}  // namespace amstream::store::postgres
