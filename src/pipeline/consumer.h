// The `amstream run` pipeline: receive → classify → write → delete.
//
//   receivers (N threads, long polls) ─classify─▶ [bounded queue] ─▶ writer (1 thread,
//   one transaction per batch) ─▶ [bounded queue] ─▶ deleters (M threads, batches of 10)
//
// A message is deleted only after the transaction holding its effect committed. Every
// queue between stages is bounded, so memory does not grow with the backlog.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

#include "common/status.h"
#include "pipeline/queue_client.h"
#include "store/store.h"

namespace amstream::pipeline {

struct ConsumerOptions {
  // Long polls in flight at once. Real SQS answers in ~20 ms from a nearby region and
  // each poll returns at most 10 messages, so one poll moves at most ~500 messages/s:
  // 16 allow a few thousand per second, as AMS's hourly bursts need. Minimum 1.
  int receivers = 16;
  // Threads deleting committed messages in batches of 10, by the same arithmetic (the
  // benchmark measured 4 capping a 20 ms queue near 1,900 messages/s). Minimum 1.
  int deleters = 16;
  // Most messages applied in one database transaction.
  size_t batch_messages = 1000;
  // How long the writer waits for a batch to fill once it has one message.
  std::chrono::milliseconds batch_linger{20};
  // Messages held between receive and write; receivers pause when it is full.
  size_t buffer_messages = 5000;
  // Stop once nothing was received for this long and everything is committed and
  // deleted (the --exit-when-idle option). Unset: run until signalled.
  std::optional<std::chrono::milliseconds> exit_when_idle;
  // The visibility timeout received messages get (the queue's, or the one asked for on
  // receive). Zero turns visibility extension off.
  std::chrono::seconds visibility_timeout{0};
  // A message still in flight when this share of its visibility timeout has passed gets
  // the timeout again, in batches; kept between 0.05 and 0.95.
  double visibility_extension_share = 0.5;
  // Extensions stop this long after the receive, so a stuck process cannot hide a
  // message for ever.
  std::chrono::seconds visibility_extension_max{3600};
  // A message received more often than this is quarantined instead of processed again:
  // something other than its body keeps failing on it (a crash, a timeout). Zero leaves
  // such messages to the queue's redrive policy (dead-letter queue).
  int max_receive_count = 10;
};

// Counters since start. Read them at any time; they only grow.
struct ConsumerStats {
  std::atomic<int64_t> received{0};
  std::atomic<int64_t> records_stored{0};
  std::atomic<int64_t> duplicates{0};
  std::atomic<int64_t> blog_rows{0};
  std::atomic<int64_t> quarantined{0};
  std::atomic<int64_t> confirmations{0};
  std::atomic<int64_t> batches{0};
  std::atomic<int64_t> write_retries{0};
  std::atomic<int64_t> deleted{0};
  std::atomic<int64_t> delete_failures{0};
  std::atomic<int64_t> released{0};
  std::atomic<int64_t> visibility_extended{0};
  std::atomic<int64_t> over_receive_limit{0};
  // Received but not yet deleted or released.
  std::atomic<int64_t> in_flight{0};
  // Since when (steady clock, ms) every write or every receive has failed; 0 while the
  // last one succeeded. Health checks read these.
  std::atomic<int64_t> write_failing_since_ms{0};
  std::atomic<int64_t> receive_failing_since_ms{0};
};

// Milliseconds on the steady clock, the time base of the *_since_ms fields.
int64_t SteadyNowMs();

class Consumer {
 public:
  Consumer(ConsumerOptions options, QueueClientFactory queue, store::Store* store);

  // Runs until `stop` becomes true (a signal) or the idle limit passes. Then it stops
  // receiving, cancels waiting polls, commits and deletes what is in flight, and returns
  // Ok. Fails only if no queue client could be created.
  Status Run(const std::atomic<bool>& stop);

  const ConsumerStats& stats() const { return stats_; }

 private:
  struct Pipeline;

  ConsumerOptions options_;
  QueueClientFactory queue_;
  store::Store* store_;
  ConsumerStats stats_;
};

}  // namespace amstream::pipeline
