#include "report_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace amstream::bench {
namespace {

// Width in terminal columns: every UTF-8 lead byte starts one character.
size_t DisplayWidth(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string Pad(const std::string& text, size_t width) {
  return text + std::string(width - std::min(width, DisplayWidth(text)), ' ');
}

}  // namespace

std::string Number(double value, int decimals) {
  if (!std::isfinite(value)) {
    return "n/a";
  }
  std::string text = fmt::format("{:.{}f}", std::fabs(value), decimals);
  size_t integer_end = text.find('.');
  if (integer_end == std::string::npos) {
    integer_end = text.size();
  }
  for (auto at = static_cast<ptrdiff_t>(integer_end) - 3; at > 0; at -= 3) {
    text.insert(static_cast<size_t>(at), ",");
  }
  return value < 0 ? "-" + text : text;
}

std::string Ratio(double value, double ceiling, const std::string& what) {
  if (ceiling <= 0) {
    return "";
  }
  return fmt::format("{:.2f} × {}", value / ceiling, what);
}

std::string RenderTable(const std::vector<TableRow>& rows) {
  std::array<std::string, 5> header = {"figure (median)", "value", "ratio", "target", "met"};
  std::vector<std::array<std::string, 5>> cells;
  for (const TableRow& row : rows) {
    std::string met = !row.met.has_value() ? "" : (*row.met ? "yes" : "NO");
    cells.push_back({row.figure, row.value, row.ratio, row.target, met});
  }
  std::array<size_t, 5> width{};
  for (size_t c = 0; c < width.size(); ++c) {
    width[c] = DisplayWidth(header[c]);
    for (const auto& line : cells) {
      width[c] = std::max(width[c], DisplayWidth(line[c]));
    }
  }
  auto render = [&width](const std::array<std::string, 5>& line) {
    std::string out = "|";
    for (size_t c = 0; c < line.size(); ++c) {
      out += " " + Pad(line[c], width[c]) + " |";
    }
    return out + "\n";
  };
  std::string out = render(header);
  out += "|";
  for (size_t w : width) {
    out += std::string(w + 2, '-') + "|";
  }
  out += "\n";
  for (const auto& line : cells) {
    out += render(line);
  }
  return out;
}

}  // namespace amstream::bench
