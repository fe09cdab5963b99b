// `amstream run` at start: bad settings fail at once with one line and exit code 2; a
// database or queue that is down is waited for, not turned into a crash loop.
#include <gtest/gtest.h>

#include <sstream>
#include <thread>

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

}  // namespace
}  // namespace amstream::testing
