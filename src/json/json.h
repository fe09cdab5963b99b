// JSON reading and writing for the whole program; the only folder that touches simdjson.
//
// Documents are parsed whole and validated (simdjson's DOM API, which picks the fastest
// kernel for the CPU at run time); a Value is a small handle into the parsed document.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace amstream::json {

enum class Kind { kObject, kArray, kString, kInt, kDouble, kBool, kNull };

// A handle to one value of a parsed document. Cheap to copy; valid until its parser
// parses the next document.
class Value {
 public:
  Value();

  Kind kind() const;
  bool is_null() const { return kind() == Kind::kNull; }

  // The unescaped string; the view lives as long as the document.
  Result<std::string_view> GetString() const;
  // An integer, or a number with no fractional part that fits in 64 bits.
  Result<int64_t> GetInt64() const;
  Result<double> GetDouble() const;
  Result<bool> GetBool() const;

  // The field `key` of an object; nullopt if this is not an object or has no such field.
  std::optional<Value> Find(std::string_view key) const;

  // Calls `fn` for each field of an object in document order; stops at the first failure.
  Status ForEachField(const std::function<Status(std::string_view key, const Value&)>& fn) const;
  // Calls `fn` for each element of an array, in order.
  Status ForEachElement(const std::function<Status(const Value&)>& fn) const;

 private:
  friend class Parser;
  // Storage for simdjson's element handle, kept opaque so that only json.cc compiles
  // the simdjson header.
  alignas(8) unsigned char element_[16];
};

// Reuses its buffers across documents. Not thread-safe: one parser per thread.
class Parser {
 public:
  // Documents nested deeper than this are rejected as invalid.
  static constexpr size_t kMaxDepth = 64;

  Parser();
  ~Parser();
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  // Parses and fully validates `text`; the root stays valid until the next Parse.
  // Malformed JSON, invalid UTF-8 or nesting deeper than kMaxDepth fail with kInvalid.
  Result<Value> Parse(std::string_view text);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Appends `text` to `out` as a quoted JSON string, escaping what JSON requires.
void AppendString(std::string* out, std::string_view text);

// Whether `text` is valid UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view text);

}  // namespace amstream::json
