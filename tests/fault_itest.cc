// `amstream run` under faults: killed consumers, a restarted or unreachable database, a
// connection lost during COMMIT, SQS outages and errors, visibility timeouts shorter than
// a batch, competing consumers. Every scenario ends with the generator's exact totals
// and an empty queue.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <random>
#include <thread>

#include "fault_support.h"

namespace amstream::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

gen::Options Mix(int64_t messages, double duplicate_rate = 0.2) {
  gen::Options options;
  options.messages = messages;
  options.duplicate_rate = duplicate_rate;
  options.restatement_rate = 0.1;
  options.correction_rate = 0.05;
  options.envelope_rate = 0.3;
  return options;
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Restarts the shared cluster if a test stopped it and then failed before starting it,
// so that the tests after it still have a database.
struct PgRestartGuard {
  ~PgRestartGuard() {
    try {
      PgCluster::Shared().Start();
    } catch (const HarnessError& error) {
      ADD_FAILURE() << error.what();
    }
  }
};

TEST_F(FaultTest, ConsumersKilledAtRandomPointsLoseAndDoubleNothing) {
  const uint64_t seed = FaultSeed();
  const int64_t kills = EnvInt("AMSTREAM_FAULT_KILLS", 15);
  std::cout << "[ fault    ] seed " << seed << " (AMSTREAM_FAULT_SEED), " << kills
            << " kills (AMSTREAM_FAULT_KILLS)\n";
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<int> pause_ms(100, 900);
  gen::ExpectedTotals expected = SendGenerated(Mix(20'000));

  for (int64_t i = 0; i < kills; ++i) {
    ChildProcess child = StartConsumer({}, {"--batch-messages", "300"});
    std::this_thread::sleep_for(milliseconds(pause_ms(random)));
    ASSERT_TRUE(child.Kill(SIGKILL).ok()) << "amstream ended before its kill:\n" << child.Stderr();
    Result<ProcessResult> killed = child.Wait(seconds(10));
    ASSERT_TRUE(killed.ok()) << killed.status().ToString();
    EXPECT_EQ(killed->signal, SIGKILL) << killed->Describe() << "\n" << killed->err;
  }
  int64_t left = Depth(queue_url_);
  std::cout << "[ fault    ] " << left << " of " << expected.counts.bodies
            << " messages left for the final drain\n";

  // Messages the killed consumers held come back after the 3 s visibility timeout: the
  // idle limit must outlast it.
  RunUntilIdle({"--exit-when-idle", "5"});
  ExpectExactAndDrained(expected);
}

TEST_F(FaultTest, PostgresCrashAndRestartMidRunIsRiddenOut) {
  gen::ExpectedTotals expected = SendGenerated(Mix(15'000));
  ChildProcess child = StartConsumer({}, {"--batch-messages", "500"});
  ASSERT_TRUE(WaitForFirstRows(child));

  PgRestartGuard guard;
  PgCluster::Shared().Stop(/*immediate=*/true);
  std::this_thread::sleep_for(seconds(4));
  EXPECT_TRUE(child.running()) << child.Stderr();
  PgCluster::Shared().Start();

  EXPECT_TRUE(WaitForEmptyQueue(seconds(90))) << child.Stderr();
  ProcessResult run = StopCleanly(child);
  EXPECT_NE(run.err.find("write failed; retrying"), std::string::npos) << run.err;
  ExpectExactAndDrained(expected);
}

TEST_F(FaultTest, ConnectionLostDuringCommitIsRetriedWithoutDoubleCounting) {
  std::unique_ptr<TcpProxy> pg = StartProxy(PgCluster::Shared().port());
  gen::ExpectedTotals expected = SendGenerated(Mix(10'000));
  ChildProcess child = StartConsumer({DatabaseVia(*pg), ""}, {"--batch-messages", "200"});
  ASSERT_TRUE(WaitForFirstRows(child));

  // libpq sends COMMIT as a simple query of its own, NUL-terminated; "ON COMMIT DELETE
  // ROWS" in the staging tables' DDL does not match.
  const std::string commit("COMMIT\0", 7);
  constexpr int kCuts = 4;
  for (int i = 1; i <= kCuts; ++i) {
    pg->CutAfterClientSends(commit);
    ASSERT_TRUE(WaitUntil([&] { return pg->cuts() == i; }, seconds(30)))
        << "cut " << i << " never happened:\n"
        << child.Stderr();
    std::this_thread::sleep_for(milliseconds(300));
  }

  EXPECT_TRUE(WaitForEmptyQueue(seconds(60))) << child.Stderr();
  ProcessResult run = StopCleanly(child);
  EXPECT_NE(run.err.find("write failed; retrying"), std::string::npos) << run.err;
  ExpectExactAndDrained(expected);
}

TEST_F(FaultTest, SqsUnreachableForThirtySecondsLosesNothing) {
  std::unique_ptr<TcpProxy> sqs = StartProxy(Fauxqs::Shared().port());
  gen::ExpectedTotals expected = SendGenerated(Mix(10'000));
  ChildProcess child = StartConsumer({"", sqs->Url()}, {"--batch-messages", "500"});
  ASSERT_TRUE(WaitForFirstRows(child));

  // First connections are refused, then they hang: both ways SQS can be gone.
  sqs->SetRefuse(true);
  std::this_thread::sleep_for(seconds(15));
  sqs->SetRefuse(false);
  sqs->SetBlackhole(true);
  std::this_thread::sleep_for(seconds(15));
  sqs->SetBlackhole(false);
  ASSERT_TRUE(child.running()) << child.Stderr();
  int64_t left = Depth(queue_url_);
  std::cout << "[ fault    ] " << left << " messages waiting after the outage\n";

  auto start = Clock::now();
  EXPECT_TRUE(WaitForEmptyQueue(seconds(120))) << child.Stderr();
  std::cout << "[ fault    ] drained " << SecondsSince(start) << " s after the outage\n";
  ProcessResult run = StopCleanly(child);
  EXPECT_NE(run.err.find("receive failed; retrying"), std::string::npos) << run.err;
  ExpectExactAndDrained(expected);
}

TEST_F(FaultTest, SqsErrorsAndThrottlingOnReceiveAndDeleteAreRetried) {
  std::unique_ptr<TcpProxy> sqs = StartProxy(Fauxqs::Shared().port());
  gen::ExpectedTotals expected = SendGenerated(Mix(15'000));
  ChildProcess child =
      StartConsumer({"", sqs->Url()}, {"--batch-messages", "200", "--buffer-messages", "1000"});

  struct Fault {
    std::string action;
    int status;
    std::string body;
  };
  const std::string json = "application/x-amz-json-1.0";
  const std::vector<Fault> faults = {
      {"DeleteMessageBatch", 500,
       R"({"__type":"com.amazonaws.sqs#InternalError","message":"injected"})"},
      {"DeleteMessageBatch", 503, "Service Unavailable"},
      {"DeleteMessageBatch", 400,
       R"({"__type":"com.amazonaws.sqs#ThrottlingException","message":"Rate exceeded"})"},
      {"DeleteMessageBatch", 400,
       R"({"__type":"com.amazonaws.sqs#RequestThrottled","message":"Rate exceeded"})"},
      {"ReceiveMessage", 500,
       R"({"__type":"com.amazonaws.sqs#InternalError","message":"injected"})"},
      {"ReceiveMessage", 503, "Service Unavailable"},
      {"ReceiveMessage", 400,
       R"({"__type":"com.amazonaws.sqs#ThrottlingException","message":"Rate exceeded"})"},
      {"ReceiveMessage", 400,
       R"({"__type":"com.amazonaws.sqs#RequestThrottled","message":"Rate exceeded"})"},
  };
  // Deletes come first: they only happen while there is a backlog to commit.
  constexpr int kEach = 3;
  int64_t injected = 0;
  for (const Fault& fault : faults) {
    sqs->InjectHttpResponsesTo("X-Amz-Target: AmazonSQS." + fault.action, kEach, fault.status,
                               fault.body, {{"Content-Type", json}});
    injected += kEach;
    ASSERT_TRUE(WaitUntil([&] { return sqs->injected() == injected; }, seconds(30)))
        << fault.action << " " << fault.status << " was not requested " << kEach << " times\n"
        << child.Stderr();
  }

  EXPECT_TRUE(WaitForEmptyQueue(seconds(60))) << child.Stderr();
  ProcessResult run = StopCleanly(child);
  EXPECT_NE(run.err.find("receive failed; retrying"), std::string::npos) << run.err;
  ExpectExactAndDrained(expected);
}

TEST_F(FaultTest, VisibilityIsExtendedWhileASlowBatchIsWritten) {
  ExpectSlowBatchesKeepMessagesHidden(
      Mix(1500), {"--batch-messages", "500", "--buffer-messages", "1000",
                  "--visibility-extension-share", "0.3", "--visibility-extension-max", "120"});
}

// A full buffer with a short timeout: extensions run in parallel, most urgent first, and
// receiving pauses while the oldest message has waited past the extension point, so no
// message outlives its timeout.
TEST_F(FaultTest, VisibilityIsExtendedForAFullBufferOfMessages) {
  ExpectSlowBatchesKeepMessagesHidden(
      Mix(5000), {"--visibility-extension-share", "0.5", "--visibility-extension-max", "120"});
}

class FaultConsumersTest : public FaultTest, public ::testing::WithParamInterface<int> {};

TEST_P(FaultConsumersTest, CompetingConsumersWithOverlappingDuplicatesCountOnce) {
  gen::ExpectedTotals expected = SendGenerated(Mix(12'000, /*duplicate_rate=*/0.5));
  ASSERT_GT(expected.counts.duplicates, 5000);
  std::vector<ChildProcess> consumers;
  for (int i = 0; i < GetParam(); ++i) {
    consumers.push_back(StartConsumer({}, {"--batch-messages", "250", "--exit-when-idle", "4"}));
  }
  int64_t received = 0;
  for (ChildProcess& consumer : consumers) {
    Result<ProcessResult> run = consumer.Wait(seconds(180));
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    EXPECT_EQ(run->exit_code, 0) << run->Describe() << "\n" << run->err;
    int64_t mine = StoppedCounter(run->err, "received");
    EXPECT_GT(mine, 0) << "a consumer got no work";
    received += mine;
  }
  EXPECT_GE(received, expected.counts.bodies);
  ExpectExactAndDrained(expected);
}

INSTANTIATE_TEST_SUITE_P(FaultReplicas, FaultConsumersTest, ::testing::Values(2, 4),
                         [](const ::testing::TestParamInfo<int>& replicas) {
                           return std::to_string(replicas.param) + "Consumers";
                         });

#ifdef AMSTREAM_SANITIZED
// AddressSanitizer's shadow memory and its quarantine of freed blocks multiply resident
// size: the child gets a small quarantine, and the limit allows for the shadow (about
// 130 MiB measured with a 50,000-message backlog, against 31 MiB without sanitizers).
constexpr int64_t kRssLimitKib = 256 * 1024;
constexpr const char* kChildAsanOptions =
    "detect_leaks=1:quarantine_size_mb=16:thread_local_quarantine_size_kb=256";
#else
constexpr int64_t kRssLimitKib = 64 * 1024;
#endif

TEST_F(FaultTest, LargeBacklogDrainsInBoundedMemory) {
  const int64_t backlog = EnvInt("AMSTREAM_FAULT_BACKLOG", 50'000);
  const int64_t limit_kib = EnvInt("AMSTREAM_FAULT_RSS_LIMIT_KIB", kRssLimitKib);
#ifdef AMSTREAM_SANITIZED
  // Children inherit our environment; this process read ASAN_OPTIONS long ago.
  const char* inherited = std::getenv("ASAN_OPTIONS");
  const std::string saved = inherited != nullptr ? inherited : "";
  setenv("ASAN_OPTIONS", kChildAsanOptions, 1);
#endif
  // A short timeout on purpose: a deep backlog must drain without messages waiting in
  // the buffer past their timeout and coming back again and again.
  const int64_t visibility = EnvInt("AMSTREAM_FAULT_BACKLOG_VISIBILITY", 3);
  std::string redrive =
      R"({"deadLetterTargetArn":")" + QueueArn(name_ + "-dlq") + R"(","maxReceiveCount":"10"})";
  Result<std::string> queue = sqs_->CreateQueue(
      name_ + "-big",
      {{"VisibilityTimeout", std::to_string(visibility)}, {"RedrivePolicy", redrive}});
  ASSERT_TRUE(queue.ok()) << queue.status().ToString();
  queue_url_ = *queue;

  auto start = Clock::now();
  gen::ExpectedTotals expected = SendGeneratedInParallel(Mix(backlog, 0.05), 4);
  std::cout << "[ fault    ] sent " << backlog << " messages in " << SecondsSince(start)
            << " s (AMSTREAM_FAULT_BACKLOG)\n";

  start = Clock::now();
  ChildProcess child = StartConsumer({}, {});
#ifdef AMSTREAM_SANITIZED
  if (saved.empty()) {
    unsetenv("ASAN_OPTIONS");
  } else {
    setenv("ASAN_OPTIONS", saved.c_str(), 1);
  }
#endif
  int64_t peak_kib = 0;
  EXPECT_TRUE(WaitUntil(
      [&] {
        peak_kib = std::max(peak_kib, PeakRssKib(child.pid()));
        return Depth(queue_url_) == 0;
      },
      seconds(600), milliseconds(250)))
      << child.Stderr();
  peak_kib = std::max(peak_kib, PeakRssKib(child.pid()));
  double drain_seconds = SecondsSince(start);
  StopCleanly(child);
  std::cout << "[ fault    ] drained in " << drain_seconds << " s ("
            << static_cast<double>(backlog) / drain_seconds << " msg/s), peak RSS "
            << peak_kib / 1024 << " MiB\n";
  RecordProperty("peak_rss_kib", std::to_string(peak_kib));
  EXPECT_LT(peak_kib, limit_kib);
  ExpectExactAndDrained(expected);
}

}  // namespace
}  // namespace amstream::testing
