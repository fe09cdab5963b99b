// One message from the queue (or one line of a file) and what its body turned out to be.
//
// The pipeline fills a Delivery, Classify (ams/classify.h) turns its body into a
// ParsedBody, and the store writes a span of Messages in one transaction.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "ams/record.h"
#include "sns/confirmation.h"

namespace amstream::ams {

// A body exactly as it arrived, with the queue's facts about it.
struct Delivery {
  // SQS MessageId; for file ingest "sha256:<hex of the body>", so that re-ingesting a
  // file finds the same ids.
  std::string message_id;
  std::string receipt_handle;     // empty outside SQS
  int64_t sent_timestamp_ms = 0;  // SQS SentTimestamp; 0 when unknown
  int32_t receive_count = 0;      // SQS ApproximateReceiveCount; 0 when unknown
  std::string body;
};

// A body that cannot be stored as data. It is written to the quarantine table with the
// reason, then deleted from the queue like any stored message.
struct Quarantined {
  std::string reason;  // one line, e.g. "sp-traffic: field clicks: expected a number"
};

// A subscription control message; stored and reported to the operator.
using Confirmation = sns::Confirmation;

using Content = std::variant<Quarantined, TrafficRecord, ConversionRecord, BlogEvent, Confirmation>;

struct Message {
  Delivery delivery;
  std::string sns_message_id;  // the envelope's MessageId when the body was enveloped
  Content content;
};

}  // namespace amstream::ams
