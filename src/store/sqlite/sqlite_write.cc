#include "store/sqlite/sqlite_write.h"

#include <fmt/format.h>

#include <string>

#include "common/time.h"

namespace amstream::store::sqlite {
namespace {

constexpr std::string_view kInsertId =
    "INSERT INTO idempotency_ledger (dataset, idempotency_id, applied_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT DO NOTHING";

constexpr std::string_view kUpsertTraffic = R"sql(
INSERT INTO sp_traffic_totals (advertiser_id, marketplace_id, time_window_start, campaign_id,
  ad_group_id, ad_id, keyword_id, keyword_text, placement, currency, match_type,
  utc_offset_minutes, clicks, impressions, cost_micros, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
ON CONFLICT (advertiser_id, marketplace_id, time_window_start, campaign_id, ad_group_id, ad_id,
             keyword_id, keyword_text, placement, currency)
DO UPDATE SET clicks = clicks + excluded.clicks,
              impressions = impressions + excluded.impressions,
              cost_micros = cost_micros + excluded.cost_micros,
              match_type = CASE WHEN excluded.match_type <> '' THEN excluded.match_type
                                ELSE match_type END,
              utc_offset_minutes = excluded.utc_offset_minutes,
              updated_at = excluded.updated_at
)sql";

constexpr std::string_view kUpsertBlog = R"sql(
INSERT INTO campaign_snapshots (profile_id, campaign_id, date, dataset_type, impressions,
  clicks, cost_micros, sales_micros, event_ms, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
ON CONFLICT (profile_id, campaign_id, date)
DO UPDATE SET dataset_type = excluded.dataset_type, impressions = excluded.impressions,
              clicks = excluded.clicks, cost_micros = excluded.cost_micros,
              sales_micros = excluded.sales_micros, event_ms = excluded.event_ms,
              updated_at = excluded.updated_at
WHERE excluded.event_ms >= event_ms
)sql";

constexpr std::string_view kInsertQuarantine = R"sql(
INSERT INTO quarantined_messages (message_id, sns_message_id, reason, body, received_at)
VALUES (?1, ?2, ?3, ?4, ?5)
ON CONFLICT (message_id) DO NOTHING
)sql";

constexpr std::string_view kInsertConfirmation = R"sql(
INSERT INTO subscription_confirmations (message_id, type, topic_arn, token, subscribe_url,
  "timestamp", received_at, body)
VALUES (?1, ?2, ?3, ?4, ?5, NULLIF(?6, ''), ?7, ?8)
ON CONFLICT (message_id) DO NOTHING
)sql";

// Names all 24 metrics, so it is built from the list; money columns end in _micros.
std::string UpsertConversionSql() {
  std::string columns, values, updates;
  int index = 11;
  for (const ams::ConversionMetric& m : ams::kConversionMetrics) {
    std::string column = fmt::format("{}{}", m.name, m.is_money ? "_micros" : "");
    columns += ", " + column;
    values += fmt::format(", ?{}", index++);
    updates += fmt::format(", {0} = {0} + excluded.{0}", column);
  }
  constexpr const char* kKey =
      "advertiser_id, marketplace_id, time_window_start, campaign_id, ad_group_id, ad_id, "
      "keyword_id, placement, currency";
  return fmt::format(
      "INSERT INTO sp_conversion_totals ({0}, utc_offset_minutes{1}, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10{2}, ?{3}) "
      "ON CONFLICT ({0}) DO UPDATE SET utc_offset_minutes = excluded.utc_offset_minutes{4}, "
      "updated_at = excluded.updated_at",
      kKey, columns, values, index, updates);
}

// The hour's instant in whole seconds, as SQLite stores it.
int64_t EpochSeconds(int64_t epoch_ms) {
  return epoch_ms >= 0 ? epoch_ms / 1000 : (epoch_ms - 999) / 1000;
}

}  // namespace

Writer::Writer(Database* db, Statement ledger, Statement traffic, Statement conversion,
               Statement blog, Statement quarantine, Statement confirmation)
    : db_(db),
      ledger_(std::move(ledger)),
      traffic_(std::move(traffic)),
      conversion_(std::move(conversion)),
      blog_(std::move(blog)),
      quarantine_(std::move(quarantine)),
      confirmation_(std::move(confirmation)) {}

Result<std::unique_ptr<Writer>> Writer::Prepare(Database* db) {
  constexpr std::string_view kDoing = "preparing the write statements (has Migrate run?)";
  std::string conversion_sql = UpsertConversionSql();
  Result<Statement> statements[] = {
      db->Prepare(kInsertId, kDoing),         db->Prepare(kUpsertTraffic, kDoing),
      db->Prepare(conversion_sql, kDoing),    db->Prepare(kUpsertBlog, kDoing),
      db->Prepare(kInsertQuarantine, kDoing), db->Prepare(kInsertConfirmation, kDoing)};
  for (const Result<Statement>& statement : statements) {
    if (!statement.ok()) {
      return statement.status();
    }
  }
  return std::unique_ptr<Writer>(new Writer(
      db, std::move(*statements[0]), std::move(*statements[1]), std::move(*statements[2]),
      std::move(*statements[3]), std::move(*statements[4]), std::move(*statements[5])));
}

