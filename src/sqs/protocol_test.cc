#include "sqs/protocol.h"

#include <gtest/gtest.h>

#include "json/json.h"

namespace amstream::sqs {
namespace {

const std::string kQueue = "https://sqs.us-east-1.amazonaws.com/123456789012/ams";

// The entries of a batch request, as (Id, ReceiptHandle or MessageBody) pairs.
std::vector<std::pair<std::string, std::string>> Entries(const std::string& request,
                                                         std::string_view value_key) {
  json::Parser parser;
  Result<json::Value> root = parser.Parse(request);
  EXPECT_TRUE(root.ok()) << root.status().ToString() << "\n" << request;
  std::vector<std::pair<std::string, std::string>> out;
  Status status = root->Find("Entries")->ForEachElement([&](const json::Value& entry) {
    out.emplace_back(entry.Find("Id")->GetString().value(),
                     entry.Find(value_key)->GetString().value());
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok());
  return out;
}

TEST(SqsProtocolTest, ReceiveRequestAsksForCountAndTimestamp) {
  ReceiveOptions options;
  options.max_messages = 7;
  options.wait_seconds = 3;
  options.visibility_timeout = 45;
  std::string request = ReceiveRequest(kQueue, options);
  json::Parser parser;
  Result<json::Value> root = parser.Parse(request);
  ASSERT_TRUE(root.ok()) << request;
  EXPECT_EQ(root->Find("QueueUrl")->GetString().value(), kQueue);
  EXPECT_EQ(root->Find("MaxNumberOfMessages")->GetInt64().value(), 7);
  EXPECT_EQ(root->Find("WaitTimeSeconds")->GetInt64().value(), 3);
  EXPECT_EQ(root->Find("VisibilityTimeout")->GetInt64().value(), 45);
  for (const char* key : {"AttributeNames", "MessageSystemAttributeNames"}) {
    std::vector<std::string> names;
    ASSERT_TRUE(root->Find(key)
                    ->ForEachElement([&](const json::Value& name) {
                      names.emplace_back(name.GetString().value());
                      return Status::Ok();
                    })
                    .ok());
    EXPECT_EQ(names, (std::vector<std::string>{"ApproximateReceiveCount", "SentTimestamp"}));
  }
}

TEST(SqsProtocolTest, ReceiveRequestLeavesVisibilityToTheQueueByDefault) {
  EXPECT_EQ(ReceiveRequest(kQueue, ReceiveOptions()).find("VisibilityTimeout"), std::string::npos);
}

TEST(SqsProtocolTest, DuplicateHandlesKeepDistinctEntryIds) {
  const std::vector<std::string> handles = {"handle-a", "handle-b", "handle-a", "handle-a"};
  auto entries = Entries(HandleBatchRequest(kQueue, handles, std::nullopt), "ReceiptHandle");
  ASSERT_EQ(entries.size(), 4u);
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].first, std::to_string(i));
    EXPECT_EQ(entries[i].second, handles[i]);
  }
}

TEST(SqsProtocolTest, VisibilityBatchCarriesTheTimeoutPerEntry) {
  const std::vector<std::string> handles = {"h0", "h1"};
  std::string request = HandleBatchRequest(kQueue, handles, 120);
  EXPECT_NE(request.find(R"({"Id":"1","ReceiptHandle":"h1","VisibilityTimeout":120})"),
            std::string::npos)
      << request;
  EXPECT_EQ(HandleBatchRequest(kQueue, handles, std::nullopt).find("VisibilityTimeout"),
            std::string::npos);
}

TEST(SqsProtocolTest, SendBatchEscapesBodiesAsJsonStrings) {
  const std::vector<std::string> bodies = {"{\"a\":\"q\\\"\"}\n", "smile \xF0\x9F\x98\x80!"};
  std::string request = SendBatchRequest(kQueue, bodies);
  auto entries = Entries(request, "MessageBody");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0], (std::pair<std::string, std::string>("0", bodies[0])));
  EXPECT_EQ(entries[1], (std::pair<std::string, std::string>("1", bodies[1])));
}

TEST(SqsProtocolTest, QueueNameRequestOmitsEmptyAttributes) {
  EXPECT_EQ(QueueNameRequest("q"), R"({"QueueName":"q"})");
  EXPECT_EQ(QueueNameRequest("q", {{"VisibilityTimeout", "5"}}),
            R"({"QueueName":"q","Attributes":{"VisibilityTimeout":"5"}})");
}

