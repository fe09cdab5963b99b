// Shared fixture of the `amstream run` integration tests: a fresh PostgreSQL database
// and a fresh SQS queue (with a dead-letter queue) per test, on the harness's servers.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gen/generator.h"
#include "harness/servers.h"
#include "sqs/sqs_client.h"

namespace amstream::testing {

// The non-empty lines of a fixture in the shared testdata's ams/ folder.
std::vector<std::string> FixtureLines(const std::string& name);

// Every body `options` generates, in order, and the generator's totals.
Result<gen::ExpectedTotals> GenerateBodies(const gen::Options& options,
                                           std::vector<std::string>* bodies);

class RunTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // Sends bodies straight to the queue, ten per SendMessageBatch.
  void Send(const std::vector<std::string>& bodies);
  // Generates bodies with `options`, sends them, and returns the generator's totals.
  gen::ExpectedTotals SendGenerated(const gen::Options& options);

  // The command line of `amstream run` against this test's queue and database.
  std::vector<std::string> RunArgs(const std::vector<std::string>& extra = {}) const;
  // Runs amstream until the queue has been idle for a second; fails the test on a
  // non-zero exit.
  ProcessResult RunUntilIdle(const std::vector<std::string>& extra = {});
  // Fails the test unless amstream ran and exited 0; prints its log with
  // AMSTREAM_TEST_VERBOSE set.
  static ProcessResult ExpectCleanExit(const Result<ProcessResult>& result);

  // One value from the test's database.
  std::string Query(const std::string& sql) const { return Psql(db_, sql); }
  int64_t QueryInt(const std::string& sql) const;
  // Visible plus in-flight messages of a queue.
  int64_t Depth(const std::string& queue_url);

  // Asserts the traffic and conversion views hold exactly the generator's totals.
  void ExpectTotals(const gen::ExpectedTotals& expected) const;

  std::string name_;
  std::string db_;
  std::string queue_url_;
  std::string dlq_url_;
  std::optional<sqs::Client> sqs_;
};

}  // namespace amstream::testing