Status Writer::RecordId(std::string_view dataset, std::string_view id, std::string_view now,
                        bool* fresh) {
  ledger_.Bind(1, dataset).Bind(2, id).Bind(3, now);
  AMSTREAM_RETURN_IF_ERROR(ledger_.Run("recording idempotency ids"));
  *fresh = db_->Changes() == 1;
  return Status::Ok();
}

Status Writer::ApplyTraffic(const ams::TrafficRecord& r, std::string_view now, WriteStats* stats) {
  bool fresh = false;
  AMSTREAM_RETURN_IF_ERROR(RecordId(ams::kSpTraffic, r.idempotency_id, now, &fresh));
  if (!fresh) {
    ++stats->duplicates;
    return Status::Ok();
  }
  traffic_.Bind(1, r.advertiser_id).Bind(2, r.marketplace_id);
  traffic_.Bind(3, EpochSeconds(r.time_window_start_ms)).Bind(4, r.campaign_id);
  traffic_.Bind(5, r.ad_group_id).Bind(6, r.ad_id).Bind(7, r.keyword_id);
  traffic_.Bind(8, r.keyword_text).Bind(9, r.placement).Bind(10, r.currency);
  traffic_.Bind(11, r.match_type).Bind(12, int64_t{r.utc_offset_minutes});
  traffic_.Bind(13, r.clicks).Bind(14, r.impressions).Bind(15, r.cost_micros).Bind(16, now);
  AMSTREAM_RETURN_IF_ERROR(traffic_.Run("adding sp-traffic"));
  ++stats->records_stored;
  return Status::Ok();
}

Status Writer::ApplyConversion(const ams::ConversionRecord& r, std::string_view now,
                               WriteStats* stats) {
  bool fresh = false;
  AMSTREAM_RETURN_IF_ERROR(RecordId(ams::kSpConversion, r.idempotency_id, now, &fresh));
  if (!fresh) {
    ++stats->duplicates;
    return Status::Ok();
  }
  conversion_.Bind(1, r.advertiser_id).Bind(2, r.marketplace_id);
  conversion_.Bind(3, EpochSeconds(r.time_window_start_ms)).Bind(4, r.campaign_id);
  conversion_.Bind(5, r.ad_group_id).Bind(6, r.ad_id).Bind(7, r.keyword_id);
  conversion_.Bind(8, r.placement).Bind(9, r.currency).Bind(10, int64_t{r.utc_offset_minutes});
  int index = 11;
  for (int64_t value : r.metrics) {
    conversion_.Bind(index++, value);
  }
  conversion_.Bind(index, now);
  AMSTREAM_RETURN_IF_ERROR(conversion_.Run("adding sp-conversion"));
  ++stats->records_stored;
  return Status::Ok();
}

Status Writer::Apply(const BatchPlan& plan, std::string_view now, WriteStats* stats,
                     std::vector<const sns::Confirmation*>* new_confirmations) {
  for (const ams::TrafficRecord* record : plan.traffic) {
    AMSTREAM_RETURN_IF_ERROR(ApplyTraffic(*record, now, stats));
  }
  for (const ams::ConversionRecord* record : plan.conversions) {
    AMSTREAM_RETURN_IF_ERROR(ApplyConversion(*record, now, stats));
  }

  for (const BlogSnapshot& b : plan.blog) {
    std::string date = FormatDate(b.date_days);
    blog_.Bind(1, b.profile_id).Bind(2, b.row->campaign_id).Bind(3, date);
    blog_.Bind(4, b.dataset_type).Bind(5, b.row->impressions).Bind(6, b.row->clicks);
    blog_.Bind(7, b.row->cost_micros).Bind(8, b.row->sales_micros).Bind(9, b.event_ms);
    blog_.Bind(10, now);
    AMSTREAM_RETURN_IF_ERROR(blog_.Run("storing blog rows"));
    ++(db_->Changes() == 1 ? stats->blog_rows : stats->blog_rows_stale);
  }

  for (const QuarantineEntry& q : plan.quarantine) {
    quarantine_.Bind(1, q.message_id).Bind(2, q.sns_message_id).Bind(3, q.reason);
    quarantine_.Bind(4, q.body).Bind(5, now);
    AMSTREAM_RETURN_IF_ERROR(quarantine_.Run("storing quarantine rows"));
    stats->quarantined += db_->Changes();
  }

  for (const ConfirmationEntry& e : plan.confirmations) {
    const sns::Confirmation& c = *e.confirmation;
    std::string timestamp = c.timestamp_ms != 0 ? FormatUtcMillis(c.timestamp_ms) : "";
    confirmation_.Bind(1, e.message_id).Bind(2, c.type).Bind(3, c.topic_arn).Bind(4, c.token);
    confirmation_.Bind(5, c.subscribe_url).Bind(6, timestamp).Bind(7, now).Bind(8, e.body);
    AMSTREAM_RETURN_IF_ERROR(confirmation_.Run("storing confirmations"));
    if (db_->Changes() == 1) {
      ++stats->confirmations;
      new_confirmations->push_back(&c);
    }
  }
  return Status::Ok();
}

}  // namespace amstream::store::sqlite
