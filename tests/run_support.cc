#include "run_support.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "ams/record.h"

namespace amstream::testing {

std::vector<std::string> FixtureLines(const std::string& name) {
  std::ifstream in(std::string(AMSTREAM_TESTDATA) + "/ams/" + name);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      lines.push_back(line);
    }
  }
  return lines;
}

Result<gen::ExpectedTotals> GenerateBodies(const gen::Options& options,
                                           std::vector<std::string>* bodies) {
  return gen::Generate(options, [bodies](std::string_view body) {
    bodies->emplace_back(body);
    return Status::Ok();
  });
}

void RunTest::SetUp() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  name_ = std::string(info->test_suite_name()) + "_" + info->name();
  std::transform(name_.begin(), name_.end(), name_.begin(),
                 [](unsigned char c) { return std::isalnum(c) ? std::tolower(c) : '_'; });
  name_ = name_.substr(0, 60);
  db_ = PgCluster::Shared().CreateDatabase(name_);

  sqs::ClientConfig config;
  config.endpoint = Fauxqs::Shared().endpoint();
  config.region = "us-east-1";
  config.credentials.access_key_id = "test";
  config.credentials.secret_access_key = "test";
  Result<sqs::Client> client = sqs::Client::Create(config);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  sqs_.emplace(std::move(*client));

  Result<std::string> dlq = sqs_->CreateQueue(name_ + "-dlq");
  ASSERT_TRUE(dlq.ok()) << dlq.status().ToString();
  dlq_url_ = *dlq;
  std::string redrive =
      R"({"deadLetterTargetArn":")" + QueueArn(name_ + "-dlq") + R"(","maxReceiveCount":"10"})";
  Result<std::string> queue =
      sqs_->CreateQueue(name_, {{"VisibilityTimeout", "3"}, {"RedrivePolicy", redrive}});
  ASSERT_TRUE(queue.ok()) << queue.status().ToString();
  queue_url_ = *queue;
}

void RunTest::Send(const std::vector<std::string>& bodies) {
  for (size_t i = 0; i < bodies.size(); i += 10) {
    size_t n = std::min<size_t>(10, bodies.size() - i);
    auto failed = sqs_->SendBatch(queue_url_, std::span(bodies).subspan(i, n));
    ASSERT_TRUE(failed.ok()) << failed.status().ToString();
    ASSERT_TRUE(failed->empty()) << failed->front().code << ": " << failed->front().message;
  }
}

gen::ExpectedTotals RunTest::SendGenerated(const gen::Options& options) {
  std::vector<std::string> pending;
  Result<gen::ExpectedTotals> totals = gen::Generate(options, [&](std::string_view body) {
    pending.emplace_back(body);
    if (pending.size() == 1000) {
      Send(pending);
      pending.clear();
    }
    return Status::Ok();
  });
  Send(pending);
  EXPECT_TRUE(totals.ok()) << totals.status().ToString();
  return totals.ok() ? *totals : gen::ExpectedTotals();
}

std::vector<std::string> RunTest::RunArgs(const std::vector<std::string>& extra) const {
  std::vector<std::string> args = {
      AmstreamBinary(), "--database", db_,          "run",
      "--queue-url",    queue_url_,   "--endpoint", Fauxqs::Shared().endpoint(),
      "--wait-seconds", "1"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

ProcessResult RunTest::RunUntilIdle(const std::vector<std::string>& extra) {
  std::vector<std::string> args = RunArgs(extra);
  if (std::find(extra.begin(), extra.end(), "--exit-when-idle") == extra.end()) {
    args.insert(args.end(), {"--exit-when-idle", "1.5"});
  }
  RunOptions options;
  options.timeout = std::chrono::minutes(5);
  return ExpectCleanExit(RunCommand(args, options));
}

ProcessResult RunTest::ExpectCleanExit(const Result<ProcessResult>& result) {
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  if (!result.ok()) {
    return {};
  }
  EXPECT_EQ(result->exit_code, 0) << result->Describe() << "\n" << result->err;
  if (std::getenv("AMSTREAM_TEST_VERBOSE") != nullptr) {
    std::cerr << result->err;
  }
  return *result;
}

int64_t RunTest::QueryInt(const std::string& sql) const {
  std::string text = Query(sql);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text.empty() ? 0 : std::stoll(text);
}

int64_t RunTest::Depth(const std::string& queue_url) {
  std::vector<std::string> names = {"ApproximateNumberOfMessages",
                                    "ApproximateNumberOfMessagesNotVisible"};
  auto attributes = sqs_->GetQueueAttributes(queue_url, names);
  EXPECT_TRUE(attributes.ok()) << attributes.status().ToString();
  if (!attributes.ok()) {
    return -1;
  }
  return std::stoll((*attributes)[names[0]]) + std::stoll((*attributes)[names[1]]);
}

void RunTest::ExpectTotals(const gen::ExpectedTotals& expected) const {
  EXPECT_EQ(QueryInt("SELECT coalesce(sum(clicks), 0) FROM sp_traffic_hourly"),
            expected.traffic.clicks);
  EXPECT_EQ(QueryInt("SELECT coalesce(sum(impressions), 0) FROM sp_traffic_hourly"),
            expected.traffic.impressions);
  EXPECT_EQ(QueryInt("SELECT coalesce(sum(cost) * 1000000, 0)::bigint FROM sp_traffic_hourly"),
            expected.traffic.cost_micros);
  for (size_t i = 0; i < ams::kConversionMetrics.size(); ++i) {
    const ams::ConversionMetric& metric = ams::kConversionMetrics[i];
    std::string column(metric.name);
    std::string sum = metric.is_money ? "coalesce(sum(" + column + ") * 1000000, 0)::bigint"
                                      : "coalesce(sum(" + column + "), 0)";
    EXPECT_EQ(QueryInt("SELECT " + sum + " FROM sp_conversion_hourly"),
              expected.conversion.metrics[i])
        << column;
  }
}

}  // namespace amstream::testing
