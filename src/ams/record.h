// The AMS records amstream stores, as typed values.
//
// Ids stay text (they look numeric but exceed 32 bits and may gain letters). Money is
// in micro-units (common/money.h). Missing text key fields are empty strings, so that
// a natural key never contains NULL and upserts match it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace amstream::ams {

inline constexpr std::string_view kSpTraffic = "sp-traffic";
inline constexpr std::string_view kSpConversion = "sp-conversion";

// One sp-traffic delta. Natural key: advertiser_id, marketplace_id, time_window_start,
// campaign_id, ad_group_id, ad_id, keyword_id, keyword_text, placement, currency.
struct TrafficRecord {
  std::string idempotency_id;
  std::string advertiser_id;
  std::string marketplace_id;
  int64_t time_window_start_ms = 0;  // the hour's instant
  int32_t utc_offset_minutes = 0;    // the advertiser's offset, as AMS wrote it
  std::string campaign_id;
  std::string ad_group_id;
  std::string ad_id;
  std::string keyword_id;
  std::string keyword_text;
  std::string match_type;  // not part of the key: the latest value is kept
  std::string placement;
  std::string currency;
  int64_t clicks = 0;
  int64_t impressions = 0;
  int64_t cost_micros = 0;
};

// One attributed_* column of sp-conversion.
struct ConversionMetric {
  std::string_view name;  // field and column name, e.g. "attributed_sales_7d"
  bool is_money;          // sales are money (micro-units); the rest are counts
};

inline constexpr size_t kConversionMetricCount = 24;

// Every attributed_* metric of sp-conversion, in column order.
extern const std::array<ConversionMetric, kConversionMetricCount> kConversionMetrics;

// Index into kConversionMetrics by field name; -1 if the name is not a metric.
int ConversionMetricIndex(std::string_view name);

// One sp-conversion delta. Natural key: as TrafficRecord without keyword_text.
struct ConversionRecord {
  std::string idempotency_id;
  std::string advertiser_id;
  std::string marketplace_id;
  int64_t time_window_start_ms = 0;
  int32_t utc_offset_minutes = 0;
  std::string campaign_id;
  std::string ad_group_id;
  std::string ad_id;
  std::string keyword_id;
  std::string placement;
  std::string currency;
  // Indexed like kConversionMetrics; money metrics hold micro-units.
  std::array<int64_t, kConversionMetricCount> metrics{};
};

// One campaign's row of a blog-format daily snapshot.
struct BlogRow {
  std::string campaign_id;
  int64_t impressions = 0;
  int64_t clicks = 0;
  int64_t cost_micros = 0;
  int64_t sales_micros = 0;
};

// A blog-format event {datasetType, profileId, date, records[]}: a daily snapshot per
// (profile_id, campaign_id, date) where the newer event wins.
struct BlogEvent {
  std::string dataset_type;
  std::string profile_id;
  int64_t date_days = 0;  // days since 1970-01-01
  int64_t event_ms = 0;   // what "newer" means: SNS Timestamp, else SQS SentTimestamp
  std::vector<BlogRow> rows;
};

}  // namespace amstream::ams
