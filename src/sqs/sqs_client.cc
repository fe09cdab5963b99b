#include "sqs/sqs_client.h"

#include <fmt/format.h>

#include "sqs/sigv4.h"

namespace amstream::sqs {
namespace {

constexpr std::string_view kService = "sqs";
constexpr std::string_view kContentType = "application/x-amz-json-1.0";
// Added to a long poll's wait to give its HTTP limit: the answer to a poll that finds
// nothing arrives just after the wait, and must not be mistaken for a dead connection.
constexpr std::chrono::seconds kReceiveMargin{10};
// A receive that has not been answered within this time is waiting on an empty queue, and
// may be cancelled without taking messages with it (see http::Request::cancel_grace).
constexpr std::chrono::milliseconds kReceiveCancelGrace{1000};
constexpr int kMaxVisibilitySeconds = 43'200;

Status CheckRange(std::string_view action, std::string_view what, int64_t value, int64_t low,
                  int64_t high) {
  if (value >= low && value <= high) {
    return Status::Ok();
  }
  return InvalidError(
      fmt::format("SQS {}: {} must be {}-{}, got {}", action, what, low, high, value));
}

Status CheckBatch(std::string_view action, size_t entries) {
  return CheckRange(action, "batch size", static_cast<int64_t>(entries), 1,
                    static_cast<int64_t>(kMaxBatchEntries));
}

}  // namespace

Result<std::string> ResolveEndpoint(std::string_view configured, std::string_view queue_url,
                                    const EnvLookup& env) {
  std::string chosen(configured);
  std::string setting = "the SQS endpoint setting";
  for (const char* variable : {"AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL"}) {
    std::optional<std::string> value = env(variable);
    if (chosen.empty() && value.has_value() && !value->empty()) {
      chosen = *value;
      setting = variable;
    }
  }

  if (chosen.empty()) {
    Result<http::Url> queue = http::ParseUrl(queue_url);
    if (!queue.ok()) {
      return ConfigError(fmt::format("the queue URL \"{}\" is not an http(s) URL", queue_url));
    }
    // The queue's own scheme: a local emulator's queue URL is plain http.
    return fmt::format("{}://{}/", queue->scheme, queue->authority);
  }
  Result<http::Url> url = http::ParseUrl(chosen);
  if (!url.ok()) {
    return ConfigError(fmt::format("{}: \"{}\" is not an http(s) URL", setting, chosen));
  }
  return fmt::format("{}://{}{}", url->scheme, url->authority, url->path);
}

Result<Client> Client::Create(ClientConfig config) {
  Result<http::Url> endpoint = http::ParseUrl(config.endpoint);
  if (!endpoint.ok()) {
    return ConfigError(fmt::format("SQS endpoint \"{}\" is not an http(s) URL", config.endpoint));
  }
  if (config.region.empty()) {
    return ConfigError("SQS needs a region: set AWS_REGION");
  }
  if (config.credentials.access_key_id.empty() || config.credentials.secret_access_key.empty()) {
    return ConfigError("SQS needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  return Client(std::move(config), std::move(*endpoint));
}

Client::Client(ClientConfig config, http::Url endpoint)
    : config_(std::move(config)),
      endpoint_(std::move(endpoint)),
      url_(fmt::format("{}://{}{}", endpoint_.scheme, endpoint_.authority, endpoint_.path)),
      http_(std::make_unique<http::Client>()) {}

Result<std::string> Client::Call(std::string_view action, std::string body,
                                 std::chrono::milliseconds timeout, const std::atomic<bool>* cancel,
                                 std::chrono::milliseconds cancel_grace) {
  http::Request request;
  request.url = url_;
  // Host is set here, not left to libcurl, so that the signed value is the sent one.
  request.headers = {{"Host", endpoint_.authority},
                     {"Content-Type", std::string(kContentType)},
                     {"X-Amz-Target", fmt::format("AmazonSQS.{}", action)}};
  auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  Signature signature = SignV4({"POST", endpoint_.path, "", request.headers, body},
                               config_.credentials, {config_.region, kService, now});
  request.headers.insert(request.headers.end(), signature.added_headers.begin(),
                         signature.added_headers.end());
  request.body = std::move(body);
  request.timeout = timeout;
  request.cancel = cancel;
  request.cancel_grace = cancel_grace;

  Result<http::Response> response = http_->Do(request);
  if (!response.ok()) {
    return response.status().WithContext(fmt::format("SQS {}", action));
  }
  if (response->status != 200) {
    return ErrorFromResponse(action, *response);
  }
  return std::move(response->body);
}

Result<std::vector<EntryFailure>> Client::CallBatch(std::string_view action, std::string body,
                                                    size_t entries) {
  Result<std::string> answer = Call(action, std::move(body), config_.request_timeout);
  AMSTREAM_RETURN_IF_ERROR(answer.status());
  Result<std::vector<EntryFailure>> failures = ParseBatchResponse(*answer, entries);
  if (!failures.ok()) {
    return failures.status().WithContext(fmt::format("SQS {}", action));
  }
  return failures;
}

Result<std::vector<ams::Delivery>> Client::Receive(std::string_view queue_url,
                                                   const ReceiveOptions& options) {
  constexpr std::string_view kAction = "ReceiveMessage";
  AMSTREAM_RETURN_IF_ERROR(CheckRange(kAction, "max_messages", options.max_messages, 1,
                                      static_cast<int64_t>(kMaxBatchEntries)));
  AMSTREAM_RETURN_IF_ERROR(CheckRange(kAction, "wait_seconds", options.wait_seconds, 0, 20));
  if (options.visibility_timeout.has_value()) {
    AMSTREAM_RETURN_IF_ERROR(CheckRange(kAction, "visibility_timeout", *options.visibility_timeout,
                                        0, kMaxVisibilitySeconds));
  }

  std::chrono::milliseconds timeout = std::chrono::seconds(options.wait_seconds) + kReceiveMargin;
  Result<std::string> answer = Call(kAction, ReceiveRequest(queue_url, options), timeout,
                                    options.cancel, kReceiveCancelGrace);
  AMSTREAM_RETURN_IF_ERROR(answer.status());
  Result<std::vector<ams::Delivery>> deliveries = ParseReceiveResponse(*answer);
  if (!deliveries.ok()) {
    return deliveries.status().WithContext("SQS ReceiveMessage");
  }
  return deliveries;
}

Result<std::vector<EntryFailure>> Client::DeleteBatch(
    std::string_view queue_url, std::span<const std::string> receipt_handles) {
  constexpr std::string_view kAction = "DeleteMessageBatch";
  if (receipt_handles.empty()) {
    return std::vector<EntryFailure>();
  }
  AMSTREAM_RETURN_IF_ERROR(CheckBatch(kAction, receipt_handles.size()));
  return CallBatch(kAction, HandleBatchRequest(queue_url, receipt_handles, std::nullopt),
                   receipt_handles.size());
}

Result<std::vector<EntryFailure>> Client::ChangeVisibilityBatch(
    std::string_view queue_url, std::span<const std::string> receipt_handles, int seconds) {
  constexpr std::string_view kAction = "ChangeMessageVisibilityBatch";
  if (receipt_handles.empty()) {
    return std::vector<EntryFailure>();
  }
  AMSTREAM_RETURN_IF_ERROR(CheckBatch(kAction, receipt_handles.size()));
  AMSTREAM_RETURN_IF_ERROR(
      CheckRange(kAction, "visibility timeout", seconds, 0, kMaxVisibilitySeconds));
  return CallBatch(kAction, HandleBatchRequest(queue_url, receipt_handles, seconds),
                   receipt_handles.size());
}

Result<std::vector<EntryFailure>> Client::SendBatch(std::string_view queue_url,
                                                    std::span<const std::string> bodies) {
  constexpr std::string_view kAction = "SendMessageBatch";
  if (bodies.empty()) {
    return std::vector<EntryFailure>();
  }
  AMSTREAM_RETURN_IF_ERROR(CheckBatch(kAction, bodies.size()));
  return CallBatch(kAction, SendBatchRequest(queue_url, bodies), bodies.size());
}

Result<std::map<std::string, std::string>> Client::GetQueueAttributes(
    std::string_view queue_url, std::span<const std::string> names) {
  Result<std::string> answer = Call(
      "GetQueueAttributes", GetQueueAttributesRequest(queue_url, names), config_.request_timeout);
  AMSTREAM_RETURN_IF_ERROR(answer.status());
  Result<std::map<std::string, std::string>> attributes = ParseAttributesResponse(*answer);
  if (!attributes.ok()) {
    return attributes.status().WithContext("SQS GetQueueAttributes");
  }
  return attributes;
}

Result<std::string> Client::CreateQueue(std::string_view name,
                                        const std::map<std::string, std::string>& attributes) {
  Result<std::string> answer =
      Call("CreateQueue", QueueNameRequest(name, attributes), config_.request_timeout);
  AMSTREAM_RETURN_IF_ERROR(answer.status());
  Result<std::string> url = ParseQueueUrlResponse(*answer);
  return url.ok() ? url : url.status().WithContext("SQS CreateQueue");
}

Result<std::string> Client::GetQueueUrl(std::string_view name) {
  Result<std::string> answer = Call("GetQueueUrl", QueueNameRequest(name), config_.request_timeout);
  AMSTREAM_RETURN_IF_ERROR(answer.status());
  Result<std::string> url = ParseQueueUrlResponse(*answer);
  return url.ok() ? url : url.status().WithContext("SQS GetQueueUrl");
}

}  // namespace amstream::sqs
