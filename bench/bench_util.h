// Pieces every benchmark phase shares: clocks, statistics, SQS clients on the harness's
// fauxqs, generated bodies and filling a queue with them.
//
// Failures to set up a measurement (a queue that cannot be created, a send that fails)
// throw testing::HarnessError: a benchmark with a broken setup has nothing to report.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "gen/generator.h"
#include "sqs/sqs_client.h"

namespace amstream::bench {

using Clock = std::chrono::steady_clock;

// Seconds between two instants, as a double.
double Seconds(Clock::duration d);

// Machine-wide CPU time from /proc/stat, to tell how busy both cores were over a phase.
struct MachineCpu {
  int64_t busy = 0;   // jiffies not idle or waiting for I/O, all CPUs
  int64_t total = 0;  // all jiffies, all CPUs

  static MachineCpu Now();
  // Average busy CPUs (0 to the number of cores) between `before` and this snapshot.
  double BusyCoresSince(const MachineCpu& before) const;
};

// The median of `values` (the mean of the middle two for an even count); 0 when empty.
double Median(std::vector<double> values);

// The value below which `share` (0-1) of `values` lie, nearest-rank; 0 when empty.
double Percentile(std::vector<double> values, double share);

// A client for `endpoint` with the harness's fake credentials. Throws on failure.
sqs::Client MakeSqsClient(const std::string& endpoint);

// Creates queue `name` on the shared fauxqs with a 60 s visibility timeout (longer than
// any phase, so nothing is received twice) and returns its URL. Throws on failure.
std::string CreateQueue(const std::string& name);

// Visible plus in-flight messages of the queue; -1 when the call fails.
int64_t QueueDepth(sqs::Client& client, const std::string& queue_url);

// `count` generated bodies (seed `seed`) and how many records they hold.
struct Bodies {
  std::vector<std::string> bodies;
  gen::ExpectedTotals totals;
  int64_t bytes = 0;
};

// The generator's default mix (duplicates, restatements, corrections, SNS envelopes)
// with `duplicate_rate` overridden. Throws on failure.
Bodies GenerateBodies(int64_t count, uint64_t seed, double duplicate_rate = 0.05);

// Sends every body to the queue with `threads` senders in SendMessageBatch calls of 10;
// returns the messages per second achieved. Throws if any entry is refused.
double FillQueue(const std::string& queue_url, const std::vector<std::string>& bodies,
                 int threads = 4);

}  // namespace amstream::bench
