// Load on both sides of the queue without amstream: the trivial consumer that gives the
// emulator's ceiling, and a sender that offers a steady rate for delay measurements.
//
// Delays are matched per message by idempotency_id, with wall-clock instants (the
// database's commit timestamps are wall-clock too, on the same machine).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bench_util.h"

namespace amstream::bench {

using WallClock = std::chrono::system_clock;

// Milliseconds since the Unix epoch of a wall-clock instant.
double EpochMs(WallClock::time_point t);

// The idempotency_id inside a generated body, raw or in an SNS envelope; empty if none.
std::string_view IdempotencyIdOf(std::string_view body);

// What the trivial consumer did.
struct DrainResult {
  int64_t messages = 0;    // deleted
  double seconds = 0;      // from start until the expected count was deleted
  double cpu_seconds = 0;  // user + sys of this process meanwhile
  double busy_cores = 0;   // the whole machine's, meanwhile
};

// Called after each successful DeleteMessageBatch with the deleted bodies' deliveries.
using OnDeleted = std::function<void(const std::vector<ams::Delivery>&, WallClock::time_point)>;

// Drains `expected` messages with `threads` loops of ReceiveMessage (10 messages, 1 s
// long poll) then DeleteMessageBatch, doing nothing with the bodies: the most any
// consumer can get from this emulator. Throws on SQS failures.
DrainResult DrainTrivially(const std::string& endpoint, const std::string& queue_url,
                           int64_t expected, int threads, const OnDeleted& on_deleted = {});

// Sends `bodies` at `rate` messages per second in batches of 10 from two threads sharing
// one schedule, so that one slow call does not hold the next batch back. Returns the
// epoch milliseconds at which each body was handed to SendMessageBatch, by idempotency_id.
// Throws on refusal.
std::unordered_map<std::string, double> SendSteadily(const std::string& queue_url,
                                                     const std::vector<std::string>& bodies,
                                                     double rate);

}  // namespace amstream::bench
