#include "pipeline/sqs_queue.h"

#include <fmt/format.h>

#include "common/log.h"
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

Result<QueueClientFactory> SqsQueueFactory(const SqsQueueOptions& options) {
  if (options.queue_url.rfind("https://", 0) != 0 && options.queue_url.rfind("http://", 0) != 0) {
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
  log::Info("sqs", "queue configured",
            {{"queue", options.queue_url},
             {"endpoint", config.endpoint},
             {"region", config.region},
             {"credentials", credentials->source},
             {"wait_seconds", options.wait_seconds}});
  // Validate once here so that a malformed endpoint fails at start, not in a thread.
  if (Result<sqs::Client> probe = sqs::Client::Create(config); !probe.ok()) {
    return probe.status();
  }
  return QueueClientFactory([config, options]() -> Result<std::unique_ptr<QueueClient>> {
    Result<sqs::Client> client = sqs::Client::Create(config);
    if (!client.ok()) {
      return client.status();
    }
    return std::unique_ptr<QueueClient>(
        std::make_unique<SqsQueueClient>(std::move(*client), options));
  });
}

}  // namespace amstream::pipeline
