// `amstream run` measured against fauxqs and PostgreSQL: draining a backlog, and the
// delay from send to commit under a steady load.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench_util.h"

namespace amstream::bench {

// One drain of a backlog by `amstream run`.
struct RunFigures {
  int64_t messages = 0;
  int64_t records = 0;      // stored plus skipped duplicates, from its "stopped" line
  double seconds = 0;       // from its "consuming" line until the queue was empty
  double user_seconds = 0;  // CPU of the whole process, start to exit
  double sys_seconds = 0;
  int64_t max_rss_kib = 0;  // peak resident memory
  double busy_cores = 0;    // the whole machine's, while draining
  double messages_per_second() const { return static_cast<double>(messages) / seconds; }
  double records_per_second() const { return static_cast<double>(records) / seconds; }
  double cpu_us_per_message() const {
    return (user_seconds + sys_seconds) * 1e6 / static_cast<double>(messages);
  }
};

// Where `amstream run` sends SQS requests, and how many of each it keeps in flight.
struct RunSetup {
  std::string endpoint;  // fauxqs, or a proxy in front of it
  int receivers = 0;     // 0: amstream's default
  int deleters = 0;      // 0: amstream's default
};

// Fills a fresh queue with `bodies`, then drains it into a fresh database with
// `amstream run` and checks that every distinct record was stored. Throws HarnessError
// when amstream fails or stores the wrong count.
RunFigures MeasureRunDrain(const std::string& name, const Bodies& bodies, const RunSetup& setup);

// Send-to-done delays in milliseconds, one per message.
struct DelayFigures {
  double p50_ms = 0;
  double p99_ms = 0;
  int64_t messages = 0;
};

// Sends `bodies` (all distinct ids) at `rate` per second while `amstream run` consumes
// them; the delay of a message is its ledger row's commit timestamp minus the instant
// it was handed to SendMessageBatch. Needs track_commit_timestamp (EnableCommitTimestamps).
DelayFigures MeasureRunDelay(const std::string& name, const Bodies& bodies, double rate);

// The same load drained by the trivial consumer; a message's delay ends when its
// DeleteMessageBatch returned: the emulator's own floor.
DelayFigures MeasureTrivialDelay(const std::string& name, const Bodies& bodies, double rate,
                                 int threads);

// Turns on track_commit_timestamp in the shared PostgreSQL cluster (a restart).
void EnableCommitTimestamps();

}  // namespace amstream::bench
