#include "common/status.h"

namespace amstream {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kInvalid:
      return "invalid";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kThrottled:
      return "throttled";
    case Code::kAborted:
      return "aborted";
    case Code::kUnknownOutcome:
      return "unknown-outcome";
    case Code::kNotFound:
      return "not-found";
    case Code::kPermissionDenied:
      return "permission-denied";
    case Code::kConfig:
      return "config";
    case Code::kCancelled:
      return "cancelled";
    case Code::kInternal:
      return "internal";
  }
  return "internal";
}

bool IsRetryable(Code code) {
  switch (code) {
    case Code::kUnavailable:
    case Code::kThrottled:
    case Code::kAborted:
    case Code::kUnknownOutcome:
      return true;
    default:
      return false;
  }
}

std::string Status::ToString() const {
  if (ok()) {
    return "ok";
  }
  std::string out(CodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) {
    return *this;
  }
  std::string message(context);
  message += ": ";
  message += message_;
  return Status(code_, std::move(message));
}

}  // namespace amstream
