// Shared fixture of the fault-injection tests: `amstream run` processes in the background,
// reached through TcpProxy where a test needs to break the path to SQS or PostgreSQL.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/tcp_proxy.h"
#include "run_support.h"

namespace amstream::testing {

class FaultTest : public RunTest {
 protected:
  // Where a background consumer connects; empty strings keep the direct servers.
  struct Route {
    std::string database;
    std::string endpoint;
  };

  // A proxy to 127.0.0.1:`target_port`; fails the test (fatally) when it cannot start.
  std::unique_ptr<TcpProxy> StartProxy(int target_port);
  // This test's database URL, reached through `proxy`.
  std::string DatabaseVia(const TcpProxy& proxy) const;

  // Starts `amstream run` in the background on this test's queue (queue_url_), with
  // one-second long polls and `extra` options; fails the test when it cannot start.
  ChildProcess StartConsumer(const Route& route, const std::vector<std::string>& extra = {});
  // Waits until the consumer has committed some traffic (its schema may not exist yet).
  bool WaitForFirstRows(const ChildProcess& consumer);
  // Waits until the queue holds no message, visible or in flight.
  bool WaitForEmptyQueue(std::chrono::milliseconds timeout);
  // Sends SIGTERM, expects exit 0 within 60 s and returns what the process printed.
  ProcessResult StopCleanly(ChildProcess& child);

  // Generated bodies sent by `senders` threads at once, for backlogs too big to send from
  // one client in reasonable time. Returns the generator's totals.
  gen::ExpectedTotals SendGeneratedInParallel(const gen::Options& options, int senders);

  // The totals match the generator's, and the queue, its dead-letter queue and the
  // quarantine are empty.
  void ExpectExactAndDrained(const gen::ExpectedTotals& expected);

  // Sends the generated messages to a queue whose 2 s visibility timeout is shorter than
  // one batch written over a PostgreSQL link 300 ms slower per round trip, drains it
  // with `extra` options of `amstream run`, and expects each message to be received
  // once: none may reappear while it is being worked on.
  void ExpectSlowBatchesKeepMessagesHidden(const gen::Options& options,
                                           const std::vector<std::string>& extra);

  // A counter from the consumer's final "stopped" log line, or -1 when absent.
  static int64_t StoppedCounter(const std::string& log, std::string_view name);
};

// A seed for randomized fault timing: AMSTREAM_FAULT_SEED when set, else a fresh one.
// Tests print it so that a failing sequence can be replayed.
uint64_t FaultSeed();

// An integer from the environment variable `name`, or `fallback` when unset or invalid.
int64_t EnvInt(const char* name, int64_t fallback);

// The peak resident set size (VmHWM) of a running process in KiB, or -1 once it is gone.
int64_t PeakRssKib(pid_t pid);

}  // namespace amstream::testing
