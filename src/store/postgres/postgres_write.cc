#include "store/postgres/postgres_write.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "store/postgres/copy_buffer.h"

namespace amstream::store::postgres {
namespace {

// Money travels as integer micro-units and becomes NUMERIC only in the merge, so every
// sum is exact. seq is the position in the batch: the later row is the newer one.
constexpr const char* kCreateStaging = R"sql(
CREATE TEMP TABLE IF NOT EXISTS amstream_stage_traffic (
  seq integer NOT NULL, idempotency_id text NOT NULL, advertiser_id text NOT NULL,
  marketplace_id text NOT NULL, window_ms bigint NOT NULL, utc_offset_minutes integer NOT NULL,
  campaign_id text NOT NULL, ad_group_id text NOT NULL, ad_id text NOT NULL,
  keyword_id text NOT NULL, keyword_text text NOT NULL, match_type text NOT NULL,
  placement text NOT NULL, currency text NOT NULL, clicks bigint NOT NULL,
  impressions bigint NOT NULL, cost_micros bigint NOT NULL
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS amstream_stage_blog (
  profile_id text NOT NULL, campaign_id text NOT NULL, date_days integer NOT NULL,
  dataset_type text NOT NULL, impressions bigint NOT NULL, clicks bigint NOT NULL,
  cost_micros bigint NOT NULL, sales_micros bigint NOT NULL, event_ms bigint NOT NULL
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS amstream_stage_quarantine (
  message_id text NOT NULL, sns_message_id text NOT NULL, reason text NOT NULL,
  body text NOT NULL
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS amstream_stage_confirmation (
  message_id text NOT NULL, type text NOT NULL, topic_arn text NOT NULL, token text NOT NULL,
  subscribe_url text NOT NULL, timestamp_ms bigint NOT NULL, body text NOT NULL
) ON COMMIT DELETE ROWS;
)sql";

constexpr const char* kMergeTraffic = R"sql(
WITH fresh AS (
  INSERT INTO idempotency_ledger (dataset, idempotency_id)
  SELECT 'sp-traffic', idempotency_id FROM amstream_stage_traffic ORDER BY idempotency_id
  ON CONFLICT DO NOTHING
  RETURNING idempotency_id
), merged AS (
  INSERT INTO sp_traffic_totals AS t (advertiser_id, marketplace_id, time_window_start,
    campaign_id, ad_group_id, ad_id, keyword_id, keyword_text, placement, currency,
    match_type, utc_offset_minutes, clicks, impressions, cost, updated_at)
  SELECT s.advertiser_id, s.marketplace_id,
         TIMESTAMPTZ 'epoch' + s.window_ms * INTERVAL '1 millisecond',
         s.campaign_id, s.ad_group_id, s.ad_id, s.keyword_id, s.keyword_text, s.placement,
         s.currency,
         coalesce((array_agg(s.match_type ORDER BY s.seq DESC)
                   FILTER (WHERE s.match_type <> ''))[1], ''),
         (array_agg(s.utc_offset_minutes ORDER BY s.seq DESC))[1],
         sum(s.clicks), sum(s.impressions), sum(s.cost_micros) / 1000000.0, now()
  FROM amstream_stage_traffic s JOIN fresh USING (idempotency_id)
  GROUP BY s.advertiser_id, s.marketplace_id, s.window_ms, s.campaign_id, s.ad_group_id,
           s.ad_id, s.keyword_id, s.keyword_text, s.placement, s.currency
  ORDER BY s.advertiser_id, s.marketplace_id, s.window_ms, s.campaign_id, s.ad_group_id,
           s.ad_id, s.keyword_id, s.keyword_text, s.placement, s.currency
  ON CONFLICT (advertiser_id, marketplace_id, time_window_start, campaign_id, ad_group_id,
               ad_id, keyword_id, keyword_text, placement, currency)
  DO UPDATE SET clicks = t.clicks + EXCLUDED.clicks,
                impressions = t.impressions + EXCLUDED.impressions,
                cost = t.cost + EXCLUDED.cost,
                match_type = CASE WHEN EXCLUDED.match_type <> '' THEN EXCLUDED.match_type
                                  ELSE t.match_type END,
                utc_offset_minutes = EXCLUDED.utc_offset_minutes,
                updated_at = EXCLUDED.updated_at
  RETURNING 1
)
SELECT (SELECT count(*) FROM fresh), (SELECT count(*) FROM merged)
)sql";

constexpr const char* kMergeBlog = R"sql(
WITH applied AS (
  INSERT INTO campaign_snapshots AS c (profile_id, campaign_id, date, dataset_type,
    impressions, clicks, cost, sales, event_at, updated_at)
  SELECT profile_id, campaign_id, DATE '1970-01-01' + date_days, dataset_type, impressions,
         clicks, cost_micros / 1000000.0, sales_micros / 1000000.0,
         TIMESTAMPTZ 'epoch' + event_ms * INTERVAL '1 millisecond', now()
  FROM amstream_stage_blog
  ORDER BY profile_id, campaign_id, date_days
  ON CONFLICT (profile_id, campaign_id, date)
  DO UPDATE SET dataset_type = EXCLUDED.dataset_type, impressions = EXCLUDED.impressions,
                clicks = EXCLUDED.clicks, cost = EXCLUDED.cost, sales = EXCLUDED.sales,
                event_at = EXCLUDED.event_at, updated_at = EXCLUDED.updated_at
  WHERE EXCLUDED.event_at >= c.event_at
  RETURNING 1
)
SELECT count(*) FROM applied
)sql";

constexpr const char* kMergeQuarantine = R"sql(
WITH added AS (
  INSERT INTO quarantined_messages (message_id, sns_message_id, reason, body, received_at)
  SELECT message_id, sns_message_id, reason, body, now()
  FROM amstream_stage_quarantine ORDER BY message_id
  ON CONFLICT (message_id) DO NOTHING
  RETURNING 1
)
SELECT count(*) FROM added
)sql";

constexpr const char* kMergeConfirmations = R"sql(
INSERT INTO subscription_confirmations (message_id, type, topic_arn, token, subscribe_url,
  "timestamp", received_at, body)
SELECT message_id, type, topic_arn, token, subscribe_url,
       TIMESTAMPTZ 'epoch' + NULLIF(timestamp_ms, 0) * INTERVAL '1 millisecond', now(), body
FROM amstream_stage_confirmation ORDER BY message_id
ON CONFLICT (message_id) DO NOTHING
RETURNING message_id
)sql";

