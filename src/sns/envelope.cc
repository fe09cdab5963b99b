#include "sns/envelope.h"

#include <fmt/format.h>

#include "common/time.h"

namespace amstream::sns {
namespace {

// Reads the string field `key` into `out`, empty when absent or not a string. Fails
// on a NUL character, which no store can keep in a text column.
Status ReadStringField(const json::Value& root, std::string_view key, std::string* out) {
  out->clear();
  std::optional<json::Value> value = root.Find(key);
  if (!value) {
    return Status::Ok();
  }
  Result<std::string_view> text = value->GetString();
  if (!text.ok()) {
    return Status::Ok();
  }
  if (text->find('\0') != std::string_view::npos) {
    return InvalidError(fmt::format("SNS {} contains a NUL character", key));
  }
  *out = *text;
  return Status::Ok();
}

Result<int64_t> TimestampField(const json::Value& root) {
  std::string text;
  AMSTREAM_RETURN_IF_ERROR(ReadStringField(root, "Timestamp", &text));
  if (text.empty()) {
    return int64_t{0};
  }
  Result<Timestamp> ts = ParseTimestamp(text);
  if (!ts.ok()) {
    return ts.status().WithContext("SNS Timestamp");
  }
  return ts->epoch_ms;
}

Result<Envelope> ReadNotification(const json::Value& root) {
  std::optional<json::Value> message = root.Find("Message");
  if (!message) {
    return InvalidError("SNS Notification without a Message");
  }
  Result<std::string_view> text = message->GetString();
  if (!text.ok()) {
    return InvalidError("SNS Notification: Message must be a JSON string, not an object");
  }
  Result<int64_t> timestamp = TimestampField(root);
  if (!timestamp.ok()) {
    return timestamp.status();
  }
  Notification n;
  AMSTREAM_RETURN_IF_ERROR(ReadStringField(root, "MessageId", &n.message_id));
  AMSTREAM_RETURN_IF_ERROR(ReadStringField(root, "TopicArn", &n.topic_arn));
  n.message = std::string(*text);
  n.timestamp_ms = *timestamp;
  return Envelope{std::move(n), std::nullopt};
}

Result<Envelope> ReadConfirmation(const json::Value& root, std::string type) {
  Confirmation c;
  c.type = std::move(type);
  AMSTREAM_RETURN_IF_ERROR(ReadStringField(root, "MessageId", &c.message_id));
  AMSTREAM_RETURN_IF_ERROR(ReadStringField(root, "TopicArn", &c.topic_arn));
  AMSTREAM_RETURN_IF_ERROR(ReadStringField(root, "Token", &c.token));
  AMSTREAM_RETURN_IF_ERROR(ReadStringField(root, "SubscribeURL", &c.subscribe_url));
  if (c.topic_arn.empty()) {
    return InvalidError(fmt::format("SNS {} without a TopicArn", c.type));
  }
  Result<int64_t> timestamp = TimestampField(root);
  if (!timestamp.ok()) {
    return timestamp.status();
  }
  c.timestamp_ms = *timestamp;
  return Envelope{std::nullopt, std::move(c)};
}

}  // namespace

Result<std::optional<Envelope>> ReadEnvelope(const json::Value& root) {
  std::optional<json::Value> type_value = root.Find("Type");
  if (!type_value) {
    return std::optional<Envelope>();
  }
  Result<std::string_view> type = type_value->GetString();
  if (!type.ok()) {
    return InvalidError("SNS Type must be a string");
  }
  Result<Envelope> envelope = [&]() -> Result<Envelope> {
    if (*type == "Notification") {
      return ReadNotification(root);
    }
    if (*type == "SubscriptionConfirmation" || *type == "UnsubscribeConfirmation") {
      return ReadConfirmation(root, std::string(*type));
    }
    return InvalidError(fmt::format("unknown SNS message Type {:.40}", *type));
  }();
  if (!envelope.ok()) {
    return envelope.status();
  }
  return std::optional<Envelope>(std::move(*envelope));
}

}  // namespace amstream::sns
