// Amazon SQS over the AWS JSON 1.0 protocol: POST / with X-Amz-Target: AmazonSQS.<Action>,
// signed with SigV4 for the service "sqs".
//
// The endpoint (where requests go) is separate from the queue URL (which only names the
// queue in the request body), so emulators and VPC endpoints work with real queue URLs.
// The client never retries: callers decide from the Status code (see common/status.h).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ams/message.h"
#include "common/status.h"
#include "http/http_client.h"
#include "sqs/credentials.h"
#include "sqs/protocol.h"

namespace amstream::sqs {

// Where requests go: `configured` when not empty, else AWS_ENDPOINT_URL_SQS, else
// AWS_ENDPOINT_URL, else https://<host[:port] of queue_url>. Returns scheme://authority
// plus path ("http://127.0.0.1:4566/"). Fails with kConfig naming the setting whose value
// is not an http(s) URL.
Result<std::string> ResolveEndpoint(std::string_view configured, std::string_view queue_url,
                                    const EnvLookup& env);

// What a Client needs; resolve it once at startup and share it among threads' clients.
struct ClientConfig {
  std::string endpoint;  // an http(s) URL, usually from ResolveEndpoint
  std::string region;    // "us-east-1"
  Credentials credentials;
  // Limit for every call but Receive, whose limit is its wait plus 10 s.
  std::chrono::milliseconds request_timeout{30'000};
};

// One connection to SQS. Not thread-safe: each thread creates its own Client.
//
// Every call fails as a whole with kUnavailable (transport, 5xx, malformed answer),
// kThrottled, kNotFound (no such queue), kPermissionDenied (credentials), kInvalid (other
// 4xx or bad arguments) or kCancelled; the message is one line naming the action.
class Client {
 public:
  // Fails with kConfig when the endpoint is not an http(s) URL or the region is empty.
  static Result<Client> Create(ClientConfig config);

  // One ReceiveMessage. The HTTP limit always exceeds the wait, so a long poll that
  // finds nothing returns an empty vector, not an error.
  Result<std::vector<ams::Delivery>> Receive(std::string_view queue_url,
                                             const ReceiveOptions& options);

  // DeleteMessageBatch of up to 10 handles (none: no call). The result lists the entries
  // SQS refused; an empty list means every entry succeeded.
  Result<std::vector<EntryFailure>> DeleteBatch(std::string_view queue_url,
                                                std::span<const std::string> receipt_handles);

  // ChangeMessageVisibilityBatch of up to 10 handles to `seconds` (0-43200) from now;
  // returns the refused entries like DeleteBatch.
  Result<std::vector<EntryFailure>> ChangeVisibilityBatch(
      std::string_view queue_url, std::span<const std::string> receipt_handles, int seconds);

  // SendMessageBatch of up to 10 bodies (none: no call); returns the refused entries.
  // For tests, the generator and dead-letter redrive.
  Result<std::vector<EntryFailure>> SendBatch(std::string_view queue_url,
                                              std::span<const std::string> bodies);

  // GetQueueAttributes for `names` (e.g. "All", "ApproximateNumberOfMessages").
  Result<std::map<std::string, std::string>> GetQueueAttributes(std::string_view queue_url,
                                                                std::span<const std::string> names);

  // CreateQueue; returns the queue URL. Succeeds for an existing queue with the same
  // attributes, as SQS does. For tests and tooling.
  Result<std::string> CreateQueue(std::string_view name,
                                  const std::map<std::string, std::string>& attributes = {});

  // GetQueueUrl; kNotFound when there is no such queue. For tests and tooling.
  Result<std::string> GetQueueUrl(std::string_view name);

 private:
  Client(ClientConfig config, http::Url endpoint);

  // Signs and sends one action; returns the body of a 200 answer. `cancel` and
  // `cancel_grace` are as in http::Request.
  Result<std::string> Call(std::string_view action, std::string body,
                           std::chrono::milliseconds timeout,
                           const std::atomic<bool>* cancel = nullptr,
                           std::chrono::milliseconds cancel_grace = {});

  // Sends a batch of `entries` entries and reads which of them failed.
  Result<std::vector<EntryFailure>> CallBatch(std::string_view action, std::string body,
                                              size_t entries);

  ClientConfig config_;
  http::Url endpoint_;
  std::string url_;  // endpoint_ as one string, where requests are sent
  std::unique_ptr<http::Client> http_;
};

}  // namespace amstream::sqs
