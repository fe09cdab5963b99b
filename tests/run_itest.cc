// `amstream run` end to end: fauxqs (SNS + SQS), a real PostgreSQL, the real binary.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "run_support.h"

namespace amstream::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(AMSTREAM_TESTDATA) + "/ams/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

gen::Options SmallMix(int64_t messages) {
  gen::Options options;
  options.messages = messages;
  options.duplicate_rate = 0.2;
  options.restatement_rate = 0.1;
  options.correction_rate = 0.05;
  options.envelope_rate = 0.3;
  return options;
}

TEST_F(RunTest, SnsRawAndEnvelopedDeliveriesOfTheFixturesGiveTheExpectedRows) {
  Result<std::string> topic = SnsCreateTopic(name_ + "-topic");
  ASSERT_TRUE(topic.ok()) << topic.status().ToString();
  // One subscription delivers raw, the other enveloped, into two queues that both feed
  // one database: every record arrives twice and must be counted once.
  Result<std::string> enveloped_queue = sqs_->CreateQueue(name_ + "-env");
  ASSERT_TRUE(enveloped_queue.ok()) << enveloped_queue.status().ToString();
  ASSERT_TRUE(SnsSubscribeQueue(*topic, QueueArn(name_), true).ok());
  ASSERT_TRUE(SnsSubscribeQueue(*topic, QueueArn(name_ + "-env"), false).ok());
  for (const std::string& line : FixtureLines("sp-traffic-additive.jsonl")) {
    ASSERT_TRUE(SnsPublish(*topic, line).ok());
  }
  for (const std::string& line : FixtureLines("blog-format.jsonl")) {
    ASSERT_TRUE(SnsPublish(*topic, line).ok());
    std::this_thread::sleep_for(milliseconds(50));  // the second event is the newer one
  }
  RunUntilIdle();
  std::string raw_queue = queue_url_;
  queue_url_ = *enveloped_queue;
  RunUntilIdle();
  EXPECT_EQ(Depth(queue_url_), 0);
  queue_url_ = raw_queue;

  EXPECT_EQ(Query("SELECT keyword_id, placement, to_char(time_window_start AT TIME ZONE 'UTC', "
                  "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), clicks, impressions, cost::numeric(20,2) "
                  "FROM sp_traffic_hourly ORDER BY keyword_id"),
            "601234567890123|Top of Search on-Amazon|2025-06-01T17:00:00Z|7|624|6.77\n"
            "701234567890555|Detail Page on-Amazon|2025-06-01T16:00:00Z|0|57|0.00");
  EXPECT_EQ(Query("SELECT profile_id, campaign_id, date, impressions, clicks, "
                  "cost::numeric(20,2), sales::numeric(20,2) FROM campaign_performance "
                  "ORDER BY campaign_id"),
            "3412345678901234|301234567890123|2025-06-01|1350|34|30.02|149.85\n"
            "3412345678901234|301234567890124|2025-06-01|560|9|6.10|0.00");
  EXPECT_EQ(Depth(queue_url_), 0);
}

