// The one table the benchmark prints: each figure with its ratio to the ceiling it is
// compared with, its target and whether the target is met.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace amstream::bench {

struct TableRow {
  std::string figure;       // "amstream run: messages/s"
  std::string value;        // formatted median, with its unit
  std::string ratio;        // "0.93 of emulator ceiling", or "" when not compared
  std::string target;       // ">= 0.90 of ceiling", or ""
  std::optional<bool> met;  // unset when there is no target
};

// Formats `value` with `decimals` decimals and thousands separators ("12,345").
std::string Number(double value, int decimals = 0);

// "0.93 × <what>".
std::string Ratio(double value, double ceiling, const std::string& what);

// Renders the rows as an aligned Markdown table, ready for bench/README.md.
std::string RenderTable(const std::vector<TableRow>& rows);

}  // namespace amstream::bench
