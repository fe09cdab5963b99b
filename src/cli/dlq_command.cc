// `amstream dlq list|redrive`: look into the dead-letter queue and move its messages
// back to the queue amstream consumes.
#include <fmt/format.h>

#include <cstdio>
#include <set>

#include "cli/commands.h"
#include "common/time.h"
#include "pipeline/sqs_queue.h"

namespace amstream::cli {
namespace {

// Listed messages stay hidden this long, so one pass sees each message once; they are
// released again at the end of the listing.
constexpr int kListVisibilitySeconds = 30;
// Redriven messages stay hidden this long between receive and delete.
constexpr int kRedriveVisibilitySeconds = 60;
constexpr size_t kBatch = 10;

struct DlqFlags {
  pipeline::SqsQueueOptions queue;
  std::string dlq_url;
  int max_messages = 0;
};

// SQS keeps a dead-letter queue in the source queue's account and region, so its URL is
// the source's with the last path segment replaced by the name at the end of its ARN.
Result<std::string> DeadLetterUrl(sqs::Client& client, const DlqFlags& flags) {
  if (!flags.dlq_url.empty()) {
    return flags.dlq_url;
  }
  Result<pipeline::QueueFacts> facts = pipeline::DescribeQueue(client, flags.queue.queue_url);
  if (!facts.ok()) {
    return facts.status();
  }
  if (facts->dead_letter_arn.empty()) {
    return ConfigError(
        fmt::format("queue {} has no RedrivePolicy, so no dead-letter queue: pass --dlq-url",
                    flags.queue.queue_url));
  }
  std::string name = facts->dead_letter_arn.substr(facts->dead_letter_arn.rfind(':') + 1);
  const std::string& source = flags.queue.queue_url;
  return source.substr(0, source.rfind('/') + 1) + name;
}

// One line of a listing: newlines and tabs shown escaped, long bodies cut.
std::string Preview(std::string_view body, size_t width) {
  std::string out;
  for (char c : body) {
    if (out.size() >= width) {
      out += "…";
      break;
    }
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += '?';
    } else {
      out += c;
    }
  }
  return out;
}

// Up to `max` (at most 10) messages, hidden for `visibility` seconds; a short wait, so an
// empty answer means the queue is drained.
Result<std::vector<ams::Delivery>> ReceiveSome(sqs::Client& client, const std::string& url,
                                               size_t max, int visibility) {
  sqs::ReceiveOptions receive;
  receive.max_messages = static_cast<int>(std::min(kBatch, max));
  receive.wait_seconds = 1;
  receive.visibility_timeout = visibility;
  return client.Receive(url, receive);
}

Result<sqs::Client> Connect(const DlqFlags& flags) {
  Result<sqs::ClientConfig> config = pipeline::ResolveSqsConfig(flags.queue);
  if (!config.ok()) {
    return config.status();
  }
  return sqs::Client::Create(*config);
}

int List(const DlqFlags& flags) {
  Result<sqs::Client> client = Connect(flags);
  if (!client.ok()) {
    return Fail(client.status(), "dlq list");
  }
  Result<std::string> dlq = DeadLetterUrl(*client, flags);
  if (!dlq.ok()) {
    return Fail(dlq.status(), "dlq list");
  }
  std::printf("dead-letter queue %s\n", dlq->c_str());
  std::vector<std::string> handles;
  std::set<std::string> seen;
  const size_t limit = flags.max_messages > 0 ? static_cast<size_t>(flags.max_messages) : 100;
  Status status = Status::Ok();
  while (seen.size() < limit) {
    Result<std::vector<ams::Delivery>> received =
        ReceiveSome(*client, *dlq, limit - seen.size(), kListVisibilitySeconds);
    if (!received.ok()) {
      status = received.status();
      break;
    }
    if (received->empty()) {
      break;
    }
    for (const ams::Delivery& d : *received) {
      handles.push_back(d.receipt_handle);
      if (!seen.insert(d.message_id).second) {
        continue;
      }
      std::printf("%s  sent %s  received %d times  %s\n", d.message_id.c_str(),
                  d.sent_timestamp_ms > 0 ? FormatUtc(d.sent_timestamp_ms).c_str() : "?",
                  d.receive_count, Preview(d.body, 120).c_str());
    }
  }
  // Visible again at once: listing must not hide messages from a redrive or a consumer.
  for (size_t i = 0; i < handles.size(); i += kBatch) {
    size_t n = std::min(kBatch, handles.size() - i);
    (void)client->ChangeVisibilityBatch(*dlq, std::span(handles).subspan(i, n), 0);
  }
  if (!status.ok()) {
    return Fail(status, "dlq list");
  }
  std::printf("%zu message(s)%s\n", seen.size(),
              seen.size() >= limit ? " shown; more may remain (--max)" : "");
  return kExitOk;
}

int Redrive(const DlqFlags& flags) {
  Result<sqs::Client> client = Connect(flags);
  if (!client.ok()) {
    return Fail(client.status(), "dlq redrive");
  }
  Result<std::string> dlq = DeadLetterUrl(*client, flags);
  if (!dlq.ok()) {
    return Fail(dlq.status(), "dlq redrive");
  }
  const std::string& target = flags.queue.queue_url;
  int64_t moved = 0;
  const auto limit = static_cast<int64_t>(flags.max_messages);
  Status status = Status::Ok();
  while (limit == 0 || moved < limit) {
    size_t wanted = limit == 0 ? kBatch : static_cast<size_t>(limit - moved);
    Result<std::vector<ams::Delivery>> received =
        ReceiveSome(*client, *dlq, wanted, kRedriveVisibilitySeconds);
    if (!received.ok()) {
      status = received.status();
      break;
    }
    if (received->empty()) {
      break;
    }
    std::vector<std::string> bodies;
    for (const ams::Delivery& d : *received) {
      bodies.push_back(d.body);
    }
    // Sent first, deleted after: a failure in between leaves a copy in both queues,
    // which amstream counts once; the other order could lose the message.
    Result<std::vector<sqs::EntryFailure>> failed = client->SendBatch(target, bodies);
    if (!failed.ok()) {
      status = failed.status();
      break;
    }
    std::vector<bool> sent(received->size(), true);
    for (const sqs::EntryFailure& f : *failed) {
      sent[f.index] = false;
    }
    std::vector<std::string> done;
    std::vector<std::string> keep;
    for (size_t i = 0; i < received->size(); ++i) {
      ((sent[i]) ? done : keep).push_back((*received)[i].receipt_handle);
    }
    if (Result<std::vector<sqs::EntryFailure>> deleted = client->DeleteBatch(*dlq, done);
        !deleted.ok()) {
      status = deleted.status();
      break;
    }
    (void)client->ChangeVisibilityBatch(*dlq, keep, 0);
    moved += static_cast<int64_t>(done.size());
    if (!keep.empty()) {
      status = Status(Code::kUnavailable,
                      fmt::format("SQS refused to send {} message(s): {}", keep.size(),
                                  failed->front().code + ": " + failed->front().message));
      break;
    }
  }
  std::printf("moved %lld message(s) from %s to %s\n", static_cast<long long>(moved), dlq->c_str(),
              target.c_str());
  if (!status.ok()) {
    return Fail(status, "dlq redrive");
  }
  return kExitOk;
}

}  // namespace