TEST(SqsProtocolTest, ParsesReceivedMessagesWithAttributes) {
  Result<std::vector<ams::Delivery>> deliveries = ParseReceiveResponse(R"({"Messages":[
      {"MessageId":"m-1","ReceiptHandle":"r-1","MD5OfBody":"x","Body":"{\"k\":1}",
       "Attributes":{"SentTimestamp":"1700000000123","ApproximateReceiveCount":"3"}},
      {"MessageId":"m-2","ReceiptHandle":"r-2","Body":""}]})");
  ASSERT_TRUE(deliveries.ok()) << deliveries.status().ToString();
  ASSERT_EQ(deliveries->size(), 2u);
  const ams::Delivery& first = (*deliveries)[0];
  EXPECT_EQ(first.message_id, "m-1");
  EXPECT_EQ(first.receipt_handle, "r-1");
  EXPECT_EQ(first.body, "{\"k\":1}");
  EXPECT_EQ(first.sent_timestamp_ms, 1'700'000'000'123);
  EXPECT_EQ(first.receive_count, 3);
  EXPECT_EQ((*deliveries)[1].body, "");
  EXPECT_EQ((*deliveries)[1].sent_timestamp_ms, 0);
  EXPECT_EQ((*deliveries)[1].receive_count, 0);
}

TEST(SqsProtocolTest, EmptyReceiveIsNoMessages) {
  for (const char* body : {"{}", R"({"Messages":[]})", R"({"Messages":null})"}) {
    Result<std::vector<ams::Delivery>> deliveries = ParseReceiveResponse(body);
    ASSERT_TRUE(deliveries.ok()) << body;
    EXPECT_TRUE(deliveries->empty()) << body;
  }
}

TEST(SqsProtocolTest, MalformedReceiveAnswersAreUnavailable) {
  for (const char* body :
       {"", "<html>", "[]", R"({"Messages":{}})", R"({"Messages":[{"MessageId":"m","Body":"b"}]})",
        R"({"Messages":[{"MessageId":1,"ReceiptHandle":"r","Body":"b"}]})"}) {
    Result<std::vector<ams::Delivery>> deliveries = ParseReceiveResponse(body);
    ASSERT_FALSE(deliveries.ok()) << body;
    EXPECT_EQ(deliveries.status().code(), Code::kUnavailable) << body;
  }
}

TEST(SqsProtocolTest, PartialBatchFailureListsExactlyTheFailedEntries) {
  Result<std::vector<EntryFailure>> failures = ParseBatchResponse(R"({
      "Successful":[{"Id":"0"},{"Id":"2"}],
      "Failed":[{"Id":"3","SenderFault":true,"Code":"ReceiptHandleIsInvalid",
                 "Message":"The receipt handle is not valid."},
                {"Id":"1","SenderFault":false,"Code":"InternalError","Message":"try again"}]})",
                                                                  4);
  ASSERT_TRUE(failures.ok()) << failures.status().ToString();
  ASSERT_EQ(failures->size(), 2u);
  EXPECT_EQ((*failures)[0].index, 1u);
  EXPECT_EQ((*failures)[0].code, "InternalError");
  EXPECT_FALSE((*failures)[0].sender_fault);
  EXPECT_EQ((*failures)[1].index, 3u);
  EXPECT_EQ((*failures)[1].code, "ReceiptHandleIsInvalid");
  EXPECT_EQ((*failures)[1].message, "The receipt handle is not valid.");
  EXPECT_TRUE((*failures)[1].sender_fault);
}

TEST(SqsProtocolTest, FullySuccessfulBatchHasNoFailures) {
  Result<std::vector<EntryFailure>> failures =
      ParseBatchResponse(R"({"Successful":[{"Id":"1"},{"Id":"0"}]})", 2);
  ASSERT_TRUE(failures.ok());
  EXPECT_TRUE(failures->empty());
}

TEST(SqsProtocolTest, UnmentionedBatchEntryCountsAsFailed) {
  Result<std::vector<EntryFailure>> failures =
      ParseBatchResponse(R"({"Successful":[{"Id":"0"}],"Failed":[]})", 2);
  ASSERT_TRUE(failures.ok());
  ASSERT_EQ(failures->size(), 1u);
  EXPECT_EQ((*failures)[0].index, 1u);
  EXPECT_EQ((*failures)[0].code, "NoResult");
}

TEST(SqsProtocolTest, BatchAnswerWithUnknownIdIsMalformed) {
  for (const char* body : {R"({"Successful":[{"Id":"2"}]})", R"({"Successful":[{"Id":"x"}]})",
                           R"({"Failed":[{"Code":"c"}]})", R"({"Failed":{}})"}) {
    Result<std::vector<EntryFailure>> failures = ParseBatchResponse(body, 2);
    ASSERT_FALSE(failures.ok()) << body;
    EXPECT_EQ(failures.status().code(), Code::kUnavailable) << body;
  }
}

