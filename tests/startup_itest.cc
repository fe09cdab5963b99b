// `amstream run` at start: bad settings fail at once with one line and exit code 2; a
// database or queue that is down is waited for, not turned into a crash loop.
#include <gtest/gtest.h>
#include <signal.h>

#include <sstream>
#include <thread>

#include "http/http_client.h"
#include "run_support.h"

namespace amstream::testing {
namespace {

using std::chrono::seconds;

class StartupTest : public RunTest {
 protected:
  ProcessResult Amstream(const std::vector<std::string>& args, const EnvVars& env = {}) {
    RunOptions options;
    options.env = env;
    options.timeout = std::chrono::minutes(1);
    Result<ProcessResult> result = RunCommand(args, options);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? *result : ProcessResult{};
  }

  // The lines amstream itself wrote to stderr, log lines left out.
  static std::vector<std::string> ErrorLines(const std::string& err) {
    std::vector<std::string> lines;
    std::istringstream in(err);
    for (std::string line; std::getline(in, line);) {
      if (!line.starts_with("ts=")) {
        lines.push_back(line);
      }
    }
    return lines;
  }
};

TEST_F(StartupTest, MissingCredentialsFailAtOnceWithOneLineSayingWhatToSet) {
  std::string home = MakeTempDir("home");
  ProcessResult run = Amstream(RunArgs(), {{"AWS_ACCESS_KEY_ID", ""},
                                           {"AWS_SECRET_ACCESS_KEY", ""},
                                           {"HOME", home},
                                           {"AWS_PROFILE", ""}});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  std::vector<std::string> lines = ErrorLines(run.err);
  ASSERT_EQ(lines.size(), 1u) << run.err;
  EXPECT_NE(lines[0].find("AWS_ACCESS_KEY_ID"), std::string::npos) << lines[0];
}

TEST_F(StartupTest, AMalformedQueueUrlOrUnknownOptionExitsTwo) {
  ProcessResult bad_url =
      Amstream({AmstreamBinary(), "--database", db_, "run", "--queue-url", "sqs://nowhere/queue"});
  EXPECT_EQ(bad_url.exit_code, 2);
  std::vector<std::string> lines = ErrorLines(bad_url.err);
  ASSERT_EQ(lines.size(), 1u) << bad_url.err;
  EXPECT_NE(lines[0].find("--queue-url must be an http(s) URL"), std::string::npos) << lines[0];

  ProcessResult unknown = Amstream(RunArgs({"--recievers", "4"}));
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("--recievers"), std::string::npos) << unknown.err;
}

TEST_F(StartupTest, AQueueThatDoesNotExistExitsTwoNamingIt) {
  std::string missing = queue_url_ + "-nope";
  ProcessResult run = Amstream({AmstreamBinary(), "--database", db_, "run", "--queue-url", missing,
                                "--endpoint", Fauxqs::Shared().endpoint()});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  std::vector<std::string> lines = ErrorLines(run.err);
  ASSERT_EQ(lines.size(), 1u) << run.err;
  EXPECT_NE(lines[0].find("not-found"), std::string::npos) << lines[0];
}

TEST_F(StartupTest, AnUnreachableDatabaseIsWaitedForUntilTheStartTimeout) {
  ProcessResult run =
      Amstream({AmstreamBinary(), "--database",
                "postgresql://amstream@127.0.0.1:1/none?connect_timeout=2", "run", "--queue-url",
                queue_url_, "--endpoint", Fauxqs::Shared().endpoint(), "--start-timeout", "3"});
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_NE(run.err.find("the database is unreachable; waiting for it"), std::string::npos)
      << run.err;
  std::vector<std::string> lines = ErrorLines(run.err);
  ASSERT_EQ(lines.size(), 1u) << run.err;
  EXPECT_NE(lines[0].find("--start-timeout"), std::string::npos) << lines[0];
}

TEST_F(StartupTest, ADatabaseThatComesUpLaterIsUsedWithoutARestart) {
  gen::Options options;
  options.messages = 300;
  options.duplicate_rate = 0.2;
  gen::ExpectedTotals expected = SendGenerated(options);
  PgCluster::Shared().Stop();
  auto child = ChildProcess::Start(RunArgs({"--exit-when-idle", "2"}));
  if (!child.ok()) {
    PgCluster::Shared().Start();
    FAIL() << child.status().ToString();
  }
  bool waited = child->WaitForOutput("the database is unreachable; waiting for it", seconds(20));
  PgCluster::Shared().Start();
  EXPECT_TRUE(waited);
  auto finished = child->Wait(seconds(60));
  ASSERT_TRUE(finished.ok()) << finished.status().ToString();
  EXPECT_EQ(finished->exit_code, 0) << finished->err;
  ExpectTotals(expected);
  EXPECT_EQ(Depth(queue_url_), 0);
}

TEST_F(StartupTest, ServesMetricsAndHealthWhileConsuming) {
  gen::Options options;
  options.messages = 200;
  gen::ExpectedTotals expected = SendGenerated(options);
  auto child = ChildProcess::Start(RunArgs({"--metrics-address", "127.0.0.1:0"}));
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  ASSERT_TRUE(child->WaitForOutput("serving /metrics and /healthz", seconds(20)));
  std::string err = child->Stderr();
  size_t at = err.find("port=", err.find("serving /metrics"));
  ASSERT_NE(at, std::string::npos) << err;
  std::string base = "http://127.0.0.1:" + std::to_string(std::stoi(err.substr(at + 5)));
  http::Client client;
  http::Request request;
  request.method = "GET";
  std::string metrics;
  // The counters reach the backlog once it is drained.
  ASSERT_TRUE(WaitUntil(
      [&] {
        request.url = base + "/metrics";
        Result<http::Response> answer = client.Do(request);
        metrics = answer.ok() ? answer->body : "";
        return metrics.find("amstream_messages_deleted_total 200\n") != std::string::npos;
      },
      std::chrono::seconds(30)))
      << metrics;
  EXPECT_NE(metrics.find("# TYPE amstream_messages_received_total counter"), std::string::npos);
  request.url = base + "/healthz";
  Result<http::Response> health = client.Do(request);
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok\n");
  ASSERT_TRUE(child->Kill(SIGTERM).ok());
  auto stopped = child->Wait(seconds(30));
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->exit_code, 0) << stopped->err;
  ExpectTotals(expected);
}

}  // namespace
}  // namespace amstream::testing
