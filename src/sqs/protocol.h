// SQS's AWS JSON 1.0 protocol as text: the request bodies amstream sends, the answers it
// reads, and the mapping of AWS errors to Status codes.
//
// Everything here is a pure function of its arguments, so unit tests feed it canned
// answers; sqs_client.h does the signing and sending. Thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ams/message.h"
#include "common/status.h"
#include "http/http_client.h"

namespace amstream::sqs {

// Most entries SQS accepts in one batch call, and messages in one receive.
inline constexpr size_t kMaxBatchEntries = 10;

// One ReceiveMessage call.
struct ReceiveOptions {
  int max_messages = 10;  // 1-10
  int wait_seconds = 20;  // long-poll wait, 0-20; 0 returns at once
  // Seconds the received messages stay hidden from other receivers, 0-43200; nullopt
  // keeps the queue's own setting.
  std::optional<int> visibility_timeout;
  // When set and it becomes true, the call ends within ~100 ms with kCancelled.
  const std::atomic<bool>* cancel = nullptr;
};

// One entry of a batch call that SQS refused while the others succeeded. Retry exactly
// these (unless `sender_fault` says a retry cannot help).
struct EntryFailure {
  size_t index = 0;          // position in the request
  std::string code;          // e.g. "ReceiptHandleIsInvalid"
  std::string message;       // SQS's explanation
  bool sender_fault = true;  // SQS blames the request, so the same entry will fail again
};

// {"QueueUrl":..., "MaxNumberOfMessages":..., ...}, asking for ApproximateReceiveCount and
// SentTimestamp under both the current and the legacy attribute parameter.
std::string ReceiveRequest(std::string_view queue_url, const ReceiveOptions& options);

// DeleteMessageBatch entries, or ChangeMessageVisibilityBatch entries when
// `visibility_timeout` is set. Entry ids are the positions "0".."9", so two handles of the
// same message never collide.
std::string HandleBatchRequest(std::string_view queue_url,
                               std::span<const std::string> receipt_handles,
                               std::optional<int> visibility_timeout);

// SendMessageBatch entries with ids "0".."9". SQS refuses, per entry, bodies with
// characters outside #x9 #xA #xD #x20-#xD7FF #xE000-#x10FFFF (fauxqs also beyond #xFFFD).
std::string SendBatchRequest(std::string_view queue_url, std::span<const std::string> bodies);

// {"QueueUrl":..., "AttributeNames":[...]}.
std::string GetQueueAttributesRequest(std::string_view queue_url,
                                      std::span<const std::string> names);

// {"QueueName":..., "Attributes":{...}}; Attributes is left out when empty.
std::string QueueNameRequest(std::string_view name,
                             const std::map<std::string, std::string>& attributes = {});

// The messages of a ReceiveMessage answer, in order. A malformed answer (not JSON, a
// message without id, handle or body) fails with kUnavailable: retrying may help.
Result<std::vector<ams::Delivery>> ParseReceiveResponse(std::string_view body);

// The failed entries of a batch answer for `entries` entries, by index. An entry the
// answer does not mention at all is reported failed with code "NoResult". A malformed
// answer fails with kUnavailable.
Result<std::vector<EntryFailure>> ParseBatchResponse(std::string_view body, size_t entries);

// The Attributes object of a GetQueueAttributes answer (empty when absent).
Result<std::map<std::string, std::string>> ParseAttributesResponse(std::string_view body);

// The QueueUrl of a CreateQueue or GetQueueUrl answer.
Result<std::string> ParseQueueUrlResponse(std::string_view body);

// The Status for a non-200 answer to `action`, one line such as
// "SQS ReceiveMessage: QueueDoesNotExist: The specified queue does not exist. (HTTP 400)".
// The code comes from the body's "__type", else the x-amzn-query-error header.
Status ErrorFromResponse(std::string_view action, const http::Response& response);

// How to react to an AWS error code (namespace prefixes allowed) with an HTTP status:
// throttling codes or 429 -> kThrottled, missing queue -> kNotFound, credential and
// permission codes or 401/403 -> kPermissionDenied, 5xx -> kUnavailable, other 4xx ->
// kInvalid, anything else -> kUnavailable.
Code CodeForError(std::string_view error_code, long http_status);

}  // namespace amstream::sqs