TEST(SqsProtocolTest, ParsesAttributesAndQueueUrl) {
  Result<std::map<std::string, std::string>> attributes = ParseAttributesResponse(
      R"({"Attributes":{"ApproximateNumberOfMessages":"12","VisibilityTimeout":"30"}})");
  ASSERT_TRUE(attributes.ok());
  EXPECT_EQ(attributes->at("ApproximateNumberOfMessages"), "12");
  EXPECT_EQ(attributes->size(), 2u);
  EXPECT_EQ(ParseQueueUrlResponse(R"({"QueueUrl":"http://q"})").value(), "http://q");
  EXPECT_EQ(ParseQueueUrlResponse("{}").status().code(), Code::kUnavailable);
}

http::Response ErrorResponse(long status, std::string body, http::Headers headers = {}) {
  http::Response response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

TEST(SqsProtocolTest, ErrorBodyBecomesOneClearLine) {
  Status status = ErrorFromResponse(
      "ReceiveMessage",
      ErrorResponse(400, R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist",
                              "message":"The specified queue does not exist"})",
                    {{"x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender"}}));
  EXPECT_EQ(status.code(), Code::kNotFound);
  EXPECT_EQ(status.message(),
            "SQS ReceiveMessage: QueueDoesNotExist: The specified queue does not exist (HTTP 400)");
}

TEST(SqsProtocolTest, QueryErrorHeaderNamesTheCodeWhenTheBodyDoesNot) {
  Status status = ErrorFromResponse(
      "DeleteMessageBatch",
      ErrorResponse(400, "",
                    {{"x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender"}}));
  EXPECT_EQ(status.code(), Code::kNotFound);
  EXPECT_EQ(status.message(), "SQS DeleteMessageBatch: NonExistentQueue (HTTP 400)");
}

TEST(SqsProtocolTest, ErrorWithoutJsonStillNamesActionAndStatus) {
  Status status = ErrorFromResponse("ReceiveMessage", ErrorResponse(502, "<html>Bad gateway"));
  EXPECT_EQ(status.code(), Code::kUnavailable);
  EXPECT_EQ(status.message(), "SQS ReceiveMessage: HTTP 502");
}

TEST(SqsProtocolTest, LongMultilineErrorMessageIsKeptToOneLine) {
  std::string message =
      "The request signature we calculated does not match.\n\nThe Canonical "
      "String for this request should have been\n'POST\n/\n" +
      std::string(1000, 'x') + "'";
  std::string body = R"({"__type":"com.amazon.coral.service#SignatureDoesNotMatch","message":)";
  json::AppendString(&body, message);
  body += "}";
  Status status = ErrorFromResponse("SendMessageBatch", ErrorResponse(403, body));
  EXPECT_EQ(status.code(), Code::kPermissionDenied);
  EXPECT_EQ(status.message().find('\n'), std::string::npos);
  EXPECT_LT(status.message().size(), 500u);
  EXPECT_NE(status.message().find("SignatureDoesNotMatch: The request signature"),
            std::string::npos);
}

TEST(SqsProtocolTest, MapsErrorCodesToRetryMeaning) {
  struct Case {
    std::string code;
    long http_status;
    Code expected;
  };
  const Case cases[] = {
      {"ThrottlingException", 400, Code::kThrottled},
      {"RequestThrottled", 403, Code::kThrottled},
      {"Throttling", 400, Code::kThrottled},
      {"TooManyRequests", 400, Code::kThrottled},
      {"KMS.ThrottlingException", 400, Code::kThrottled},
      {"", 429, Code::kThrottled},
      {"QueueDoesNotExist", 400, Code::kNotFound},
      {"AWS.SimpleQueueService.NonExistentQueue", 400, Code::kNotFound},
      {"com.amazonaws.sqs#QueueDoesNotExist", 400, Code::kNotFound},
      {"InvalidClientTokenId", 403, Code::kPermissionDenied},
      {"UnrecognizedClientException", 400, Code::kPermissionDenied},
      {"SignatureDoesNotMatch", 403, Code::kPermissionDenied},
      {"AccessDenied", 403, Code::kPermissionDenied},
      {"AccessDeniedException", 400, Code::kPermissionDenied},
      {"KMS.AccessDeniedException", 400, Code::kPermissionDenied},
      {"MissingAuthenticationToken", 403, Code::kPermissionDenied},
      {"ExpiredToken", 400, Code::kPermissionDenied},
      {"", 403, Code::kPermissionDenied},
      {"InternalError", 500, Code::kUnavailable},
      {"ServiceUnavailable", 503, Code::kUnavailable},
      {"InvalidParameterValue", 400, Code::kInvalid},
      {"ReceiptHandleIsInvalid", 400, Code::kInvalid},
      {"", 404, Code::kInvalid},
      {"", 302, Code::kUnavailable},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(CodeForError(c.code, c.http_status), c.expected)
        << c.code << " HTTP " << c.http_status;
  }
}

}  // namespace
}  // namespace amstream::sqs
