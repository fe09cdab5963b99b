// What a correct consumer must store after ingesting a generated set of bodies.
//
// The generator adds every record it emits under a new idempotency_id (originals,
// restatements, corrections) and leaves out exact re-sends, so these are the sums of
// ams.md §3.1. Money is kept, and written, as integer micro-units: exact at any size.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "ams/record.h"
#include "common/status.h"

namespace amstream::gen {

// How many bodies of each kind the generator emitted.
struct EmissionCounts {
  int64_t bodies = 0;        // every line written, duplicates included
  int64_t originals = 0;     // first sends of new records
  int64_t duplicates = 0;    // exact re-sends (same body, same idempotency_id)
  int64_t restatements = 0;  // same metrics as an earlier record under a new id
  int64_t corrections = 0;   // negative deltas under a new id
  int64_t envelopes = 0;     // bodies wrapped in an SNS Notification
  // Field by field.
  bool operator==(const EmissionCounts&) const = default;
};

// Sums over distinct sp-traffic records.
struct TrafficTotals {
  int64_t records = 0;      // distinct idempotency ids
  int64_t impressions = 0;  // sum of impressions
  int64_t clicks = 0;       // sum of clicks
  int64_t cost_micros = 0;  // sum of cost
  // Field by field.
  bool operator==(const TrafficTotals&) const = default;
};

// Sums over distinct sp-conversion records; money metrics in micro-units.
struct ConversionTotals {
  int64_t records = 0;                                         // distinct idempotency ids
  std::array<int64_t, ams::kConversionMetricCount> metrics{};  // as ams::kConversionMetrics
  // Field by field.
  bool operator==(const ConversionTotals&) const = default;
};

// One advertiser's local day, the grouping of `amstream report`.
struct DayKey {
  std::string advertiser_id;  // as in the records
  std::string date;           // "2025-06-01" in the advertiser's time zone
  // By advertiser, then date.
  auto operator<=>(const DayKey&) const = default;
};

// The per-day sums a report shows, with the 7-day attribution window.
struct DayTotals {
  int64_t impressions = 0;      // sum of impressions
  int64_t clicks = 0;           // sum of clicks
  int64_t cost_micros = 0;      // sum of cost
  int64_t conversions_7d = 0;   // sum of attributed_conversions_7d
  int64_t sales_7d_micros = 0;  // sum of attributed_sales_7d
  // Field by field.
  bool operator==(const DayTotals&) const = default;
};

// Totals a generator run promises; small (one entry per advertiser and day).
struct ExpectedTotals {
  EmissionCounts counts;             // what was written, duplicates included
  TrafficTotals traffic;             // over every advertiser and hour
  ConversionTotals conversion;       // over every advertiser and hour
  std::map<DayKey, DayTotals> days;  // per advertiser and local day

  // Adds one distinct sp-traffic record of `day`.
  void AddTraffic(const DayKey& day, int64_t impressions, int64_t clicks, int64_t cost_micros);
  // Adds one distinct sp-conversion record of `day`.
  void AddConversion(const DayKey& day,
                     const std::array<int64_t, ams::kConversionMetricCount>& metrics);

  // A pretty-printed JSON document ending in a newline; money fields end in "_micros".
  std::string ToJson() const;
  // Reads what ToJson wrote. Fails with kInvalid on malformed JSON or a missing field.
  static Result<ExpectedTotals> FromJson(std::string_view text);

  // Field by field.
  bool operator==(const ExpectedTotals&) const = default;
};

}  // namespace amstream::gen
