#include "sqs/sqs_client.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "common/time.h"
#include "http/local_test_server.h"
#include "sqs/sigv4.h"

namespace amstream::sqs {
namespace {

using http::test_support::LocalServer;
using http::test_support::RawResponse;

// A queue URL like fauxqs returns: its host does not resolve, so requests must go to the
// endpoint instead.
const std::string kQueueUrl = "http://sqs.us-east-1.localhost:4566/000000000000/ams";

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

// The head of a raw request as name -> value (last one wins), plus the request line.
struct RawRequest {
  std::string request_line;
  std::map<std::string, std::string> headers;
  std::string body;
};

RawRequest SplitRequest(const std::string& raw) {
  RawRequest out;
  size_t end = raw.find("\r\n\r\n");
  out.body = raw.substr(end + 4);
  std::istringstream lines(raw.substr(0, end));
  std::string line;
  std::getline(lines, line);
  out.request_line = line.substr(0, line.size() - 1);
  while (std::getline(lines, line)) {
    size_t colon = line.find(':');
    out.headers[line.substr(0, colon)] = line.substr(colon + 2, line.size() - colon - 3);
  }
  return out;
}

Client MakeClient(const std::string& endpoint, std::string token = "") {
  Result<Client> client =
      Client::Create({endpoint, "us-east-1", {"AKIDTEST", "secret", std::move(token), "test"}});
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return std::move(client).value();
}

TEST(ResolveEndpointTest, PrefersSettingThenSqsVariableThenGeneralVariableThenQueueHost) {
  auto env = FakeEnv({{"AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:4566"},
                      {"AWS_ENDPOINT_URL", "http://127.0.0.1:9999"}});
  EXPECT_EQ(ResolveEndpoint("http://127.0.0.1:1234", kQueueUrl, env).value(),
            "http://127.0.0.1:1234/");
  EXPECT_EQ(ResolveEndpoint("", kQueueUrl, env).value(), "http://127.0.0.1:4566/");
  EXPECT_EQ(ResolveEndpoint("", kQueueUrl, FakeEnv({{"AWS_ENDPOINT_URL", "http://h:9"}})).value(),
            "http://h:9/");
  // Without a setting, the queue URL's own scheme and host.
  EXPECT_EQ(ResolveEndpoint("", kQueueUrl, FakeEnv({})).value(),
            "http://sqs.us-east-1.localhost:4566/");
  EXPECT_EQ(ResolveEndpoint("", "https://sqs.eu-west-1.amazonaws.com/123/q", FakeEnv({})).value(),
            "https://sqs.eu-west-1.amazonaws.com/");
}

TEST(ResolveEndpointTest, EmptyVariablesAreIgnored) {
  auto env = FakeEnv({{"AWS_ENDPOINT_URL_SQS", ""}, {"AWS_ENDPOINT_URL", "http://h:1"}});
  EXPECT_EQ(ResolveEndpoint("", kQueueUrl, env).value(), "http://h:1/");
}

TEST(ResolveEndpointTest, BadValuesAreConfigErrorsNamingTheSetting) {
  Result<std::string> bad =
      ResolveEndpoint("", kQueueUrl, FakeEnv({{"AWS_ENDPOINT_URL_SQS", "127.0.0.1:4566"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kConfig);
  EXPECT_NE(bad.status().message().find("AWS_ENDPOINT_URL_SQS"), std::string::npos);

  Result<std::string> no_queue = ResolveEndpoint("", "my-queue", FakeEnv({}));
  ASSERT_FALSE(no_queue.ok());
  EXPECT_EQ(no_queue.status().code(), Code::kConfig);
}

TEST(SqsClientTest, CreateRefusesMissingRegionOrEndpoint) {
  Credentials keys{"AKID", "secret", "", "test"};
  EXPECT_EQ(Client::Create({"http://127.0.0.1:1/", "", keys}).status().code(), Code::kConfig);
  EXPECT_EQ(Client::Create({"127.0.0.1:1", "us-east-1", keys}).status().code(), Code::kConfig);
  EXPECT_EQ(Client::Create({"http://127.0.0.1:1/", "us-east-1", {}}).status().code(),
            Code::kConfig);
}

TEST(SqsClientTest, ReceiveSendsSignedJsonToTheEndpointAndNamesTheQueueInTheBody) {
  LocalServer server([](const std::string&) {
    return RawResponse(200, R"({"Messages":[{"MessageId":"m1","ReceiptHandle":"r1",
        "Body":"hello","Attributes":{"SentTimestamp":"1700000000000",
        "ApproximateReceiveCount":"2"}}]})");
  });
  Client client = MakeClient(server.Url(), "session-token");
  ReceiveOptions options;
  options.wait_seconds = 1;
  Result<std::vector<ams::Delivery>> deliveries = client.Receive(kQueueUrl, options);
  ASSERT_TRUE(deliveries.ok()) << deliveries.status().ToString();
  ASSERT_EQ(deliveries->size(), 1u);
  EXPECT_EQ((*deliveries)[0].receive_count, 2);
  EXPECT_EQ((*deliveries)[0].sent_timestamp_ms, 1'700'000'000'000);

  RawRequest sent = SplitRequest(server.requests().at(0));
  EXPECT_EQ(sent.request_line, "POST / HTTP/1.1");
  EXPECT_EQ(sent.headers["Host"], "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(sent.headers["Content-Type"], "application/x-amz-json-1.0");
  EXPECT_EQ(sent.headers["X-Amz-Target"], "AmazonSQS.ReceiveMessage");
  EXPECT_EQ(sent.headers["X-Amz-Security-Token"], "session-token");
  EXPECT_NE(sent.body.find("\"QueueUrl\":\"" + kQueueUrl + "\""), std::string::npos);

  // Signing what was actually sent again must give the same Authorization: the Host on
  // the wire is the Host that was signed.
  std::string date = sent.headers["X-Amz-Date"];
  Result<Timestamp> time =
      ParseTimestamp(date.substr(0, 4) + "-" + date.substr(4, 2) + "-" + date.substr(6, 5) + ":" +
                     date.substr(11, 2) + ":" + date.substr(13));
  ASSERT_TRUE(time.ok()) << date;
  http::Headers signed_headers = {{"Host", sent.headers["Host"]},
                                  {"Content-Type", sent.headers["Content-Type"]},
                                  {"X-Amz-Target", sent.headers["X-Amz-Target"]}};
  Signature expected = SignV4(
      {"POST", "/", "", signed_headers, sent.body}, {"AKIDTEST", "secret", "session-token", "test"},
      {"us-east-1", "sqs", std::chrono::sys_seconds(std::chrono::seconds(time->epoch_ms / 1000))});
  EXPECT_EQ(sent.headers["Authorization"], expected.authorization);
  EXPECT_NE(expected.authorization.find(
                "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,"),
            std::string::npos);
}

TEST(SqsClientTest, ErrorAnswerBecomesStatusNamingActionAndCode) {
  LocalServer server([](const std::string&) {
    return RawResponse(400,
                       R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist",)"
                       R"("message":"The specified queue does not exist."})",
                       "x-amzn-query-error: AWS.SimpleQueueService.NonExistentQueue;Sender\r\n");
  });
  Client client = MakeClient(server.Url());
  Result<std::string> url = client.GetQueueUrl("missing");
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.status().code(), Code::kNotFound);
  EXPECT_EQ(url.status().message(),
            "SQS GetQueueUrl: QueueDoesNotExist: The specified queue does not exist. (HTTP 400)");
}

TEST(SqsClientTest, ThrottledAnswerIsThrottled) {
  LocalServer server([](const std::string&) { return RawResponse(429, ""); });
  Client client = MakeClient(server.Url());
  const std::vector<std::string> handles = {"h"};
  EXPECT_EQ(client.DeleteBatch(kQueueUrl, handles).status().code(), Code::kThrottled);
}

TEST(SqsClientTest, PartialDeleteFailureIsNotAnError) {
  LocalServer server([](const std::string&) {
    return RawResponse(200,
                       R"({"Successful":[{"Id":"0"}],"Failed":[{"Id":"1",)"
                       R"("SenderFault":true,"Code":"ReceiptHandleIsInvalid","Message":"m"}]})");
  });
  Client client = MakeClient(server.Url());
  const std::vector<std::string> handles = {"same", "same"};
  Result<std::vector<EntryFailure>> failures = client.DeleteBatch(kQueueUrl, handles);
  ASSERT_TRUE(failures.ok()) << failures.status().ToString();
  ASSERT_EQ(failures->size(), 1u);
  EXPECT_EQ((*failures)[0].index, 1u);
  EXPECT_EQ(SplitRequest(server.requests().at(0)).headers["X-Amz-Target"],
            "AmazonSQS.DeleteMessageBatch");
}

TEST(SqsClientTest, BadArgumentsFailBeforeAnyRequest) {
  LocalServer server([](const std::string&) { return RawResponse(200, "{}"); });
  Client client = MakeClient(server.Url());
  ReceiveOptions too_many;
  too_many.max_messages = 11;
  EXPECT_EQ(client.Receive(kQueueUrl, too_many).status().code(), Code::kInvalid);
  ReceiveOptions too_long;
  too_long.wait_seconds = 21;
  EXPECT_EQ(client.Receive(kQueueUrl, too_long).status().code(), Code::kInvalid);
  const std::vector<std::string> eleven(11, "h");
  EXPECT_EQ(client.DeleteBatch(kQueueUrl, eleven).status().code(), Code::kInvalid);
  EXPECT_EQ(client.SendBatch(kQueueUrl, eleven).status().code(), Code::kInvalid);
  const std::vector<std::string> one = {"h"};
  EXPECT_EQ(client.ChangeVisibilityBatch(kQueueUrl, one, 43'201).status().code(), Code::kInvalid);
  EXPECT_TRUE(client.DeleteBatch(kQueueUrl, {}).ok());
  EXPECT_TRUE(server.requests().empty());
}

TEST(SqsClientTest, TransportFailureNamesTheAction) {
  std::string url;
  {
    http::test_support::Listener closed;
    url = closed.Url();
  }
  Client client = MakeClient(url);
  Result<std::map<std::string, std::string>> attributes =
      client.GetQueueAttributes(kQueueUrl, std::vector<std::string>{"All"});
  ASSERT_FALSE(attributes.ok());
  EXPECT_EQ(attributes.status().code(), Code::kUnavailable);
  EXPECT_TRUE(attributes.status().message().starts_with("SQS GetQueueAttributes: "))
      << attributes.status().message();
}

}  // namespace
}  // namespace amstream::sqs