// The sp-conversion statements name all 24 metrics, so they are built from the list.
struct ConversionSql {
  std::string create;
  std::string merge;
};

const ConversionSql& ConversionStatements() {
  static const ConversionSql sql = [] {
    std::string stage_columns, columns, sums, updates;
    for (const ams::ConversionMetric& m : ams::kConversionMetrics) {
      stage_columns += fmt::format(", {} bigint NOT NULL", m.name);
      columns += fmt::format(", {}", m.name);
      sums += m.is_money ? fmt::format(", sum(s.{}) / 1000000.0", m.name)
                         : fmt::format(", sum(s.{})", m.name);
      updates += fmt::format(", {0} = t.{0} + EXCLUDED.{0}", m.name);
    }
    constexpr const char* kKey =
        "advertiser_id, marketplace_id, time_window_start, campaign_id, ad_group_id, ad_id, "
        "keyword_id, placement, currency";
    constexpr const char* kStageKey =
        "s.advertiser_id, s.marketplace_id, s.window_ms, s.campaign_id, s.ad_group_id, s.ad_id, "
        "s.keyword_id, s.placement, s.currency";
    ConversionSql out;
    out.create = fmt::format(
        "CREATE TEMP TABLE IF NOT EXISTS amstream_stage_conversion (seq integer NOT NULL, "
        "idempotency_id text NOT NULL, advertiser_id text NOT NULL, marketplace_id text NOT "
        "NULL, window_ms bigint NOT NULL, utc_offset_minutes integer NOT NULL, campaign_id text "
        "NOT NULL, ad_group_id text NOT NULL, ad_id text NOT NULL, keyword_id text NOT NULL, "
        "placement text NOT NULL, currency text NOT NULL{}) ON COMMIT DELETE ROWS",
        stage_columns);
    out.merge = fmt::format(
        "WITH fresh AS (INSERT INTO idempotency_ledger (dataset, idempotency_id) "
        "SELECT 'sp-conversion', idempotency_id FROM amstream_stage_conversion "
        "ORDER BY idempotency_id ON CONFLICT DO NOTHING RETURNING idempotency_id), "
        "merged AS (INSERT INTO sp_conversion_totals AS t ({0}, utc_offset_minutes{1}, "
        "updated_at) SELECT s.advertiser_id, s.marketplace_id, "
        "TIMESTAMPTZ 'epoch' + s.window_ms * INTERVAL '1 millisecond', s.campaign_id, "
        "s.ad_group_id, s.ad_id, s.keyword_id, s.placement, s.currency, "
        "(array_agg(s.utc_offset_minutes ORDER BY s.seq DESC))[1]{2}, now() "
        "FROM amstream_stage_conversion s JOIN fresh USING (idempotency_id) "
        "GROUP BY {3} ORDER BY {3} ON CONFLICT ({0}) DO UPDATE SET "
        "utc_offset_minutes = EXCLUDED.utc_offset_minutes{4}, updated_at = EXCLUDED.updated_at "
        "RETURNING 1) SELECT (SELECT count(*) FROM fresh), (SELECT count(*) FROM merged)",
        kKey, columns, sums, kStageKey, updates);
    return out;
  }();
  return sql;
}

