// Rendering of `amstream report` rows: an aligned table for a terminal, CSV and JSON.
//
// Ratios (CTR, CPC, ACOS, ROAS) are computed from the integer sums with exact integer
// arithmetic, so every format shows the same digits; a ratio whose denominator is zero
// is undefined and shown empty (table, CSV) or null (JSON). CTR and ACOS are percentages
// in every format. Money never passes through a double.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/store.h"

namespace amstream::report {

// How the rows were produced, which names the first column and the conversion window.
struct Layout {
  bool by_hour = false;                   // first column "hour" instead of "date"
  std::string attribution_window = "7d";  // the window of conversions and sales
};

// A row's derived ratios in millionths (value * 10^6, rounded half away from zero);
// nullopt where the denominator is zero or the result does not fit in 64 bits.
struct Ratios {
  std::optional<int64_t> ctr_percent_micros;   // 100 * clicks / impressions
  std::optional<int64_t> cpc_micros;           // cost / clicks, in money micro-units
  std::optional<int64_t> acos_percent_micros;  // 100 * cost / sales
  std::optional<int64_t> roas_micros;          // sales / cost
};

// The ratios of one row (or of a totals row).
Ratios ComputeRatios(const store::ReportRow& row);

// The output formats of `amstream report`.
enum class Format { kTable, kCsv, kJson };

// "table", "csv" or "json"; anything else fails with kInvalid.
Result<Format> ParseFormat(std::string_view name);

// An aligned table: a header, one line per row with numbers right-aligned, money and
// percentages with two decimals, then one totals line per currency (sums in different
// currencies are never added) and a note naming the attribution window. Control
// characters in text cells are shown as '?', so data cannot move the terminal's cursor.
std::string RenderTable(const std::vector<store::ReportRow>& rows, const Layout& layout);

// RFC 4180 CSV: a header row, then one record per row, CRLF line ends, fields quoted only
// when they hold a comma, quote, CR or LF. Numbers are plain ("1234.5" style, no
// grouping, no '%'); money and ratios keep up to six exact decimals. A last column
// names the attribution window. No totals.
std::string RenderCsv(const std::vector<store::ReportRow>& rows, const Layout& layout);

// A JSON array with one object per row, one object per line. Counts, money and ratios are
// JSON numbers written from exact decimals (money like 6.77, never 6.7699999); undefined
// ratios are null. Each object names its attribution_window. No totals.
std::string RenderJson(const std::vector<store::ReportRow>& rows, const Layout& layout);

// Renders `rows` in `format`.
std::string Render(Format format, const std::vector<store::ReportRow>& rows, const Layout& layout);

}  // namespace amstream::report
