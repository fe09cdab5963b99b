#include "json/json.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cmath>
#include <new>

namespace amstream::json {

namespace dom = simdjson::dom;

static_assert(sizeof(dom::element) <= 16 && alignof(dom::element) <= 8,
              "json::Value's storage no longer fits simdjson's element");
static_assert(std::is_trivially_copyable_v<dom::element>);

namespace {

const dom::element& Element(const unsigned char* storage) {
  return *std::launder(reinterpret_cast<const dom::element*>(storage));
}

Status FromError(simdjson::error_code error, std::string_view what) {
  return InvalidError(fmt::format("{}: {}", what, simdjson::error_message(error)));
}

}  // namespace

Value::Value() { new (element_) dom::element(); }

Kind Value::kind() const {
  switch (Element(element_).type()) {
    case dom::element_type::OBJECT:
      return Kind::kObject;
    case dom::element_type::ARRAY:
      return Kind::kArray;
    case dom::element_type::STRING:
      return Kind::kString;
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
      return Kind::kInt;
    case dom::element_type::DOUBLE:
      return Kind::kDouble;
    case dom::element_type::BOOL:
      return Kind::kBool;
    case dom::element_type::NULL_VALUE:
      return Kind::kNull;
  }
  return Kind::kNull;
}

Result<std::string_view> Value::GetString() const {
  std::string_view out;
  if (auto error = Element(element_).get_string().get(out)) {
    return FromError(error, "expected a string");
  }
  return out;
}

Result<int64_t> Value::GetInt64() const {
  const dom::element& element = Element(element_);
  int64_t out = 0;
  if (!element.get_int64().get(out)) {
    return out;
  }
  double d = 0;
  // 2^63 as a double: anything at or beyond it does not fit.
  constexpr double kLimit = 9223372036854775808.0;
  if (!element.get_double().get(d) && std::trunc(d) == d && d > -kLimit && d < kLimit) {
    return static_cast<int64_t>(d);
  }
  if (element.is_number()) {
    return InvalidError("expected a whole number within 64 bits");
  }
  return InvalidError("expected a number");
}

Result<double> Value::GetDouble() const {
  double out = 0;
  if (auto error = Element(element_).get_double().get(out)) {
    return FromError(error, "expected a number");
  }
  return out;
}

Result<bool> Value::GetBool() const {
  bool out = false;
  if (auto error = Element(element_).get_bool().get(out)) {
    return FromError(error, "expected true or false");
  }
  return out;
}

std::optional<Value> Value::Find(std::string_view key) const {
  dom::object object;
  if (Element(element_).get_object().get(object)) {
    return std::nullopt;
  }
  dom::element found;
  if (object.at_key(key).get(found)) {
    return std::nullopt;
  }
  Value out;
  new (out.element_) dom::element(found);
  return out;
}

Status Value::ForEachField(const std::function<Status(std::string_view, const Value&)>& fn) const {
  dom::object object;
  if (auto error = Element(element_).get_object().get(object)) {
    return FromError(error, "expected an object");
  }
  for (dom::key_value_pair field : object) {
    Value value;
    new (value.element_) dom::element(field.value);
    AMSTREAM_RETURN_IF_ERROR(fn(field.key, value));
  }
  return Status::Ok();
}

Status Value::ForEachElement(const std::function<Status(const Value&)>& fn) const {
  dom::array array;
  if (auto error = Element(element_).get_array().get(array)) {
    return FromError(error, "expected an array");
  }
  for (dom::element element : array) {
    Value value;
    new (value.element_) dom::element(element);
    AMSTREAM_RETURN_IF_ERROR(fn(value));
  }
  return Status::Ok();
}

struct Parser::Impl {
  dom::parser parser;
};

Parser::Parser() : impl_(std::make_unique<Impl>()) {}
Parser::~Parser() = default;

Result<Value> Parser::Parse(std::string_view text) {
  if (impl_->parser.max_depth() != kMaxDepth || impl_->parser.capacity() < text.size()) {
    if (auto error = impl_->parser.allocate(std::max<size_t>(text.size(), 4096), kMaxDepth)) {
      return FromError(error, "invalid JSON");
    }
  }
  dom::element root;
  // parse() copies into its own padded buffer when the input is not padded.
  if (auto error = impl_->parser.parse(text.data(), text.size(), true).get(root)) {
    if (error == simdjson::NUMBER_ERROR) {
      // simdjson's message does not tell that numbers beyond 64 bits or a double land here.
      return InvalidError("invalid JSON: a number is malformed or out of range");
    }
    return FromError(error, "invalid JSON");
  }
  Value out;
  new (out.element_) dom::element(root);
  return out;
}

void AppendString(std::string* out, std::string_view text) {
  out->push_back('"');
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (u < 0x20) {
          fmt::format_to(std::back_inserter(*out), "\\u{:04x}", static_cast<unsigned>(u));
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

bool IsValidUtf8(std::string_view text) {
  return simdjson::validate_utf8(text.data(), text.size());
}

}  // namespace amstream::json
