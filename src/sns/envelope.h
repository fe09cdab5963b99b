// SNS JSON documents as they reach an SQS queue: Notification envelopes around a
// record, and subscription control messages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"
#include "json/json.h"
#include "sns/confirmation.h"

namespace amstream::sns {

// A Notification: the record travels as a JSON *string* in `message`.
struct Notification {
  std::string message_id;
  std::string topic_arn;
  std::string message;       // the inner document, still to be parsed
  int64_t timestamp_ms = 0;  // SNS Timestamp; 0 if absent
};

// What an SNS document in the queue is.
struct Envelope {
  std::optional<Notification> notification;
  std::optional<Confirmation> confirmation;
};

// Reads `root` as an SNS document if it has a string field "Type". Returns nullopt for
// documents that are not SNS (no "Type"), and kInvalid for SNS documents that are
// malformed: an unknown Type, a Message that is not a string, a missing TopicArn, a
// string field holding a NUL character.
Result<std::optional<Envelope>> ReadEnvelope(const json::Value& root);

}  // namespace amstream::sns
