#include "report/format.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <limits>
#include <map>

#include "common/money.h"
#include "json/json.h"

namespace amstream::report {
namespace {

__extension__ using Int128 = __int128;

constexpr int64_t kCentMicros = 10'000;  // 0.01 in micro-units
constexpr size_t kColumnCount = 13;

struct Column {
  std::string_view name;
  bool is_text;  // left-aligned and a JSON string; numbers are right-aligned
};

constexpr std::array<Column, kColumnCount> kColumns = {{
    {"date", true},
    {"advertiser_id", true},
    {"campaign_id", true},
    {"currency", true},
    {"impressions", false},
    {"clicks", false},
    {"cost", false},
    {"ctr", false},
    {"cpc", false},
    {"conversions", false},
    {"sales", false},
    {"acos", false},
    {"roas", false},
}};

// One row as text, in column order; nullopt for an undefined ratio.
using Cells = std::array<std::optional<std::string>, kColumnCount>;

// numerator * scale / denominator, rounded half away from zero, computed in 128 bits.
std::optional<int64_t> ScaledRatio(int64_t numerator, int64_t denominator, int64_t scale) {
  if (denominator == 0) {
    return std::nullopt;
  }
  Int128 product = static_cast<Int128>(numerator) * scale;
  Int128 quotient = product / denominator;
  Int128 remainder = product % denominator;
  Int128 twice_remainder = 2 * (remainder < 0 ? -remainder : remainder);
  if (twice_remainder >= (denominator < 0 ? -static_cast<Int128>(denominator) : denominator)) {
    quotient += (product < 0) != (denominator < 0) ? -1 : 1;
  }
  if (quotient > std::numeric_limits<int64_t>::max() ||
      quotient < std::numeric_limits<int64_t>::min()) {
    return std::nullopt;
  }
  return static_cast<int64_t>(quotient);
}

// Rounds micro-units half away from zero to two decimals; values within a cent of the
// int64 limits stay as they are.
int64_t RoundToCents(int64_t micros) {
  int64_t cents = micros / kCentMicros;
  if (2 * std::abs(micros % kCentMicros) >= kCentMicros) {
    cents += micros < 0 ? -1 : 1;
  }
  constexpr int64_t kLimit = std::numeric_limits<int64_t>::max() / kCentMicros;
  return cents > kLimit || cents < -kLimit ? micros : cents * kCentMicros;
}

// Table cells round to two decimals and mark percentages; CSV and JSON keep every digit.
Cells CellsOf(const store::ReportRow& row, bool exact) {
  auto decimal = [exact](int64_t micros) {
    return FormatMicros(exact ? micros : RoundToCents(micros), 2);
  };
  auto ratio = [&](std::optional<int64_t> micros, bool percent) -> std::optional<std::string> {
    if (!micros) {
      return std::nullopt;
    }
    return decimal(*micros) + (percent && !exact ? "%" : "");
  };
  Ratios ratios = ComputeRatios(row);
  return {row.bucket,
          row.advertiser_id,
          row.campaign_id,
          row.currency,
          std::to_string(row.impressions),
          std::to_string(row.clicks),
          decimal(row.cost_micros),
          ratio(ratios.ctr_percent_micros, true),
          ratio(ratios.cpc_micros, false),
          std::to_string(row.conversions),
          decimal(row.sales_micros),
          ratio(ratios.acos_percent_micros, true),
          ratio(ratios.roas_micros, false)};
}

std::string_view FirstColumnName(const Layout& layout) { return layout.by_hour ? "hour" : "date"; }

// Control characters (C0 and DEL) become '?' so that a value cannot drive the terminal.
std::string Printable(std::string_view text) {
  std::string out(text);
  std::replace_if(
      out.begin(), out.end(),
      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == '\x7f'; }, '?');
  return out;
}

// Characters, not bytes: UTF-8 continuation bytes take no column.
size_t DisplayWidth(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

std::vector<Cells> TotalsPerCurrency(const std::vector<store::ReportRow>& rows) {
  std::map<std::string, store::ReportRow> sums;
  for (const store::ReportRow& row : rows) {
    store::ReportRow& sum = sums[row.currency];
    sum.bucket = "total";
    sum.currency = row.currency;
    sum.impressions += row.impressions;
    sum.clicks += row.clicks;
    sum.cost_micros += row.cost_micros;
    sum.conversions += row.conversions;
    sum.sales_micros += row.sales_micros;
  }
  std::vector<Cells> totals;
  for (const auto& [currency, sum] : sums) {
    totals.push_back(CellsOf(sum, false));
  }
  return totals;
}

std::string TableLine(const Cells& cells, const std::array<size_t, kColumnCount>& widths) {
  std::string line;
  for (size_t i = 0; i < kColumnCount; ++i) {
    std::string text = Printable(cells[i].value_or(""));
    std::string padding(widths[i] - DisplayWidth(text), ' ');
    line += i == 0 ? "" : "  ";
    line += kColumns[i].is_text ? text + padding : padding + text;
  }
  line.erase(line.find_last_not_of(' ') + 1);
  return line + "\n";
}

std::string RuleLine(const std::array<size_t, kColumnCount>& widths) {
  std::string line;
  for (size_t i = 0; i < kColumnCount; ++i) {
    line += (i == 0 ? "" : "  ") + std::string(widths[i], '-');
  }
  return line + "\n";
}

// RFC 4180: quote a field holding a comma, quote, CR or LF, doubling inner quotes.
std::string CsvField(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    return std::string(text);
  }
  std::string out = "\"";
  for (char c : text) {
    out += c == '"' ? "\"\"" : std::string(1, c);
  }
  return out + "\"";
}

}  // namespace

