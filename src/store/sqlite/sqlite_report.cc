#include "store/sqlite/sqlite_report.h"

#include <fmt/format.h>

#include <string>

#include "store/report_query.h"

namespace amstream::store::sqlite {
namespace {

// Local time is the stored instant plus the offset AMS wrote it with, in epoch seconds;
// traffic and conversions are combined with UNION ALL and summed per bucket.
constexpr const char* kReportTemplate = R"sql(
SELECT strftime(?1, local_s, 'unixepoch') AS bucket, advertiser_id, campaign_id, currency,
       sum(impressions), sum(clicks), sum(cost_micros), sum(conversions), sum(sales_micros)
FROM (
  SELECT time_window_start + utc_offset_minutes * 60 AS local_s, advertiser_id, campaign_id,
         currency, impressions, clicks, cost_micros, 0 AS conversions, 0 AS sales_micros
  FROM sp_traffic_totals
  UNION ALL
  SELECT time_window_start + utc_offset_minutes * 60, advertiser_id, campaign_id, currency,
         0, 0, 0, {0}, {1}_micros
  FROM sp_conversion_totals
)
WHERE 1{2}
GROUP BY bucket, advertiser_id, campaign_id, currency
ORDER BY bucket, advertiser_id, campaign_id, currency
)sql";

constexpr int64_t kSecondsPerDay = 86400;

}  // namespace

Result<std::vector<ReportRow>> RunReport(Database* db, const ReportQuery& query) {
  Result<AttributionColumns> columns = CheckReportQuery(query);
  if (!columns.ok()) {
    return columns.status();
  }
  // Parameter 1 is the bucket format; filters follow from ?2 in this order.
  std::string filters;
  int next = 2;
  auto add = [&](std::string_view condition) {
    filters += fmt::format(" AND {}", fmt::format(fmt::runtime(condition), next++));
  };
  if (query.advertiser_id) {
    add("advertiser_id = ?{}");
  }
  if (query.campaign_id) {
    add("campaign_id = ?{}");
  }
  if (query.from_days) {
    add("local_s >= ?{}");
  }
  if (query.to_days) {
    add("local_s < ?{}");
  }
  std::string sql =
      fmt::format(fmt::runtime(kReportTemplate), columns->conversions, columns->sales, filters);
  Result<Statement> statement = db->Prepare(sql, "preparing the report");
  if (!statement.ok()) {
    return statement.status();
  }

  int index = 1;
  statement->Bind(index++, query.by_hour ? std::string_view("%Y-%m-%dT%H:%M") : "%Y-%m-%d");
  if (query.advertiser_id) {
    statement->Bind(index++, *query.advertiser_id);
  }
  if (query.campaign_id) {
    statement->Bind(index++, *query.campaign_id);
  }
  if (query.from_days) {
    statement->Bind(index++, *query.from_days * kSecondsPerDay);
  }
  if (query.to_days) {
    statement->Bind(index++, (*query.to_days + 1) * kSecondsPerDay);
  }

  std::vector<ReportRow> rows;
  for (;;) {
    Result<bool> row = statement->Step("running the report");
    if (!row.ok()) {
      return row.status();
    }
    if (!*row) {
      return rows;
    }
    ReportRow& out = rows.emplace_back();
    out.bucket = statement->ColumnText(0);
    out.advertiser_id = statement->ColumnText(1);
    out.campaign_id = statement->ColumnText(2);
    out.currency = statement->ColumnText(3);
    out.impressions = statement->ColumnInt64(4);
    out.clicks = statement->ColumnInt64(5);
    out.cost_micros = statement->ColumnInt64(6);
    out.conversions = statement->ColumnInt64(7);
    out.sales_micros = statement->ColumnInt64(8);
  }
}

}  // namespace amstream::store::sqlite
