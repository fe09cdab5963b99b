// The pipeline's view of a message queue: the three calls it makes. The SQS client
// implements it (pipeline/sqs_queue.h); unit tests fake it to inject failures.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ams/message.h"
#include "common/status.h"

namespace amstream::pipeline {

// One entry of a batch call that the queue refused while the rest succeeded.
struct EntryFailure {
  size_t index;         // position in the request
  std::string code;     // the queue's error code, e.g. "ReceiptHandleIsInvalid"
  std::string message;  // the queue's explanation
};

// Not thread-safe: each pipeline thread creates its own through a QueueClientFactory.
class QueueClient {
 public:
  virtual ~QueueClient() = default;

  // One long poll. Returns early with kCancelled once `cancel` becomes true.
  virtual Result<std::vector<ams::Delivery>> Receive(const std::atomic<bool>* cancel) = 0;

  // Deletes up to 10 messages; returns the entries that failed.
  virtual Result<std::vector<EntryFailure>> Delete(std::span<const std::string> handles) = 0;

  // Sets the visibility timeout of up to 10 messages; returns the entries that failed.
  virtual Result<std::vector<EntryFailure>> ChangeVisibility(std::span<const std::string> handles,
                                                             int seconds) = 0;
};

using QueueClientFactory = std::function<Result<std::unique_ptr<QueueClient>>()>;

}  // namespace amstream::pipeline
