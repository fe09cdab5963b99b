#include "pipeline/sqs_queue.h"

#include <fmt/format.h>

#include <charconv>

#include "common/log.h"
#include "http/http_client.h"
#include "json/json.h"
#include "sqs/credentials.h"
#include "sqs/sqs_client.h"

namespace amstream::pipeline {
namespace {

std::vector<EntryFailure> Convert(std::vector<sqs::EntryFailure> failures) {
  std::vector<EntryFailure> out;
  out.reserve(failures.size());
  for (sqs::EntryFailure& f : failures) {
    out.push_back({f.index, std::move(f.code), std::move(f.message)});
  }
  return out;
}

Result<std::vector<EntryFailure>> Convert(Result<std::vector<sqs::EntryFailure>> result) {
  if (!result.ok()) {
    return result.status();
  }
  return Convert(std::move(*result));
}

class SqsQueueClient : public QueueClient {
 public:
  SqsQueueClient(sqs::Client client, const SqsQueueOptions& options)
      : client_(std::move(client)), options_(options) {}

  Result<std::vector<ams::Delivery>> Receive(const std::atomic<bool>* cancel) override {
    sqs::ReceiveOptions receive;
    receive.wait_seconds = options_.wait_seconds;
    if (options_.visibility_timeout_seconds > 0) {
      receive.visibility_timeout = options_.visibility_timeout_seconds;
    }
    receive.cancel = cancel;
    return client_.Receive(options_.queue_url, receive);
  }

  Result<std::vector<EntryFailure>> Delete(std::span<const std::string> handles) override {
    return Convert(client_.DeleteBatch(options_.queue_url, handles));
  }

  Result<std::vector<EntryFailure>> ChangeVisibility(std::span<const std::string> handles,
                                                     int seconds) override {
    return Convert(client_.ChangeVisibilityBatch(options_.queue_url, handles, seconds));
  }

 private:
  sqs::Client client_;
  SqsQueueOptions options_;
};

}  // namespace

Result<sqs::ClientConfig> ResolveSqsConfig(const SqsQueueOptions& options) {
  Result<http::Url> parsed = http::ParseUrl(options.queue_url);
  // A queue URL ends in /ACCOUNT/NAME; a bare host names no queue.
  if (!parsed.ok() || parsed->path.size() < 2 || parsed->path.back() == '/') {
    return ConfigError(
        fmt::format("--queue-url must be an http(s) URL like https://sqs.us-east-1.amazonaws.com/"
                    "123456789012/queue-name, got \"{:.80}\"",
                    options.queue_url));
  }
  sqs::ClientConfig config;
  Result<std::string> endpoint =
      sqs::ResolveEndpoint(options.endpoint, options.queue_url, sqs::ProcessEnv);
  if (!endpoint.ok()) {
    return endpoint.status();
  }
  Result<std::string> region = sqs::ResolveRegion(sqs::ProcessEnv, options.queue_url);
  if (!region.ok()) {
    return region.status();
  }
  Result<sqs::Credentials> credentials = sqs::ResolveCredentials(sqs::ProcessEnv);
  if (!credentials.ok()) {
    return credentials.status();
  }
  config.endpoint = *endpoint;
  config.region = *region;
  config.credentials = *credentials;
  // Creating a client parses the endpoint, so a malformed one fails here, at start.
  if (Result<sqs::Client> probe = sqs::Client::Create(config); !probe.ok()) {
    return probe.status();
  }
  log::Info("sqs", "queue configured",
            {{"queue", options.queue_url},
             {"endpoint", config.endpoint},
             {"region", config.region},
             {"credentials", credentials->source},
             {"wait_seconds", options.wait_seconds}});
  return config;
}

QueueClientFactory SqsQueueFactory(const sqs::ClientConfig& config,
                                   const SqsQueueOptions& options) {
  return [config, options]() -> Result<std::unique_ptr<QueueClient>> {
    Result<sqs::Client> client = sqs::Client::Create(config);
    if (!client.ok()) {
      return client.status();
    }
    return std::unique_ptr<QueueClient>(
        std::make_unique<SqsQueueClient>(std::move(*client), options));
  };
}

Result<QueueFacts> DescribeQueue(sqs::Client& client, const std::string& queue_url) {
  std::vector<std::string> names = {"VisibilityTimeout", "RedrivePolicy"};
  Result<std::map<std::string, std::string>> attributes =
      client.GetQueueAttributes(queue_url, names);
  if (!attributes.ok()) {
    return attributes.status();
  }
  QueueFacts facts;
  auto number = [](const std::string& text) {
    int value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
  };
  if (auto it = attributes->find("VisibilityTimeout"); it != attributes->end()) {
    facts.visibility_timeout_seconds = number(it->second);
  }
  if (auto it = attributes->find("RedrivePolicy"); it != attributes->end() && !it->second.empty()) {
    json::Parser parser;
    Result<json::Value> policy = parser.Parse(it->second);
    if (policy.ok()) {
      if (std::optional<json::Value> arn = policy->Find("deadLetterTargetArn")) {
        Result<std::string_view> text = arn->GetString();
        facts.dead_letter_arn = text.ok() ? std::string(*text) : "";
      }
      // SQS writes maxReceiveCount as a number or as a string, depending on who set it.
      if (std::optional<json::Value> count = policy->Find("maxReceiveCount")) {
        Result<int64_t> whole = count->GetInt64();
        Result<std::string_view> text = count->GetString();
        facts.redrive_max_receive_count = whole.ok()  ? static_cast<int>(*whole)
                                          : text.ok() ? number(std::string(*text))
                                                      : 0;
      }
    }
  }
  return facts;
}

}  // namespace amstream::pipeline