Ratios ComputeRatios(const store::ReportRow& row) {
  Ratios ratios;
  ratios.ctr_percent_micros = ScaledRatio(row.clicks, row.impressions, 100 * kMicrosPerUnit);
  ratios.cpc_micros = ScaledRatio(row.cost_micros, row.clicks, 1);
  ratios.acos_percent_micros = ScaledRatio(row.cost_micros, row.sales_micros, 100 * kMicrosPerUnit);
  ratios.roas_micros = ScaledRatio(row.sales_micros, row.cost_micros, kMicrosPerUnit);
  return ratios;
}

Result<Format> ParseFormat(std::string_view name) {
  if (name == "table") {
    return Format::kTable;
  }
  if (name == "csv") {
    return Format::kCsv;
  }
  if (name == "json") {
    return Format::kJson;
  }
  return InvalidError("unknown report format \"" + std::string(name) +
                      "\" (expected table, csv or json)");
}

std::string RenderTable(const std::vector<store::ReportRow>& rows, const Layout& layout) {
  Cells header;
  for (size_t i = 0; i < kColumnCount; ++i) {
    header[i] = std::string(i == 0 ? FirstColumnName(layout) : kColumns[i].name);
  }
  std::vector<Cells> body;
  for (const store::ReportRow& row : rows) {
    body.push_back(CellsOf(row, false));
  }
  std::vector<Cells> totals = TotalsPerCurrency(rows);

  std::array<size_t, kColumnCount> widths{};
  for (const std::vector<Cells>* group : {&body, &totals}) {
    for (const Cells& cells : *group) {
      for (size_t i = 0; i < kColumnCount; ++i) {
        widths[i] = std::max(widths[i], DisplayWidth(Printable(cells[i].value_or(""))));
      }
    }
  }
  for (size_t i = 0; i < kColumnCount; ++i) {
    widths[i] = std::max(widths[i], DisplayWidth(*header[i]));
  }

  std::string out = TableLine(header, widths) + RuleLine(widths);
  for (const Cells& cells : body) {
    out += TableLine(cells, widths);
  }
  out += rows.empty() ? "(no rows)\n" : RuleLine(widths);
  for (const Cells& cells : totals) {
    out += TableLine(cells, widths);
  }
  return out + "conversions and sales: " + layout.attribution_window + " attribution window\n";
}

std::string RenderCsv(const std::vector<store::ReportRow>& rows, const Layout& layout) {
  std::string out(FirstColumnName(layout));
  for (size_t i = 1; i < kColumnCount; ++i) {
    out.append(",").append(kColumns[i].name);
  }
  out += ",attribution_window\r\n";
  for (const store::ReportRow& row : rows) {
    Cells cells = CellsOf(row, true);
    for (size_t i = 0; i < kColumnCount; ++i) {
      out += (i == 0 ? "" : ",") + CsvField(cells[i].value_or(""));
    }
    out += "," + CsvField(layout.attribution_window) + "\r\n";
  }
  return out;
}

std::string RenderJson(const std::vector<store::ReportRow>& rows, const Layout& layout) {
  if (rows.empty()) {
    return "[]\n";
  }
  std::string out = "[\n";
  for (size_t r = 0; r < rows.size(); ++r) {
    Cells cells = CellsOf(rows[r], true);
    out += "  {";
    for (size_t i = 0; i < kColumnCount; ++i) {
      out += i == 0 ? "" : ",";
      json::AppendString(&out, i == 0 ? FirstColumnName(layout) : kColumns[i].name);
      out += ":";
      if (!cells[i]) {
        out += "null";
      } else if (kColumns[i].is_text) {
        json::AppendString(&out, *cells[i]);
      } else {
        out += *cells[i];
      }
    }
    out += ",\"attribution_window\":";
    json::AppendString(&out, layout.attribution_window);
    out += r + 1 < rows.size() ? "},\n" : "}\n";
  }
  return out + "]\n";
}

std::string Render(Format format, const std::vector<store::ReportRow>& rows, const Layout& layout) {
  switch (format) {
    case Format::kCsv:
      return RenderCsv(rows, layout);
    case Format::kJson:
      return RenderJson(rows, layout);
    case Format::kTable:
      break;
  }
  return RenderTable(rows, layout);
}

}  // namespace amstream::report
