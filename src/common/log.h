// Structured logging: one logfmt line per event on standard error.
//
//   ts=2026-12-04T10:00:00.123Z level=info logger=pipeline msg="stopped" received=120
//
// Keys are fixed (ts, level, logger, msg) plus fields the caller adds. Bodies and
// credentials are never passed here. Thread-safe: lines from threads never interleave.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>

namespace amstream::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError };

// Parses "trace", "debug", "info", "warn" or "error"; false if it is none of them.
bool ParseLevel(std::string_view text, Level* level);

// Lines below `level` are dropped. Default: info.
void SetLevel(Level level);
bool Enabled(Level level);

// One key=value pair of a log line. Values are quoted when they need it.
struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  template <std::integral T>
  Field(std::string_view k, T v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, double v);

  std::string_view key;
  std::string value;
};

void Write(Level level, std::string_view logger, std::string_view msg,
           std::initializer_list<Field> fields = {});

inline void Trace(std::string_view logger, std::string_view msg,
                  std::initializer_list<Field> fields = {}) {
  if (Enabled(Level::kTrace)) Write(Level::kTrace, logger, msg, fields);
}
inline void Debug(std::string_view logger, std::string_view msg,
                  std::initializer_list<Field> fields = {}) {
  if (Enabled(Level::kDebug)) Write(Level::kDebug, logger, msg, fields);
}
inline void Info(std::string_view logger, std::string_view msg,
                 std::initializer_list<Field> fields = {}) {
  Write(Level::kInfo, logger, msg, fields);
}
inline void Warn(std::string_view logger, std::string_view msg,
                 std::initializer_list<Field> fields = {}) {
  Write(Level::kWarn, logger, msg, fields);
}
inline void Error(std::string_view logger, std::string_view msg,
                  std::initializer_list<Field> fields = {}) {
  Write(Level::kError, logger, msg, fields);
}

// Lets one kind of repeated event through at most once per interval, and counts
// what it held back so the next line can say so. Thread-safe.
class RateLimit {
 public:
  explicit RateLimit(std::chrono::milliseconds interval) : interval_(interval) {}

  // True if a line may be written now; `*suppressed` is how many were held back since.
  bool Allow(int64_t* suppressed);

 private:
  std::mutex mu_;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point last_{};
  int64_t suppressed_ = 0;
};

}  // namespace amstream::log
