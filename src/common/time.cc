#include "common/time.h"

#include <fmt/format.h>

namespace amstream {
namespace {

// Reads exactly `width` digits at `pos`; false if they are not all digits.
bool ReadDigits(std::string_view text, size_t pos, size_t width, int64_t* out) {
  if (pos + width > text.size()) {
    return false;
  }
  int64_t value = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + (c - '0');
  }
  *out = value;
  return true;
}

struct Civil {
  int64_t year;
  unsigned month;
  unsigned day;
};

// Inverse of DaysFromCivil (Howard Hinnant's well-known algorithm).
Civil CivilFromDays(int64_t z) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  auto doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned d = doy - (153 * mp + 2) / 5 + 1;
  unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2 ? 1 : 0), m, d};
}

bool ValidDate(int64_t year, int64_t month, int64_t day) {
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1) {
    return false;
  }
  if (day > kDays[month - 1]) {
    return false;
  }
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return !(month == 2 && day == 29 && !leap);
}

}  // namespace

int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  int64_t era = (year >= 0 ? year : year - 399) / 400;
  auto yoe = static_cast<unsigned>(year - era * 400);
  unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

Result<int64_t> ParseDate(std::string_view text) {
  int64_t year = 0, month = 0, day = 0;
  if (text.size() != 10 || !ReadDigits(text, 0, 4, &year) || text[4] != '-' ||
      !ReadDigits(text, 5, 2, &month) || text[7] != '-' || !ReadDigits(text, 8, 2, &day) ||
      !ValidDate(year, month, day)) {
    return InvalidError(fmt::format("not a date (YYYY-MM-DD): {:.40}", text));
  }
  return DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
}

Result<Timestamp> ParseTimestamp(std::string_view text) {
  auto invalid = [&] {
    return InvalidError(fmt::format("not an ISO 8601 timestamp: {:.40}", text));
  };
  int64_t hour = 0, minute = 0, second = 0;
  if (text.size() < 20) {
    return invalid();
  }
  Result<int64_t> days = ParseDate(text.substr(0, 10));
  if (!days.ok() || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
      !ReadDigits(text, 11, 2, &hour) || text[13] != ':' || !ReadDigits(text, 14, 2, &minute) ||
      text[16] != ':' || !ReadDigits(text, 17, 2, &second) || hour > 23 || minute > 59 ||
      second > 60) {
    return invalid();
  }
  size_t pos = 19;
  int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) {
        millis = millis * 10 + (text[pos] - '0');
      }
      ++digits;
      ++pos;
    }
    if (digits == 0) {
      return invalid();
    }
    for (size_t i = digits; i < 3; ++i) {
      millis *= 10;
    }
  }
  Timestamp out;
  std::string_view zone = text.substr(pos);
  if (zone == "Z" || zone == "z") {
    out.utc_offset_minutes = 0;
  } else {
    int64_t oh = 0, om = 0;
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || !ReadDigits(zone, 1, 2, &oh) ||
        zone[3] != ':' || !ReadDigits(zone, 4, 2, &om) || oh > 23 || om > 59) {
      return invalid();
    }
    out.utc_offset_minutes = static_cast<int32_t>((zone[0] == '-' ? -1 : 1) * (oh * 60 + om));
  }
  int64_t local_seconds = *days * 86400 + hour * 3600 + minute * 60 + second;
  out.epoch_ms = (local_seconds - int64_t{out.utc_offset_minutes} * 60) * 1000 + millis;
  return out;
}

std::string FormatUtc(int64_t epoch_ms) {
  int64_t seconds = epoch_ms >= 0 ? epoch_ms / 1000 : (epoch_ms - 999) / 1000;
  int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  int64_t rem = seconds - days * 86400;
  Civil c = CivilFromDays(days);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z", c.year, c.month, c.day,
                     rem / 3600, rem / 60 % 60, rem % 60);
}

std::string FormatDate(int64_t days) {
  Civil c = CivilFromDays(days);
  return fmt::format("{:04d}-{:02d}-{:02d}", c.year, c.month, c.day);
}

}  // namespace amstream
