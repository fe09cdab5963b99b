// The pipeline's QueueClient over Amazon SQS (sqs/sqs_client.h).
#pragma once

#include <string>

#include "common/status.h"
#include "pipeline/queue_client.h"
#include "sqs/sqs_client.h"

namespace amstream::pipeline {

struct SqsQueueOptions {
  std::string queue_url;  // required
  std::string endpoint;   // empty: AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL, the queue's host
  int wait_seconds = 20;  // long-poll wait per receive, 0-20
  int visibility_timeout_seconds = 0;  // 0: the queue's own setting
};

// Resolves endpoint, region and credentials from `options`, the environment and the AWS
// shared files, and logs what it chose. Fails with kConfig and one line naming what to
// set when something is missing or malformed. Nothing is sent.
Result<sqs::ClientConfig> ResolveSqsConfig(const SqsQueueOptions& options);

// A factory of clients sharing `config`, for the pipeline's threads.
QueueClientFactory SqsQueueFactory(const sqs::ClientConfig& config, const SqsQueueOptions& options);

// What the consumer learns about its queue before it starts.
struct QueueFacts {
  int visibility_timeout_seconds = 0;  // the queue's VisibilityTimeout
  std::string dead_letter_arn;         // from its RedrivePolicy; empty without one
  int redrive_max_receive_count = 0;   // from its RedrivePolicy; 0 without one
};

// Reads the queue's attributes: the first call to SQS, so it is also the check that
// the queue exists and the credentials are accepted (kNotFound, kPermissionDenied), or
// that SQS cannot be reached (kUnavailable).
Result<QueueFacts> DescribeQueue(sqs::Client& client, const std::string& queue_url);

}  // namespace amstream::pipeline
