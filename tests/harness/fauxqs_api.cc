// SQS and SNS calls against the shared fauxqs, for setting up tests. SQS speaks AWS JSON
// 1.0, SNS the form-encoded Query protocol. Unsigned: fauxqs does not check signatures
// and then takes its default region, us-east-1.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/servers.h"
#include "http/http_client.h"

namespace amstream::testing {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

// The text between <tag> and </tag> in `xml`, or "" when absent.
std::string XmlElement(std::string_view xml, std::string_view tag) {
  std::string open = "<" + std::string(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  size_t start = xml.find(open);
  if (start == std::string_view::npos) {
    return "";
  }
  start += open.size();
  size_t end = xml.find(close, start);
  if (end == std::string_view::npos) {
    return "";
  }
  return std::string(xml.substr(start, end - start));
}

// Sends one SNS action and returns the response body; any non-2xx status is kInternal
// with SNS's error code and message.
Result<std::string> CallSns(std::string_view action, const Params& params) {
  std::string body = "Action=" + std::string(action) + "&Version=2010-03-31";
  for (const auto& [name, value] : params) {
    body += "&" + http::UrlEncode(name) + "=" + http::UrlEncode(value);
  }
  http::Request request;
  request.method = "POST";
  request.url = Fauxqs::Shared().endpoint() + "/";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body = std::move(body);
  request.timeout = std::chrono::seconds(10);

  http::Client client;
  auto response = client.Do(request);
  if (!response.ok()) {
    return response.status().WithContext("SNS " + std::string(action));
  }
  if (response->status < 200 || response->status > 299) {
    return InternalError(
        "SNS " + std::string(action) + " answered " + std::to_string(response->status) + ": " +
        XmlElement(response->body, "Code") + " " + XmlElement(response->body, "Message"));
  }
  return std::move(response->body);
}

// The string value of top-level field `name` in a flat JSON object; "" when absent. Good
// enough for the URLs fauxqs returns, which hold no escapes.
std::string JsonStringField(std::string_view json, std::string_view name) {
  std::string key = "\"" + std::string(name) + "\":\"";
  size_t start = json.find(key);
  if (start == std::string_view::npos) {
    return "";
  }
  start += key.size();
  size_t end = json.find('"', start);
  return end == std::string_view::npos ? "" : std::string(json.substr(start, end - start));
}

}  // namespace

Result<std::string> SqsCall(std::string_view action, std::string_view json_body) {
  http::Request request;
  request.method = "POST";
  request.url = Fauxqs::Shared().endpoint() + "/";
  request.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                     {"X-Amz-Target", "AmazonSQS." + std::string(action)}};
  request.body = std::string(json_body);
  request.timeout = std::chrono::seconds(30);

  http::Client client;
  auto response = client.Do(request);
  if (!response.ok()) {
    return response.status().WithContext("SQS " + std::string(action));
  }
  if (response->status < 200 || response->status > 299) {
    return InternalError("SQS " + std::string(action) + " answered " +
                         std::to_string(response->status) + ": " + response->body);
  }
  return std::move(response->body);
}

Result<std::string> SqsCreateQueue(std::string_view name) {
  auto body = SqsCall("CreateQueue", "{\"QueueName\":\"" + std::string(name) + "\"}");
  if (!body.ok()) {
    return body.status();
  }
  std::string url = JsonStringField(*body, "QueueUrl");
  if (url.empty()) {
    return InternalError("SQS CreateQueue: no QueueUrl in " + *body);
  }
  return url;
}

Result<std::string> SnsCreateTopic(std::string_view name) {
  auto body = CallSns("CreateTopic", {{"Name", std::string(name)}});
  if (!body.ok()) {
    return body.status();
  }
  std::string arn = XmlElement(*body, "TopicArn");
  if (arn.empty()) {
    return InternalError("SNS CreateTopic: no TopicArn in " + *body);
  }
  return arn;
}

Status SnsSubscribeQueue(std::string_view topic_arn, std::string_view queue_arn,
                         bool raw_delivery) {
  Params params = {{"TopicArn", std::string(topic_arn)},
                   {"Protocol", "sqs"},
                   {"Endpoint", std::string(queue_arn)}};
  if (raw_delivery) {
    params.emplace_back("Attributes.entry.1.key", "RawMessageDelivery");
    params.emplace_back("Attributes.entry.1.value", "true");
  }
  auto body = CallSns("Subscribe", params);
  return body.ok() ? Status::Ok() : body.status();
}

Status SnsPublish(std::string_view topic_arn, std::string_view message) {
  auto body =
      CallSns("Publish", {{"TopicArn", std::string(topic_arn)}, {"Message", std::string(message)}});
  return body.ok() ? Status::Ok() : body.status();
}

}  // namespace amstream::testing
