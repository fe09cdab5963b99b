// How one generated record becomes an AMS message body: the flat sp-traffic or
// sp-conversion JSON object of ams.md §4, optionally wrapped in an SNS Notification
// envelope whose Message holds that object as a JSON string.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ams/record.h"
#include "gen/catalog.h"

namespace amstream::gen {

// Attribution windows in the order of ams::kConversionMetrics: 1d, 7d, 14d, 30d.
inline constexpr size_t kWindowCount = 4;

// One purchase (or, with negative values, one return) attributed to a click. It counts
// in every window from `window` on, so the 7d values never fall below the 1d ones.
struct Order {
  size_t window = 0;         // index of the smallest window that includes it
  int64_t conversions = 1;   // +1 for a purchase, -1 for a return
  int64_t units = 0;         // units ordered, negative for a return
  int64_t sales_micros = 0;  // amount in micro-units, negative for a return
  bool same_sku = false;     // whether the advertised product itself was bought
};

// A conversion record attributes at most this many orders.
inline constexpr size_t kMaxOrders = 4;

// One generated sp-traffic or sp-conversion record before rendering.
struct GenRecord {
  bool is_conversion = false;  // sp-conversion, else sp-traffic
  std::string idempotency_id;  // a UUID; a restatement or correction gets a new one
  Slot slot;                   // the natural key, as catalog indices

  int64_t impressions = 0;  // sp-traffic: impressions of the hour
  int64_t clicks = 0;       // sp-traffic: clicks of the hour
  int64_t cost_micros = 0;  // sp-traffic: clicks * cpc_micros
  int64_t cpc_micros = 0;   // what each click cost: lets a correction remove clicks

  std::array<Order, kMaxOrders> orders{};  // sp-conversion: the attributed orders
  size_t order_count = 0;                  // how many of `orders` are used
};

// The attributed_* values of a conversion record, indexed like ams::kConversionMetrics.
std::array<int64_t, ams::kConversionMetricCount> ConversionMetrics(const GenRecord& record);

// A random version-4 UUID in lower-case hex: "9f1c2e7a-3b4d-4e5f-8a9b-0c1d2e3f4a5b".
std::string NewUuid(Random& random);

// Appends the record's flat JSON object, fields in the order AMS samples use, no newline.
// Money is written as a JSON number with two decimals ("cost":3.87).
void AppendRecordJson(const Catalog& catalog, const GenRecord& record, const LocalHour& hour,
                      std::string* out);

// Appends an SNS Notification envelope around `record_json` (a record's flat object),
// with the topic of AMS's account for the dataset in the marketplace's region.
// `timestamp_ms` becomes the envelope's Timestamp.
void AppendEnvelope(const Marketplace& marketplace, bool is_conversion,
                    std::string_view record_json, std::string_view message_id, int64_t timestamp_ms,
                    std::string* out);

}  // namespace amstream::gen
