#include "common/money.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace amstream {
namespace {

constexpr int64_t kMaxUnits = 9'000'000'000'000;  // keeps units * 1e6 inside int64

bool AllDigits(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  for (char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<int64_t> ParseMicros(std::string_view text) {
  std::string_view original = text;
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  int exponent = 0;
  if (auto e = text.find_first_of("eE"); e != std::string_view::npos) {
    std::string_view exp_text = text.substr(e + 1);
    if (!exp_text.empty() && exp_text.front() == '+') {
      exp_text.remove_prefix(1);
    }
    auto [ptr, ec] = std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
    if (ec != std::errc() || ptr != exp_text.data() + exp_text.size() || exponent > 30 ||
        exponent < -30) {
      return InvalidError("not a decimal amount: " + std::string(original));
    }
    text = text.substr(0, e);
  }
  std::string_view int_part = text;
  std::string_view frac_part;
  if (auto dot = text.find('.'); dot != std::string_view::npos) {
    int_part = text.substr(0, dot);
    frac_part = text.substr(dot + 1);
    if (!AllDigits(frac_part)) {
      return InvalidError("not a decimal amount: " + std::string(original));
    }
  }
  if (!AllDigits(int_part)) {
    return InvalidError("not a decimal amount: " + std::string(original));
  }

  // All digits in one string with the decimal point moved to its place: the value is
  // digits * 10^(point_shift).
  std::string digits(int_part);
  digits.append(frac_part);
  int point_shift = exponent - static_cast<int>(frac_part.size()) + 6;  // in micro-units
  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) {
    return int64_t{0};
  }
  digits.erase(0, first);

  int64_t value = 0;
  int round_digit = 0;
  if (point_shift >= 0) {
    if (digits.size() + static_cast<size_t>(point_shift) > 19) {
      return InvalidError("amount out of range: " + std::string(original));
    }
    digits.append(static_cast<size_t>(point_shift), '0');
  } else {
    size_t drop = static_cast<size_t>(-point_shift);
    if (drop >= digits.size() + 1) {
      return int64_t{0};
    }
    round_digit = drop <= digits.size() ? digits[digits.size() - drop] - '0' : 0;
    digits.resize(digits.size() - drop);
    if (digits.empty()) {
      digits = "0";
    }
    if (digits.size() > 19) {
      return InvalidError("amount out of range: " + std::string(original));
    }
  }
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || value > kMaxUnits * kMicrosPerUnit) {
    return InvalidError("amount out of range: " + std::string(original));
  }
  if (round_digit >= 5) {
    ++value;
  }
  return negative ? -value : value;
}

Result<int64_t> MicrosFromDouble(double value) {
  constexpr double kMaxMagnitude = 1e9;
  if (!std::isfinite(value) || value >= kMaxMagnitude || value <= -kMaxMagnitude) {
    return InvalidError("amount out of range (|x| < 1e9)");
  }
  return static_cast<int64_t>(std::llround(value * kMicrosPerUnit));
}

std::string FormatMicros(int64_t micros, int min_decimals) {
  bool negative = micros < 0;
  // Work in unsigned so that INT64_MIN has a magnitude.
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(micros) : static_cast<uint64_t>(micros);
  uint64_t units = magnitude / kMicrosPerUnit;
  uint64_t fraction = magnitude % kMicrosPerUnit;
  std::string frac = std::to_string(fraction);
  frac.insert(0, 6 - frac.size(), '0');
  while (static_cast<int>(frac.size()) > min_decimals && frac.back() == '0') {
    frac.pop_back();
  }
  std::string out = negative ? "-" : "";
  out += std::to_string(units);
  if (!frac.empty()) {
    out += '.';
    out += frac;
  }
  return out;
}

}  // namespace amstream
