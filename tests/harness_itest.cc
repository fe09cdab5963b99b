// Smoke tests of the integration-test harness itself: if these fail, every other
// integration test's failure is about the harness, not amstream.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "harness/servers.h"

namespace amstream::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(HarnessProcessTest, RunCommandCapturesOutputAndExitCode) {
  auto result = RunCommand({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->exit_code, 3);
  EXPECT_EQ(result->signal, 0);
  EXPECT_EQ(result->out, "out\n");
  EXPECT_EQ(result->err, "err\n");
}

TEST(HarnessProcessTest, RunCommandFeedsStdinAndPassesArgumentsVerbatim) {
  RunOptions options;
  options.stdin_text = "from stdin\n";
  auto result =
      RunCommand({"sh", "-c", "cat; printf '[%s]' \"$1\"", "sh", "a b; $(x) 'c'"}, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->out, "from stdin\n[a b; $(x) 'c']");
}

TEST(HarnessProcessTest, ChildrenGetFakeAwsCredentialsOnly) {
  RunOptions options;
  options.env = {{"AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:1"}};
  auto out = RunOutput({"sh", "-c", "env | grep '^AWS_' | sort"}, options);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out,
            "AWS_ACCESS_KEY_ID=test\nAWS_DEFAULT_REGION=us-east-1\n"
            "AWS_EC2_METADATA_DISABLED=true\nAWS_ENDPOINT_URL_SQS=http://127.0.0.1:1\n"
            "AWS_REGION=us-east-1\nAWS_SECRET_ACCESS_KEY=test\n");
  EXPECT_STREQ(std::getenv("AWS_EC2_METADATA_DISABLED"), "true");
}

TEST(HarnessProcessTest, RunCommandKillsAProcessThatOverstaysItsTimeout) {
  auto start = std::chrono::steady_clock::now();
  RunOptions options;
  options.timeout = milliseconds(200);
  auto result = RunCommand({"sleep", "30"}, options);
  EXPECT_FALSE(result.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));
}

TEST(HarnessProcessTest, RunCommandReportsAMissingProgram) {
  auto result = RunCommand({"amstream-no-such-program"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Code::kUnavailable);
}

TEST(HarnessProcessTest, ChildProcessCanBeSignalledAndWaitedFor) {
  auto child = ChildProcess::Start({"sh", "-c", "echo started; exec sleep 30"});
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  EXPECT_TRUE(child->running());
  EXPECT_FALSE(child->Wait(milliseconds(50)).ok());

  ASSERT_TRUE(child->Kill(SIGTERM).ok());
  auto result = child->Wait(seconds(10));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->signal, SIGTERM);
  EXPECT_EQ(result->exit_code, -1);
  EXPECT_EQ(result->out, "started\n");
  EXPECT_FALSE(child->running());
}

TEST(HarnessProcessTest, WaitForOutputSeesTextOrGivesUp) {
  auto child = ChildProcess::Start({"sh", "-c", "sleep 0.1; echo ready >&2; exec sleep 30"});
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  EXPECT_TRUE(child->WaitForOutput("ready", seconds(10)));
  EXPECT_FALSE(child->WaitForOutput("never printed", milliseconds(100)));

  auto quitter = ChildProcess::Start({"sh", "-c", "echo bye; exit 2"});
  ASSERT_TRUE(quitter.ok()) << quitter.status().ToString();
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(quitter->WaitForOutput("never printed", seconds(20)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));
  EXPECT_EQ(quitter->Wait(milliseconds(0))->exit_code, 2);
}

TEST(HarnessProcessTest, AmstreamBinaryIsBuilt) {
  EXPECT_TRUE(std::filesystem::exists(AmstreamBinary())) << AmstreamBinary();
}

TEST(HarnessProcessTest, MakeTempDirGivesDistinctDirectories) {
  std::string a = MakeTempDir("db");
  std::string b = MakeTempDir("db");
  EXPECT_NE(a, b);
  EXPECT_TRUE(std::filesystem::is_directory(a));
  EXPECT_EQ(a.rfind(ScratchDir(), 0), 0U);
}

