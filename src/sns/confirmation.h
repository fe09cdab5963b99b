// SNS subscription control messages that reach the queue instead of data.
#pragma once

#include <cstdint>
#include <string>

namespace amstream::sns {

// A SubscriptionConfirmation or UnsubscribeConfirmation document. It must be kept:
// deleting it unconfirmed silently breaks the AMS subscription.
struct Confirmation {
  std::string type;  // "SubscriptionConfirmation" or "UnsubscribeConfirmation"
  std::string message_id;
  std::string topic_arn;
  std::string token;
  std::string subscribe_url;
  int64_t timestamp_ms = 0;
};

}  // namespace amstream::sns
