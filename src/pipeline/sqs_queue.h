// The pipeline's QueueClient over Amazon SQS (sqs/sqs_client.h).
#pragma once

#include <string>

#include "common/status.h"
#include "pipeline/queue_client.h"

namespace amstream::pipeline {

struct SqsQueueOptions {
  std::string queue_url;  // required
  std::string endpoint;   // empty: AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL, the queue's host
  int wait_seconds = 20;  // long-poll wait per receive, 0-20
  int visibility_timeout_seconds = 0;  // 0: the queue's own setting
};

// Resolves credentials, region and endpoint once, from the environment and the AWS
// shared files, and returns a factory of clients sharing them. Fails with kConfig and
// one line naming what to set when something is missing or malformed.
Result<QueueClientFactory> SqsQueueFactory(const SqsQueueOptions& options);

}  // namespace amstream::pipeline
