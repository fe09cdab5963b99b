#include "gen/body.h"

#include "common/money.h"
#include "common/time.h"
#include "json/json.h"

namespace amstream::gen {
namespace {

constexpr std::array<std::string_view, kWindowCount> kWindows = {"1d", "7d", "14d", "30d"};

// Where the six metrics of each window sit in ams::kConversionMetrics.
struct WindowColumns {
  size_t conversions, conversions_same_sku, sales, sales_same_sku, units, units_same_sku;
};

size_t ColumnOf(std::string_view family, std::string_view window, std::string_view suffix) {
  std::string name = "attributed_";
  name.append(family).append("_").append(window).append(suffix);
  return static_cast<size_t>(ams::ConversionMetricIndex(name));
}

const std::array<WindowColumns, kWindowCount>& Columns() {
  static const std::array<WindowColumns, kWindowCount> columns = [] {
    std::array<WindowColumns, kWindowCount> out{};
    for (size_t w = 0; w < kWindowCount; ++w) {
      out[w] = {ColumnOf("conversions", kWindows[w], ""),
                ColumnOf("conversions", kWindows[w], "_same_sku"),
                ColumnOf("sales", kWindows[w], ""),
                ColumnOf("sales", kWindows[w], "_same_sku"),
                ColumnOf("units_ordered", kWindows[w], ""),
                ColumnOf("units_ordered", kWindows[w], "_same_sku")};
    }
    return out;
  }();
  return columns;
}

// Appends `"key":` after a comma unless the object has just been opened.
void AppendKey(std::string* out, std::string_view key) {
  if (out->back() != '{') {
    out->push_back(',');
  }
  out->push_back('"');
  out->append(key);
  out->append("\":");
}

void AppendField(std::string* out, std::string_view key, std::string_view text) {
  AppendKey(out, key);
  json::AppendString(out, text);
}

void AppendNumber(std::string* out, std::string_view key, std::string_view number) {
  AppendKey(out, key);
  out->append(number);
}

void AppendKeyFields(const Catalog& catalog, const GenRecord& record, std::string* out) {
  const Slot& slot = record.slot;
  const Marketplace& marketplace = catalog.MarketplaceOf(slot.advertiser);
  AppendField(out, "marketplace_id", marketplace.marketplace_id);
  AppendField(out, "currency", marketplace.currency);
  AppendField(out, "advertiser_id", catalog.AdvertiserId(slot.advertiser));
  AppendField(out, "campaign_id", catalog.CampaignId(slot));
  AppendField(out, "ad_group_id", catalog.AdGroupId(slot));
  AppendField(out, "ad_id", catalog.AdId(slot));
  AppendField(out, "keyword_id", catalog.KeywordId(slot));
}

void AppendTraffic(const Catalog& catalog, const GenRecord& record, const LocalHour& hour,
                   std::string* out) {
  out->push_back('{');
  AppendField(out, "dataset_id", ams::kSpTraffic);
  AppendKeyFields(catalog, record, out);
  AppendField(out, "keyword_text", catalog.KeywordText(record.slot));
  AppendField(out, "match_type", catalog.MatchType(record.slot));
  AppendField(out, "placement", catalog.Placement(record.slot));
  AppendField(out, "time_window_start", hour.text);
  AppendField(out, "idempotency_id", record.idempotency_id);
  AppendNumber(out, "clicks", std::to_string(record.clicks));
  AppendNumber(out, "impressions", std::to_string(record.impressions));
  AppendNumber(out, "cost", FormatMicros(record.cost_micros, 2));
  out->push_back('}');
}

void AppendConversion(const Catalog& catalog, const GenRecord& record, const LocalHour& hour,
                      std::string* out) {
  out->push_back('{');
  AppendField(out, "idempotency_id", record.idempotency_id);
  AppendField(out, "dataset_id", ams::kSpConversion);
  AppendKeyFields(catalog, record, out);
  AppendField(out, "placement", catalog.Placement(record.slot));
  AppendField(out, "time_window_start", hour.text);
  std::array<int64_t, ams::kConversionMetricCount> metrics = ConversionMetrics(record);
  for (size_t i = 0; i < metrics.size(); ++i) {
    std::string value = ams::kConversionMetrics[i].is_money ? FormatMicros(metrics[i], 2)
                                                            : std::to_string(metrics[i]);
    AppendNumber(out, ams::kConversionMetrics[i].name, value);
  }
  out->push_back('}');
}

// SNS source accounts of ams.md §6 for the two datasets the generator writes.
std::string_view AccountOf(std::string_view region, bool is_conversion) {
  if (region == "eu-west-1") {
    return is_conversion ? "562877083794" : "668473351658";
  }
  if (region == "us-west-2") {
    return is_conversion ? "622939981599" : "074266271188";
  }
  return is_conversion ? "802324068763" : "906013806264";
}

// "2025-06-01T19:12:45.123Z": SNS writes milliseconds.
std::string FormatSnsTimestamp(int64_t epoch_ms) {
  std::string text = FormatUtc(epoch_ms);
  std::string millis = std::to_string(1000 + ((epoch_ms % 1000) + 1000) % 1000).substr(1);
  text.insert(text.size() - 1, "." + millis);
  return text;
}

}  // namespace

std::array<int64_t, ams::kConversionMetricCount> ConversionMetrics(const GenRecord& record) {
  std::array<int64_t, ams::kConversionMetricCount> metrics{};
  for (size_t i = 0; i < record.order_count; ++i) {
    const Order& order = record.orders[i];
    for (size_t w = order.window; w < kWindowCount; ++w) {
      const WindowColumns& c = Columns()[w];
      metrics[c.conversions] += order.conversions;
      metrics[c.sales] += order.sales_micros;
      metrics[c.units] += order.units;
      if (order.same_sku) {
        metrics[c.conversions_same_sku] += order.conversions;
        metrics[c.sales_same_sku] += order.sales_micros;
        metrics[c.units_same_sku] += order.units;
      }
    }
  }
  return metrics;
}

std::string NewUuid(Random& random) {
  constexpr std::string_view kHex = "0123456789abcdef";
  uint64_t high = (random.Next() & ~0xf000ULL) | 0x4000ULL;       // version 4
  uint64_t low = (random.Next() & ~(3ULL << 62)) | (2ULL << 62);  // RFC 4122 variant
  std::string uuid;
  uuid.reserve(36);
  for (int nibble = 0; nibble < 32; ++nibble) {
    if (nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20) {
      uuid.push_back('-');
    }
    uint64_t word = nibble < 16 ? high : low;
    uuid.push_back(kHex[(word >> (60 - 4 * (nibble % 16))) & 0xf]);
  }
  return uuid;
}

void AppendRecordJson(const Catalog& catalog, const GenRecord& record, const LocalHour& hour,
                      std::string* out) {
  if (record.is_conversion) {
    AppendConversion(catalog, record, hour, out);
  } else {
    AppendTraffic(catalog, record, hour, out);
  }
}

void AppendEnvelope(const Marketplace& marketplace, bool is_conversion,
                    std::string_view record_json, std::string_view message_id, int64_t timestamp_ms,
                    std::string* out) {
  std::string region(marketplace.region);
  std::string topic = "arn:aws:sns:" + region + ":" +
                      std::string(AccountOf(region, is_conversion)) + ":ams-" +
                      std::string(is_conversion ? ams::kSpConversion : ams::kSpTraffic);
  std::string host = "https://sns." + region + ".amazonaws.com/";
  out->push_back('{');
  AppendField(out, "Type", "Notification");
  AppendField(out, "MessageId", message_id);
  AppendField(out, "TopicArn", topic);
  AppendField(out, "Message", record_json);
  AppendField(out, "Timestamp", FormatSnsTimestamp(timestamp_ms));
  AppendField(out, "SignatureVersion", "1");
  AppendField(out, "Signature", "EXAMPLE");
  AppendField(out, "SigningCertURL", host + "x.pem");
  AppendField(out, "UnsubscribeURL", host + "?Action=Unsubscribe");
  out->push_back('}');
}

}  // namespace amstream::gen
