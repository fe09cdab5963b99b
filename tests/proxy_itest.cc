// The fault-injecting TCP proxy itself, in front of fauxqs and PostgreSQL: if these fail,
// a fault test's failure says nothing about amstream.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <optional>

#include "harness/servers.h"
#include "harness/tcp_proxy.h"
#include "http/http_client.h"
#include "sqs/sqs_client.h"

namespace amstream::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

class ProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<TcpProxy>> started = TcpProxy::Start(Fauxqs::Shared().port());
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    proxy_ = std::move(*started);
    direct_ = MakeClient(Fauxqs::Shared().endpoint());
    via_proxy_ = MakeClient(proxy_->Url());
    Result<std::string> queue = direct_->CreateQueue("proxy-test");
    ASSERT_TRUE(queue.ok()) << queue.status().ToString();
    queue_url_ = *queue;
  }

  static std::optional<sqs::Client> MakeClient(const std::string& endpoint) {
    sqs::ClientConfig config;
    config.endpoint = endpoint;
    config.region = "us-east-1";
    config.credentials.access_key_id = "test";
    config.credentials.secret_access_key = "test";
    Result<sqs::Client> client = sqs::Client::Create(config);
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::optional<sqs::Client>(std::move(*client)) : std::nullopt;
  }

  // One cheap SQS call through the proxy.
  Status Call() {
    std::vector<std::string> names = {"ApproximateNumberOfMessages"};
    return via_proxy_->GetQueueAttributes(queue_url_, names).status();
  }

  std::unique_ptr<TcpProxy> proxy_;
  std::optional<sqs::Client> direct_;
  std::optional<sqs::Client> via_proxy_;
  std::string queue_url_;
};

TEST_F(ProxyTest, ForwardsRequestsOnOneConnectionAndDelaysEachRoundTrip) {
  ASSERT_TRUE(Call().ok());
  auto start = Clock::now();
  ASSERT_TRUE(Call().ok());
  auto undelayed = Clock::now() - start;

  proxy_->SetDelay(milliseconds(300));
  start = Clock::now();
  ASSERT_TRUE(Call().ok());
  ASSERT_TRUE(Call().ok());
  auto delayed = Clock::now() - start;
  EXPECT_GE(delayed, milliseconds(600));
  EXPECT_LT(delayed, milliseconds(600) + 2 * undelayed + seconds(1));
  EXPECT_EQ(proxy_->connections(), 1);
}

TEST_F(ProxyTest, RefuseFailsNewAndKeptAliveConnectionsUntilLifted) {
  ASSERT_TRUE(Call().ok());
  proxy_->SetRefuse(true);
  Status refused = Call();
  EXPECT_EQ(refused.code(), Code::kUnavailable) << refused.ToString();
  EXPECT_EQ(Call().code(), Code::kUnavailable);

  proxy_->SetRefuse(false);
  EXPECT_TRUE(Call().ok());
  EXPECT_GE(proxy_->connections(), 3);
}

TEST_F(ProxyTest, ResetAllAbortsALongPollInFlight) {
  sqs::ReceiveOptions receive;
  receive.wait_seconds = 10;
  auto start = Clock::now();
  auto poll =
      std::async(std::launch::async, [&] { return via_proxy_->Receive(queue_url_, receive); });
  ASSERT_TRUE(WaitUntil([&] { return proxy_->connections() == 1; }, seconds(5)));
  std::this_thread::sleep_for(milliseconds(300));
  proxy_->ResetAll();

  Result<std::vector<ams::Delivery>> result = poll.get();
  EXPECT_EQ(result.status().code(), Code::kUnavailable) << result.status().ToString();
  EXPECT_LT(Clock::now() - start, seconds(5));
  EXPECT_TRUE(Call().ok());
}

TEST_F(ProxyTest, InjectedAnswersReplaceRequestsAndKeepTheConnection) {
  ASSERT_TRUE(Call().ok());
  proxy_->InjectHttpResponses(2, 503, "unavailable");
  EXPECT_EQ(Call().code(), Code::kUnavailable);
  EXPECT_EQ(Call().code(), Code::kUnavailable);
  EXPECT_TRUE(Call().ok());

  proxy_->InjectHttpResponses(
      1, 400, R"({"__type":"com.amazonaws.sqs#ThrottlingException","message":"slow down"})",
      {{"Content-Type", "application/x-amz-json-1.0"}});
  Status throttled = Call();
  EXPECT_EQ(throttled.code(), Code::kThrottled) << throttled.ToString();
  EXPECT_TRUE(Call().ok());
  EXPECT_EQ(proxy_->injected(), 3);
  EXPECT_EQ(proxy_->connections(), 1);
}

TEST_F(ProxyTest, InjectedAnswersCanTargetOneAction) {
  proxy_->InjectHttpResponsesTo("X-Amz-Target: AmazonSQS.DeleteMessageBatch", 1, 500, "{}");
  ASSERT_TRUE(Call().ok());
  std::vector<std::string> handles = {"no-such-handle"};
  Result<std::vector<sqs::EntryFailure>> deleted = via_proxy_->DeleteBatch(queue_url_, handles);
  EXPECT_EQ(deleted.status().code(), Code::kUnavailable) << deleted.status().ToString();
  EXPECT_EQ(proxy_->injected(), 1);
}

TEST_F(ProxyTest, BlackholeHangsRequestsUntilLifted) {
  proxy_->SetBlackhole(true);
  http::Client client;
  http::Request request;
  request.method = "GET";
  request.url = proxy_->Url() + "/health";
  request.timeout = milliseconds(700);
  Result<http::Response> hung = client.Do(request);
  EXPECT_EQ(hung.status().code(), Code::kUnavailable) << hung.status().ToString();

  proxy_->SetBlackhole(false);
  http::Client fresh;
  request.timeout = seconds(5);
  Result<http::Response> answered = fresh.Do(request);
  ASSERT_TRUE(answered.ok()) << answered.status().ToString();
  EXPECT_EQ(answered->status, 200);
}

TEST(ProxyPostgresTest, CutAfterAStatementLetsTheServerActWithoutTellingTheClient) {
  PgCluster& cluster = PgCluster::Shared();
  std::string direct = cluster.CreateDatabase("proxy_cut");
  Psql(direct, "CREATE TABLE t (x int)");
  Result<std::unique_ptr<TcpProxy>> proxy = TcpProxy::Start(cluster.port());
  ASSERT_TRUE(proxy.ok()) << proxy.status().ToString();
  std::string via_proxy =
      "postgresql://postgres@127.0.0.1:" + std::to_string((*proxy)->port()) + "/proxy_cut";

  (*proxy)->CutAfterClientSends("INSERT INTO t");
  Result<std::string> cut = TryPsql(via_proxy, "INSERT INTO t VALUES (1)");
  EXPECT_FALSE(cut.ok());
  EXPECT_EQ((*proxy)->cuts(), 1);
  EXPECT_TRUE(WaitUntil([&] { return Psql(direct, "SELECT count(*) FROM t") == "1"; }, seconds(5)));

  ASSERT_TRUE(TryPsql(via_proxy, "INSERT INTO t VALUES (2)").ok());
  EXPECT_EQ(Psql(direct, "SELECT sum(x) FROM t"), "3");
}

}  // namespace
}  // namespace amstream::testing