void AddDlqCommand(CLI::App* app, const GlobalFlags* /*global*/, int* exit) {
  CLI::App* dlq = app->add_subcommand(
      "dlq", "Inspect the dead-letter queue, or move its messages back to the queue");
  dlq->require_subcommand(1);
  auto add_common = [](CLI::App* cmd, DlqFlags* flags) {
    cmd->add_option("--queue-url", flags->queue.queue_url,
                    "The queue amstream consumes; its RedrivePolicy names the dead-letter queue")
        ->envname("AMSTREAM_QUEUE_URL")
        ->required();
    cmd->add_option("--dlq-url", flags->dlq_url,
                    "The dead-letter queue, if not the one in the queue's RedrivePolicy");
    cmd->add_option("--endpoint", flags->queue.endpoint, "Where SQS requests are sent, as for run")
        ->envname("AMSTREAM_SQS_ENDPOINT");
  };
  auto list_flags = std::make_shared<DlqFlags>();
  CLI::App* list = dlq->add_subcommand(
      "list",
      "Show the dead-letter queue's messages (id, sent time, receives, body start); "
      "nothing is removed");
  add_common(list, list_flags.get());
  list->add_option("--max", list_flags->max_messages, "Most messages to show")
      ->check(CLI::Range(1, 100000))
      ->default_val(100)
      ->capture_default_str();
  list->callback([exit, list_flags] { *exit = List(*list_flags); });

  auto redrive_flags = std::make_shared<DlqFlags>();
  CLI::App* redrive = dlq->add_subcommand(
      "redrive", "Move messages from the dead-letter queue back to the queue (send, then delete)");
  add_common(redrive, redrive_flags.get());
  redrive->add_option("--max", redrive_flags->max_messages, "Most messages to move; 0 moves all")
      ->check(CLI::Range(0, 100000000))
      ->capture_default_str();
  redrive->callback([exit, redrive_flags] { *exit = Redrive(*redrive_flags); });
}

}  // namespace amstream::cli
