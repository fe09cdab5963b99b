// Classification: what a message body is, decided before anything is stored.
//
// Every body becomes exactly one Content: a typed record, a blog event, an SNS
// subscription control message, or Quarantined with a one-line reason. Nothing here
// fails: a body that cannot be understood is quarantined, never dropped.
#pragma once

#include "ams/message.h"
#include "json/json.h"

namespace amstream::ams {

// Bodies above this size are quarantined unread (real AMS bodies are under 256 KiB).
inline constexpr size_t kMaxBodyBytes = 1 << 20;

// Holds the parsers it reuses between bodies. Not thread-safe: one per thread.
class Classifier {
 public:
  // Classifies `delivery.body` and moves the delivery into the returned Message.
  Message Classify(Delivery delivery);

 private:
  Content ClassifyDocument(const json::Value& root, int64_t event_ms);

  json::Parser outer_;
  json::Parser inner_;
};

// Reads a raw sp-traffic record; kInvalid names the offending field.
Result<TrafficRecord> ReadTraffic(const json::Value& root);

// Reads a raw sp-conversion record; kInvalid names the offending field.
Result<ConversionRecord> ReadConversion(const json::Value& root);

// Reads a blog-format event {datasetType, profileId, date, records[]}.
Result<BlogEvent> ReadBlogEvent(const json::Value& root, int64_t event_ms);

}  // namespace amstream::ams