// Runs a statement whose first column of its one row is a count.
Result<int64_t> Count(PgConnection* conn, const char* sql, std::string_view doing) {
  Result<PgResult> result = conn->Query(sql, {}, doing);
  if (!result.ok()) {
    return result.status();
  }
  return result->GetInt64(0, 0);
}

// Merges staged deltas: adds the fresh ones to `*stats`, the rest are duplicates.
Status MergeDeltas(PgConnection* conn, const char* sql, int64_t staged, std::string_view doing,
                   WriteStats* stats) {
  Result<int64_t> fresh = Count(conn, sql, doing);
  if (!fresh.ok()) {
    return fresh.status();
  }
  stats->records_stored += *fresh;
  stats->duplicates += staged - *fresh;
  return Status::Ok();
}

Status ApplyTraffic(PgConnection* conn, const BatchPlan& plan, WriteStats* stats) {
  CopyBuffer rows;
  int64_t seq = 0;
  for (const ams::TrafficRecord* r : plan.traffic) {
    rows.Int(seq++).Text(r->idempotency_id).Text(r->advertiser_id).Text(r->marketplace_id);
    rows.Int(r->time_window_start_ms).Int(r->utc_offset_minutes).Text(r->campaign_id);
    rows.Text(r->ad_group_id).Text(r->ad_id).Text(r->keyword_id).Text(r->keyword_text);
    rows.Text(r->match_type).Text(r->placement).Text(r->currency).Int(r->clicks);
    rows.Int(r->impressions).Int(r->cost_micros).EndRow();
  }
  AMSTREAM_RETURN_IF_ERROR(
      conn->CopyIn("COPY amstream_stage_traffic FROM STDIN", rows.data(), "staging sp-traffic"));
  return MergeDeltas(conn, kMergeTraffic, rows.rows(), "merging sp-traffic", stats);
}

Status ApplyConversions(PgConnection* conn, const BatchPlan& plan, WriteStats* stats) {
  CopyBuffer rows;
  int64_t seq = 0;
  for (const ams::ConversionRecord* r : plan.conversions) {
    rows.Int(seq++).Text(r->idempotency_id).Text(r->advertiser_id).Text(r->marketplace_id);
    rows.Int(r->time_window_start_ms).Int(r->utc_offset_minutes).Text(r->campaign_id);
    rows.Text(r->ad_group_id).Text(r->ad_id).Text(r->keyword_id).Text(r->placement);
    rows.Text(r->currency);
    for (int64_t value : r->metrics) {
      rows.Int(value);
    }
    rows.EndRow();
  }
  AMSTREAM_RETURN_IF_ERROR(conn->CopyIn("COPY amstream_stage_conversion FROM STDIN", rows.data(),
                                        "staging sp-conversion"));
  return MergeDeltas(conn, ConversionStatements().merge.c_str(), rows.rows(),
                     "merging sp-conversion", stats);
}