TEST_F(RunTest, GeneratedTrafficWithDuplicatesAndRestatementsMatchesToTheCent) {
  gen::Options options = SmallMix(20'000);
  gen::ExpectedTotals expected = SendGenerated(options);
  ASSERT_GT(expected.counts.duplicates, 3000);
  ASSERT_GT(expected.counts.restatements, 1000);
  ProcessResult run = RunUntilIdle();
  ExpectTotals(expected);
  EXPECT_EQ(Depth(queue_url_), 0);
  EXPECT_EQ(Depth(dlq_url_), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM quarantine"), 0);
}

TEST_F(RunTest, RedeliveryAndTheSameIdInAnotherMessageCountOnce) {
  gen::Options options = SmallMix(600);
  std::vector<std::string> bodies;
  auto expected = GenerateBodies(options, &bodies);
  ASSERT_TRUE(expected.ok());
  Send(bodies);
  // Hold ten messages invisible without deleting them: they come back to amstream
  // after the visibility timeout, as a second delivery of the same message.
  sqs::ReceiveOptions receive;
  receive.wait_seconds = 0;
  receive.visibility_timeout = 2;
  auto held = sqs_->Receive(queue_url_, receive);
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  ASSERT_FALSE(held->empty());
  RunUntilIdle({"--receivers", "2", "--exit-when-idle", "4"});
  // The same bodies again as new messages: every idempotency id is already stored.
  Send(std::vector<std::string>(bodies.begin(), bodies.begin() + 200));
  ProcessResult again = RunUntilIdle();
  ExpectTotals(*expected);
  EXPECT_EQ(Depth(queue_url_), 0);
}

TEST_F(RunTest, MalformedBodiesAreQuarantinedWithReasonsAndConfirmationsKept) {
  std::vector<std::string> bodies = FixtureLines("malformed-bodies.txt");
  bodies.push_back(Fixture("subscription-confirmation.json"));
  bodies.push_back(FixtureLines("budget-usage.jsonl")[0]);
  Send(bodies);
  ProcessResult run = RunUntilIdle();

  // Line 3 of the fixture is a valid record with an unknown field: stored, not
  // quarantined (AMS adds fields without notice).
  EXPECT_EQ(QueryInt("SELECT count(*) FROM sp_traffic_hourly"), 1);
  EXPECT_EQ(Query("SELECT count(*) FROM quarantine WHERE reason <> '' AND body <> ''"), "4");
  std::string reasons = Query("SELECT reason FROM quarantine ORDER BY reason");
  EXPECT_NE(reasons.find("invalid JSON"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("SNS Message"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("clicks"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("budget-usage"), std::string::npos) << reasons;
  EXPECT_EQ(Query("SELECT type, topic_arn FROM subscription_confirmations"),
            "SubscriptionConfirmation|arn:aws:sns:us-east-1:906013806264:ams-sp-traffic-example");
  EXPECT_NE(run.err.find("arn:aws:sns:us-east-1:906013806264:ams-sp-traffic-example"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(Depth(queue_url_), 0);
  EXPECT_EQ(Depth(dlq_url_), 0);
}

TEST_F(RunTest, AValueTheDatabaseRefusesIsQuarantinedWithoutLosingItsBatch) {
  gen::Options options = SmallMix(200);
  options.duplicate_rate = 0;
  std::vector<std::string> bodies;
  auto expected = GenerateBodies(options, &bodies);
  ASSERT_TRUE(expected.ok());
  // Two records of one key whose clicks overflow BIGINT when added: the second is
  // refused by the database and must be quarantined alone.
  std::string huge = FixtureLines("sp-traffic-additive.jsonl")[0];
  huge.replace(huge.find("\"clicks\":4"), 10, "\"clicks\":9000000000000000000");
  std::string huge2 = huge;
  huge2.replace(huge2.find("9f1c2e7a"), 8, "00000000");
  bodies.insert(bodies.begin() + 50, huge);
  bodies.insert(bodies.begin() + 120, huge2);
  Send(bodies);
  RunUntilIdle({"--batch-messages", "5000"});
  EXPECT_EQ(QueryInt("SELECT count(*) FROM quarantine WHERE reason LIKE '%refused%'"), 1);
  EXPECT_EQ(QueryInt("SELECT sum(clicks) FROM sp_traffic_hourly") - 9000000000000000000LL,
            expected->traffic.clicks);
  EXPECT_EQ(Depth(queue_url_), 0);
}

TEST_F(RunTest, SigkillInTheMiddleAndRestartKeepsTotalsExact) {
  gen::ExpectedTotals expected = SendGenerated(SmallMix(20'000));
  for (int round = 0; round < 3; ++round) {
    auto child = ChildProcess::Start(RunArgs({"--visibility-timeout", "2"}));
    ASSERT_TRUE(child.ok()) << child.status().ToString();
    std::this_thread::sleep_for(milliseconds(700 + 300 * round));
    ASSERT_TRUE(child->Kill(SIGKILL).ok());
    auto result = child->Wait(seconds(10));
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->signal, SIGKILL);
  }
  EXPECT_GT(QueryInt("SELECT count(*) FROM idempotency_ledger"), 0)
      << "no progress before the kills";
  // Idle for longer than the visibility timeout, so what the last kill left invisible
  // comes back before the run ends.
  RunUntilIdle({"--visibility-timeout", "2", "--exit-when-idle", "4"});
  ExpectTotals(expected);
  EXPECT_EQ(Depth(queue_url_), 0);
}

TEST_F(RunTest, SigtermCancelsAWaitingPoll) {
  auto idle = ChildProcess::Start(RunArgs({"--wait-seconds", "20"}));
  ASSERT_TRUE(idle.ok());
  std::this_thread::sleep_for(seconds(1));
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(idle->Kill(SIGTERM).ok());
  auto stopped = idle->Wait(seconds(10));
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->exit_code, 0) << stopped->err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(3));
}

// A separate queue from the test above: the emulator keeps an abandoned long poll
// waiting on its queue, and it would take the first messages sent there.
TEST_F(RunTest, SigtermDrainsWhatIsInFlightAndExitsZero) {
  gen::ExpectedTotals expected = SendGenerated(SmallMix(5'000));
  auto busy = ChildProcess::Start(RunArgs({"--visibility-timeout", "60"}));
  ASSERT_TRUE(busy.ok());
  std::this_thread::sleep_for(milliseconds(800));
  ASSERT_TRUE(busy->Kill(SIGTERM).ok());
  auto drained = busy->Wait(seconds(30));
  ASSERT_TRUE(drained.ok());
  EXPECT_EQ(drained->exit_code, 0) << drained->err;
  // Everything it received was committed and deleted: nothing waits out the 60 s timeout.
  std::vector<std::string> names = {"ApproximateNumberOfMessagesNotVisible"};
  auto attributes = sqs_->GetQueueAttributes(queue_url_, names);
  ASSERT_TRUE(attributes.ok());
  EXPECT_EQ((*attributes)[names[0]], "0") << drained->err;
  RunUntilIdle();
  ExpectTotals(expected);
}

TEST_F(RunTest, DeadLetterMessagesCanBeListedAndMovedBackThenCountOnce) {
  gen::Options options = SmallMix(30);
  options.duplicate_rate = 0;
  std::vector<std::string> bodies;
  auto expected = GenerateBodies(options, &bodies);
  ASSERT_TRUE(expected.ok());
  // Ten of them "failed" earlier and sit in the dead-letter queue; the rest are queued.
  std::string main_queue = queue_url_;
  queue_url_ = dlq_url_;
  Send(std::vector<std::string>(bodies.begin(), bodies.begin() + 10));
  queue_url_ = main_queue;
  Send(std::vector<std::string>(bodies.begin() + 10, bodies.end()));

  RunOptions env;
  env.timeout = std::chrono::minutes(1);
  std::vector<std::string> common = {"--queue-url", queue_url_, "--endpoint",
                                     Fauxqs::Shared().endpoint()};
  std::vector<std::string> list = {AmstreamBinary(), "dlq", "list"};
  list.insert(list.end(), common.begin(), common.end());
  Result<ProcessResult> listed = RunCommand(list, env);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->exit_code, 0) << listed->err;
  EXPECT_NE(listed->out.find("10 message(s)"), std::string::npos) << listed->out;
  EXPECT_NE(listed->out.find(name_ + "-dlq"), std::string::npos) << listed->out;
  EXPECT_EQ(Depth(dlq_url_), 10) << "listing removes nothing";

  std::vector<std::string> redrive = {AmstreamBinary(), "dlq", "redrive"};
  redrive.insert(redrive.end(), common.begin(), common.end());
  Result<ProcessResult> moved = RunCommand(redrive, env);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->exit_code, 0) << moved->err;
  EXPECT_NE(moved->out.find("moved 10 message(s)"), std::string::npos) << moved->out;
  EXPECT_EQ(Depth(dlq_url_), 0);

  RunUntilIdle();
  ExpectTotals(*expected);
  EXPECT_EQ(Depth(queue_url_), 0);
}

}  // namespace
}  // namespace amstream::testing