TEST(HarnessPgTest, CreatesQueriesAndSurvivesARestart) {
  PgCluster& pg = PgCluster::Shared();
  ASSERT_TRUE(pg.running());
  std::string url = pg.CreateDatabase("harness_smoke");
  EXPECT_EQ(url, "postgresql://postgres@127.0.0.1:" + std::to_string(pg.port()) + "/harness_smoke");

  Psql(url, "CREATE TABLE t (id int PRIMARY KEY, name text)");
  Psql(url, "INSERT INTO t VALUES (1, 'a'), (2, 'b')");
  EXPECT_EQ(Psql(url, "SELECT id, name FROM t ORDER BY id"), "1|a\n2|b");

  pg.Stop();
  EXPECT_FALSE(pg.running());
  EXPECT_FALSE(TryPsql(url, "SELECT 1").ok());

  pg.Start();
  EXPECT_TRUE(pg.running());
  EXPECT_EQ(Psql(url, "SELECT count(*) FROM t"), "2");
}

TEST(HarnessPgTest, CreateDatabaseStartsEmptyEvenWhenItExisted) {
  PgCluster& pg = PgCluster::Shared();
  std::string url = pg.CreateDatabase("harness_recreate");
  Psql(url, "CREATE TABLE leftover (x int)");
  url = pg.CreateDatabase("harness_recreate");
  EXPECT_EQ(Psql(url, "SELECT count(*) FROM pg_tables WHERE tablename = 'leftover'"), "0");
}

TEST(HarnessPgTest, FailedSqlThrowsWithPsqlsMessage) {
  std::string url = PgCluster::Shared().url();
  try {
    Psql(url, "SELECT * FROM no_such_table");
    ADD_FAILURE() << "no exception";
  } catch (const HarnessError& error) {
    EXPECT_NE(std::string(error.what()).find("no_such_table"), std::string::npos) << error.what();
  }
}

TEST(HarnessSqliteTest, QueriesADatabaseFile) {
  std::string path = MakeTempDir("sqlite") + "/smoke.db";
  SqliteQuery(path, "CREATE TABLE t (id INTEGER, name TEXT); INSERT INTO t VALUES (1, 'x');");
  EXPECT_EQ(SqliteQuery(path, "SELECT id, name FROM t"), "1|x");
}

TEST(HarnessFauxqsTest, AnswersHealthAndSurvivesARestart) {
  Fauxqs& fauxqs = Fauxqs::Shared();
  EXPECT_TRUE(fauxqs.Healthy());
  int port = fauxqs.port();
  EXPECT_EQ(fauxqs.endpoint(), "http://127.0.0.1:" + std::to_string(port));

  fauxqs.Stop();
  EXPECT_FALSE(fauxqs.Healthy());
  fauxqs.Start();
  EXPECT_TRUE(fauxqs.Healthy());
  EXPECT_EQ(fauxqs.port(), port);
}

TEST(HarnessFauxqsTest, SnsDeliversToASubscribedQueue) {
  auto queue_url = SqsCreateQueue("harness-sns-raw");
  ASSERT_TRUE(queue_url.ok()) << queue_url.status().ToString();
  auto topic = SnsCreateTopic("harness-smoke");
  ASSERT_TRUE(topic.ok()) << topic.status().ToString();
  EXPECT_EQ(*topic, "arn:aws:sns:us-east-1:000000000000:harness-smoke");

  ASSERT_TRUE(SnsSubscribeQueue(*topic, QueueArn("harness-sns-raw"), true).ok());
  ASSERT_TRUE(SnsPublish(*topic, "hello-raw").ok());
  auto received =
      SqsCall("ReceiveMessage", "{\"QueueUrl\":\"" + *queue_url + "\",\"WaitTimeSeconds\":5}");
  ASSERT_TRUE(received.ok()) << received.status().ToString();
  EXPECT_NE(received->find("\"Body\":\"hello-raw\""), std::string::npos) << *received;

  EXPECT_FALSE(SnsPublish("arn:aws:sns:us-east-1:000000000000:missing", "x").ok());
}

}  // namespace
}  // namespace amstream::testing