Status ApplyBlog(PgConnection* conn, const BatchPlan& plan, WriteStats* stats) {
  CopyBuffer rows;
  for (const BlogSnapshot& b : plan.blog) {
    rows.Text(b.profile_id).Text(b.row->campaign_id).Int(b.date_days).Text(b.dataset_type);
    rows.Int(b.row->impressions).Int(b.row->clicks).Int(b.row->cost_micros);
    rows.Int(b.row->sales_micros).Int(b.event_ms).EndRow();
  }
  AMSTREAM_RETURN_IF_ERROR(
      conn->CopyIn("COPY amstream_stage_blog FROM STDIN", rows.data(), "staging blog rows"));
  Result<int64_t> applied = Count(conn, kMergeBlog, "merging blog rows");
  if (!applied.ok()) {
    return applied.status();
  }
  stats->blog_rows += *applied;
  stats->blog_rows_stale += rows.rows() - *applied;
  return Status::Ok();
}

Status ApplyQuarantine(PgConnection* conn, const BatchPlan& plan, WriteStats* stats) {
  CopyBuffer rows;
  for (const QuarantineEntry& q : plan.quarantine) {
    rows.Text(q.message_id).Text(q.sns_message_id).Text(q.reason).Text(q.body).EndRow();
  }
  AMSTREAM_RETURN_IF_ERROR(conn->CopyIn("COPY amstream_stage_quarantine FROM STDIN", rows.data(),
                                        "staging quarantine rows"));
  Result<int64_t> added = Count(conn, kMergeQuarantine, "storing quarantine rows");
  if (!added.ok()) {
    return added.status();
  }
  stats->quarantined += *added;
  return Status::Ok();
}

Status ApplyConfirmations(PgConnection* conn, const BatchPlan& plan, WriteStats* stats,
                          std::vector<const sns::Confirmation*>* new_confirmations) {
  CopyBuffer rows;
  for (const ConfirmationEntry& e : plan.confirmations) {
    const sns::Confirmation& c = *e.confirmation;
    rows.Text(e.message_id).Text(c.type).Text(c.topic_arn).Text(c.token);
    rows.Text(c.subscribe_url).Int(c.timestamp_ms).Text(e.body).EndRow();
  }
  AMSTREAM_RETURN_IF_ERROR(conn->CopyIn("COPY amstream_stage_confirmation FROM STDIN", rows.data(),
                                        "staging confirmations"));
  Result<PgResult> added = conn->Query(kMergeConfirmations, {}, "storing confirmations");
  if (!added.ok()) {
    return added.status();
  }
  for (int i = 0; i < added->rows(); ++i) {
    std::string_view id = added->Get(i, 0);
    auto it = std::lower_bound(
        plan.confirmations.begin(), plan.confirmations.end(), id,
        [](const ConfirmationEntry& e, std::string_view key) { return e.message_id < key; });
    if (it != plan.confirmations.end() && it->message_id == id) {
      new_confirmations->push_back(it->confirmation);
    }
  }
  stats->confirmations += added->rows();
  return Status::Ok();
}

}  // namespace

Status CreateStagingTables(PgConnection* conn) {
  AMSTREAM_RETURN_IF_ERROR(conn->Exec(kCreateStaging, "creating staging tables"));
  return conn->Exec(ConversionStatements().create.c_str(), "creating staging tables");
}

Status ApplyPlan(PgConnection* conn, const BatchPlan& plan, WriteStats* stats,
                 std::vector<const sns::Confirmation*>* new_confirmations) {
  if (!plan.traffic.empty()) {
    AMSTREAM_RETURN_IF_ERROR(ApplyTraffic(conn, plan, stats));
  }
  if (!plan.conversions.empty()) {
    AMSTREAM_RETURN_IF_ERROR(ApplyConversions(conn, plan, stats));
  }
  if (!plan.blog.empty()) {
    AMSTREAM_RETURN_IF_ERROR(ApplyBlog(conn, plan, stats));
  }
  if (!plan.quarantine.empty()) {
    AMSTREAM_RETURN_IF_ERROR(ApplyQuarantine(conn, plan, stats));
  }
  if (!plan.confirmations.empty()) {
    AMSTREAM_RETURN_IF_ERROR(ApplyConfirmations(conn, plan, stats, new_confirmations));
  }
  return Status::Ok();
}

}  // namespace amstream::store::postgres
