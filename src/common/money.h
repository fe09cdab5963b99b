// Exact decimal amounts as integer micro-units (millionths of a currency unit).
//
// AMS sends money as JSON doubles ("3.87"). Turning each into an integer count of
// micro-units once, at parse time, keeps sums exact in every store: SQLite has no
// decimal type, and PostgreSQL's NUMERIC receives the same digits from FormatMicros.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace amstream {

inline constexpr int kMicrosPerUnit = 1'000'000;

// Parses a JSON number literal ("3.87", "-0.97", "12", "1.5e2") into micro-units,
// rounding half away from zero beyond the sixth decimal. Fails with kInvalid for text
// that is not a number or whose value does not fit in ±9.2e12 units.
Result<int64_t> ParseMicros(std::string_view text);

// Converts a JSON number read as a double into micro-units. Exact for every decimal
// literal of at most six decimals below 10^9 in magnitude (the double nearest to the
// literal, times 10^6, is within 0.001 of an integer there); larger magnitudes fail
// with kInvalid rather than lose cents.
Result<int64_t> MicrosFromDouble(double value);

// Formats micro-units as a plain decimal with at least `min_decimals` and at most six
// decimals: FormatMicros(3870000, 2) == "3.87", FormatMicros(-500, 2) == "-0.0005".
std::string FormatMicros(int64_t micros, int min_decimals = 2);

}  // namespace amstream
