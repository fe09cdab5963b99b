// What a batch means before any SQL runs: the steps both stores share.
//
// PlanBatch sorts a batch's messages by kind, drops repeated idempotency ids and message
// ids inside the batch, and merges blog rows of one key, so the PostgreSQL and SQLite
// stores start from the same plan and report the same WriteStats for the same input.
// The plan points into the messages it was built from: keep them alive while using it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ams/message.h"
#include "store/store.h"

namespace amstream::store {

// One blog row after merging: the newest snapshot of (profile_id, campaign_id, date).
struct BlogSnapshot {
  std::string_view profile_id;    // points into the BlogEvent
  std::string_view dataset_type;  // points into the BlogEvent
  int64_t date_days = 0;          // days since 1970-01-01
  int64_t event_ms = 0;           // the event's time; the newer snapshot wins
  const ams::BlogRow* row = nullptr;
};

// A quarantine row, text already made storable (valid UTF-8, no NUL).
struct QuarantineEntry {
  std::string message_id;  // Delivery::message_id, or "sha256:<hex>" of the body if empty
  std::string sns_message_id;
  std::string reason;
  std::string body;
};

// A subscription control message to record, keyed by its SNS MessageId.
struct ConfirmationEntry {
  std::string message_id;  // the SNS MessageId, else the delivery's message id
  const sns::Confirmation* confirmation = nullptr;
  std::string body;  // storable text of the whole body
};

// A batch sorted by kind and de-duplicated within itself.
struct BatchPlan {
  // sp-traffic deltas with distinct idempotency ids, in batch order (later = newer).
  std::vector<const ams::TrafficRecord*> traffic;
  // sp-conversion deltas with distinct idempotency ids, in batch order.
  std::vector<const ams::ConversionRecord*> conversions;
  // One snapshot per blog key, sorted by (profile_id, campaign_id, date_days).
  std::vector<BlogSnapshot> blog;
  // One entry per message id, sorted by message id.
  std::vector<QuarantineEntry> quarantine;
  // One entry per message id, sorted by message id.
  std::vector<ConfirmationEntry> confirmations;
  // What the batch alone decides: repeated idempotency ids count as duplicates, and
  // blog rows superseded by a newer row of the same key in the batch count as stale.
  WriteStats stats;

  // Whether there is nothing to write (an empty batch).
  bool empty() const {
    return traffic.empty() && conversions.empty() && blog.empty() && quarantine.empty() &&
           confirmations.empty();
  }
};

// Builds the plan of `messages`. Within the batch the first delta of an idempotency id
// is kept; among blog rows of one key the greatest event_ms wins, ties going to the
// later row. Never fails.
BatchPlan PlanBatch(std::span<const ams::Message> messages);

// `text` as valid UTF-8 without NUL characters: each invalid byte and each NUL becomes
// U+FFFD. Returns the input unchanged when it already qualifies (the usual case).
std::string StorableText(std::string_view text);

// "2025-06-01T16:45:04.751Z": an instant with milliseconds, in UTC.
std::string FormatUtcMillis(int64_t epoch_ms);

// Logs the WARN line that tells the operator how to confirm a newly stored SNS
// subscription confirmation (never the body).
void LogNewConfirmation(const sns::Confirmation& confirmation);

}  // namespace amstream::store
