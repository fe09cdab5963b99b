// Status and Result: how expected failures travel between folders.
//
// A failure carries a Code that tells the caller what to do next (quarantine, retry,
// back off, give up), and one human-readable line. No exception crosses a folder:
// adapters around throwing libraries convert to Status at their edge.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace amstream {

enum class Code {
  kOk,
  // The input can never succeed (bad body, bad value): quarantine it, do not retry.
  kInvalid,
  // A server or connection is down or timed out: retry with backoff.
  kUnavailable,
  // The server asked us to slow down: retry with a longer backoff.
  kThrottled,
  // A transaction lost a race (serialization failure, deadlock): retry it now.
  kAborted,
  // The outcome of a commit is unknown (connection lost during COMMIT).
  kUnknownOutcome,
  // The named thing (queue, table, file) does not exist.
  kNotFound,
  // Credentials are missing, wrong or lack a permission: an operator must act.
  kPermissionDenied,
  // Configuration is wrong: an operator must act.
  kConfig,
  // The operation was stopped on purpose (shutdown).
  kCancelled,
  // A bug or an unexpected library failure.
  kInternal,
};

// Short lower-case name of a code, as used in log lines ("unavailable").
std::string_view CodeName(Code code);

// Whether an operation that failed with `code` may succeed if tried again later.
bool IsRetryable(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "unavailable: connection refused", or "ok".
  std::string ToString() const;

  // Prefixes the message with what was being done: "reading config: ...".
  Status WithContext(std::string_view context) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidError(std::string message) { return {Code::kInvalid, std::move(message)}; }
inline Status UnavailableError(std::string message) {
  return {Code::kUnavailable, std::move(message)};
}
inline Status InternalError(std::string message) { return {Code::kInternal, std::move(message)}; }
inline Status ConfigError(std::string message) { return {Code::kConfig, std::move(message)}; }

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace amstream

// Returns early from the enclosing function when `expr` yields a failed Status.
#define AMSTREAM_RETURN_IF_ERROR(expr)            \
  do {                                            \
    ::amstream::Status amstream_status_ = (expr); \
    if (!amstream_status_.ok()) {                 \
      return amstream_status_;                    \
    }                                             \
  } while (false)
