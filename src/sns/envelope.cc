#include "sns/envelope.h"

#include <fmt/format.h>

#include "common/time.h"

namespace amstream::sns {
namespace {

std::string StringField(const json::Value& root, std::string_view key) {
  std::optional<json::Value> value = root.Find(key);
  if (!value) {
    return {};
  }
  Result<std::string_view> text = value->GetString();
  return text.ok() ? std::string(*text) : std::string();
}

Result<int64_t> TimestampField(const json::Value& root) {
  std::string text = StringField(root, "Timestamp");
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
  n.message_id = StringField(root, "MessageId");
  n.topic_arn = StringField(root, "TopicArn");
  n.message = std::string(*text);
  n.timestamp_ms = *timestamp;
  return Envelope{std::move(n), std::nullopt};
}

Result<Envelope> ReadConfirmation(const json::Value& root, std::string type) {
  Confirmation c;
  c.type = std::move(type);
  c.message_id = StringField(root, "MessageId");
  c.topic_arn = StringField(root, "TopicArn");
  c.token = StringField(root, "Token");
  c.subscribe_url = StringField(root, "SubscribeURL");
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
