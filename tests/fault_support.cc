#include "fault_support.h"

#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <regex>
#include <span>
#include <thread>

namespace amstream::testing {
namespace {

std::optional<sqs::Client> DirectSqsClient() {
  sqs::ClientConfig config;
  config.endpoint = Fauxqs::Shared().endpoint();
  config.region = "us-east-1";
  config.credentials.access_key_id = "test";
  config.credentials.secret_access_key = "test";
  Result<sqs::Client> client = sqs::Client::Create(config);
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? std::optional<sqs::Client>(std::move(*client)) : std::nullopt;
}

// Sends `bodies` ten per SendMessageBatch; reports failures without stopping the test.
void SendAll(sqs::Client& client, const std::string& queue_url,
             std::span<const std::string> bodies) {
  for (size_t i = 0; i < bodies.size(); i += 10) {
    auto failed =
        client.SendBatch(queue_url, bodies.subspan(i, std::min<size_t>(10, bodies.size() - i)));
    if (!failed.ok() || !failed->empty()) {
      ADD_FAILURE() << "SendMessageBatch failed: "
                    << (failed.ok() ? failed->front().message : failed.status().ToString());
      return;
    }
  }
}

}  // namespace

uint64_t FaultSeed() {
  if (const char* text = std::getenv("AMSTREAM_FAULT_SEED"); text != nullptr) {
    return std::strtoull(text, nullptr, 10);
  }
  return std::random_device()();
}

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') {
    return fallback;
  }
  char* end = nullptr;
  long long value = std::strtoll(text, &end, 10);
  return *end == '\0' ? value : fallback;
}

int64_t PeakRssKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) {
      return std::strtoll(line.c_str() + 6, nullptr, 10);
    }
  }
  return -1;
}

std::unique_ptr<TcpProxy> FaultTest::StartProxy(int target_port) {
  Result<std::unique_ptr<TcpProxy>> proxy = TcpProxy::Start(target_port);
  if (!proxy.ok()) {
    ADD_FAILURE() << proxy.status().ToString();
    throw HarnessError("cannot start a tcp proxy");
  }
  return std::move(*proxy);
}

std::string FaultTest::DatabaseVia(const TcpProxy& proxy) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(proxy.port()) + "/" + name_;
}

ChildProcess FaultTest::StartConsumer(const Route& route, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {
      AmstreamBinary(),
      "--database",
      route.database.empty() ? db_ : route.database,
      "run",
      "--queue-url",
      queue_url_,
      "--endpoint",
      route.endpoint.empty() ? Fauxqs::Shared().endpoint() : route.endpoint,
      "--wait-seconds",
      "1"};
  args.insert(args.end(), extra.begin(), extra.end());
  Result<ChildProcess> child = ChildProcess::Start(args);
  if (!child.ok()) {
    ADD_FAILURE() << child.status().ToString();
    throw HarnessError("cannot start amstream run");
  }
  return std::move(*child);
}

bool FaultTest::WaitForFirstRows(const ChildProcess& consumer) {
  bool stored = WaitUntil(
      [&] {
        Result<std::string> rows = TryPsql(db_, "SELECT count(*) > 0 FROM sp_traffic_hourly");
        return rows.ok() && *rows == "t";
      },
      std::chrono::seconds(30), std::chrono::milliseconds(100));
  EXPECT_TRUE(stored) << "nothing stored after 30 s:\n" << consumer.Stderr();
  return stored;
}

bool FaultTest::WaitForEmptyQueue(std::chrono::milliseconds timeout) {
  return WaitUntil([&] { return Depth(queue_url_) == 0; }, timeout, std::chrono::milliseconds(250));
}

ProcessResult FaultTest::StopCleanly(ChildProcess& child) {
  EXPECT_TRUE(child.running()) << "amstream ended early:\n" << child.Stderr();
  if (child.running()) {
    EXPECT_TRUE(child.Kill(SIGTERM).ok());
  }
  return ExpectCleanExit(child.Wait(std::chrono::seconds(60)));
}

gen::ExpectedTotals FaultTest::SendGeneratedInParallel(const gen::Options& options, int senders) {
  std::vector<std::optional<sqs::Client>> clients;
  for (int i = 0; i < senders; ++i) {
    clients.push_back(DirectSqsClient());
  }
  constexpr size_t kChunk = 1000;
  std::vector<std::string> pending;
  // Each round hands one chunk to each sender, so generation overlaps with sending.
  auto flush = [&] {
    std::vector<std::thread> threads;
    for (size_t i = 0; i * kChunk < pending.size(); ++i) {
      auto part = std::span<const std::string>(pending).subspan(
          i * kChunk, std::min(kChunk, pending.size() - i * kChunk));
      threads.emplace_back([&, part, i] { SendAll(*clients[i], queue_url_, part); });
    }
    for (std::thread& thread : threads) {
      thread.join();
    }
    pending.clear();
  };
  Result<gen::ExpectedTotals> totals = gen::Generate(options, [&](std::string_view body) {
    pending.emplace_back(body);
    if (pending.size() == kChunk * static_cast<size_t>(senders)) {
      flush();
    }
    return Status::Ok();
  });
  flush();
  EXPECT_TRUE(totals.ok()) << totals.status().ToString();
  return totals.ok() ? *totals : gen::ExpectedTotals();
}

void FaultTest::ExpectExactAndDrained(const gen::ExpectedTotals& expected) {
  ExpectTotals(expected);
  EXPECT_EQ(Depth(queue_url_), 0);
  EXPECT_EQ(Depth(dlq_url_), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM quarantine"), 0);
}

void FaultTest::ExpectSlowBatchesKeepMessagesHidden(const gen::Options& options,
                                                    const std::vector<std::string>& extra) {
  std::string redrive =
      R"({"deadLetterTargetArn":")" + QueueArn(name_ + "-dlq") + R"(","maxReceiveCount":"10"})";
  Result<std::string> queue =
      sqs_->CreateQueue(name_ + "-vis", {{"VisibilityTimeout", "2"}, {"RedrivePolicy", redrive}});
  ASSERT_TRUE(queue.ok()) << queue.status().ToString();
  queue_url_ = *queue;

  std::unique_ptr<TcpProxy> pg = StartProxy(PgCluster::Shared().port());
  ChildProcess child = StartConsumer({DatabaseVia(*pg), ""}, extra);
  ASSERT_TRUE(child.WaitForOutput("msg=consuming", std::chrono::seconds(30))) << child.Stderr();
  pg->SetDelay(std::chrono::milliseconds(300));
  gen::ExpectedTotals expected = SendGenerated(options);

  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(WaitForEmptyQueue(std::chrono::seconds(180))) << child.Stderr();
  std::cout << "[ fault    ] slow drain took "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
            << " s\n";
  pg->SetDelay(std::chrono::milliseconds(0));
  ProcessResult run = StopCleanly(child);
  EXPECT_EQ(StoppedCounter(run.err, "received"), options.messages) << run.err;
  EXPECT_GT(StoppedCounter(run.err, "visibility_extended"), 0) << run.err;
  ExpectExactAndDrained(expected);
}

int64_t FaultTest::StoppedCounter(const std::string& log, std::string_view name) {
  size_t line = log.rfind("msg=stopped");
  if (line == std::string::npos) {
    return -1;
  }
  std::string rest = log.substr(line, log.find('\n', line) - line);
  std::smatch match;
  if (!std::regex_search(rest, match, std::regex(" " + std::string(name) + "=(-?[0-9]+)"))) {
    return -1;
  }
  return std::stoll(match[1].str());
}

}  // namespace amstream::testing
