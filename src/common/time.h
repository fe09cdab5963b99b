// ISO 8601 timestamps as AMS and SNS write them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace amstream {

// An instant plus the UTC offset it was written with.
struct Timestamp {
  int64_t epoch_ms = 0;            // the instant, milliseconds since 1970-01-01T00:00:00Z
  int32_t utc_offset_minutes = 0;  // -07:00 is -420; Z is 0
};

// Parses "2025-06-01T10:00:00-07:00", "2025-06-01T19:12:45.123Z" and the like.
// Fractions beyond milliseconds are truncated. Fails with kInvalid otherwise.
Result<Timestamp> ParseTimestamp(std::string_view text);

// Parses a calendar date "2025-06-01" into days since 1970-01-01.
Result<int64_t> ParseDate(std::string_view text);

// "2025-06-01T17:00:00Z" for the instant (seconds precision).
std::string FormatUtc(int64_t epoch_ms);

// "2025-06-01" for the given days since 1970-01-01.
std::string FormatDate(int64_t days);

// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

}  // namespace amstream
