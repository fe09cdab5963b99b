#include "store/postgres/postgres_report.h"

#include <fmt/format.h>

#include <string>

#include "store/report_query.h"

namespace amstream::store::postgres {
namespace {

// Local time is the stored instant plus the offset AMS wrote it with; traffic and
// conversions are combined with UNION ALL and summed per bucket.
constexpr const char* kReportTemplate = R"sql(
SELECT to_char(local_ts, $1) AS bucket, advertiser_id, campaign_id, currency,
       sum(impressions)::bigint, sum(clicks)::bigint, (sum(cost) * 1000000)::bigint,
       sum(conversions)::bigint, (sum(sales) * 1000000)::bigint
FROM (
  SELECT (time_window_start AT TIME ZONE 'UTC') + utc_offset_minutes * INTERVAL '1 minute'
           AS local_ts,
         advertiser_id, campaign_id, currency, impressions, clicks, cost,
         0::bigint AS conversions, 0::numeric AS sales
  FROM sp_traffic_totals
  UNION ALL
  SELECT (time_window_start AT TIME ZONE 'UTC') + utc_offset_minutes * INTERVAL '1 minute',
         advertiser_id, campaign_id, currency, 0, 0, 0, {0}, {1}
  FROM sp_conversion_totals
) AS facts
WHERE true{2}
GROUP BY 1, 2, 3, 4
ORDER BY bucket, advertiser_id COLLATE "C", campaign_id COLLATE "C", currency COLLATE "C"
)sql";

Result<ReportRow> ReadRow(const PgResult& result, int row) {
  ReportRow out;
  out.bucket = result.Get(row, 0);
  out.advertiser_id = result.Get(row, 1);
  out.campaign_id = result.Get(row, 2);
  out.currency = result.Get(row, 3);
  int64_t* numbers[] = {&out.impressions, &out.clicks, &out.cost_micros, &out.conversions,
                        &out.sales_micros};
  for (int i = 0; i < 5; ++i) {
    Result<int64_t> value = result.GetInt64(row, 4 + i);
    if (!value.ok()) {
      return value.status();
    }
    *numbers[i] = *value;
  }
  return out;
}

}  // namespace

Result<std::vector<ReportRow>> RunReport(PgConnection* conn, const ReportQuery& query) {
  Result<AttributionColumns> columns = CheckReportQuery(query);
  if (!columns.ok()) {
    return columns.status();
  }
  PgParams params = {query.by_hour ? "YYYY-MM-DD\"T\"HH24:MI" : "YYYY-MM-DD"};
  std::string filters;
  auto add = [&](std::string_view condition, std::string value) {
    params.emplace_back(std::move(value));
    filters += fmt::format(" AND {}", fmt::format(fmt::runtime(condition), params.size()));
  };
  if (query.advertiser_id) {
    add("advertiser_id = ${}", *query.advertiser_id);
  }
  if (query.campaign_id) {
    add("campaign_id = ${}", *query.campaign_id);
  }
  if (query.from_days) {
    add("local_ts >= TIMESTAMP 'epoch' + make_interval(days => ${}::integer)",
        std::to_string(*query.from_days));
  }
  if (query.to_days) {
    add("local_ts < TIMESTAMP 'epoch' + make_interval(days => ${}::integer + 1)",
        std::to_string(*query.to_days));
  }

  std::string sql =
      fmt::format(fmt::runtime(kReportTemplate), columns->conversions, columns->sales, filters);
  Result<PgResult> result = conn->Query(sql.c_str(), params, "running the report");
  if (!result.ok()) {
    return result.status();
  }
  std::vector<ReportRow> rows;
  rows.reserve(static_cast<size_t>(result->rows()));
  for (int i = 0; i < result->rows(); ++i) {
    Result<ReportRow> row = ReadRow(*result, i);
    if (!row.ok()) {
      return row.status();
    }
    rows.push_back(std::move(*row));
  }
  return rows;
}

}  // namespace amstream::store::postgres
