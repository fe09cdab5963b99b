// `amstream run`: the long-running consumer.
#include <fmt/format.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <functional>

#include "cli/commands.h"
#include "common/backoff.h"
#include "common/log.h"
#include "pipeline/consumer.h"
#include "pipeline/sqs_queue.h"
#include "store/store.h"

namespace amstream::cli {
namespace {

constexpr std::string_view kLog = "run";

std::atomic<bool> g_stop{false};

// First SIGTERM/SIGINT: drain and exit 0. A second one: exit at once (what is not
// committed stays in the queue and comes back after its visibility timeout).
extern "C" void OnStopSignal(int signal) {
  if (g_stop.exchange(true)) {
    _exit(128 + signal);
  }
}

void InstallSignalHandlers() {
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

struct RunFlags {
  pipeline::SqsQueueOptions queue;
  pipeline::ConsumerOptions consumer;
  double exit_when_idle_seconds = 0;
  int batch_messages = 1000;
  int buffer_messages = 5000;
  int visibility_extension_max_seconds = 3600;
  double start_timeout_seconds = 0;
};

// Calls `attempt` until it succeeds or fails for a reason other than an unreachable or
// throttling server: a database or queue that is down at start is waited for with a log
// line, not turned into a crash loop by a supervisor. Gives up after `timeout_seconds`
// (0: never) or on a stop signal (kCancelled).
template <typename T>
Result<T> WaitUntilReachable(std::string_view what, const std::function<Result<T>()>& attempt,
                             double timeout_seconds) {
  Backoff backoff(std::chrono::seconds(1), std::chrono::seconds(30));
  const auto start = std::chrono::steady_clock::now();
  while (true) {
    Result<T> result = attempt();
    Code code = result.ok() ? Code::kOk : result.status().code();
    if (code != Code::kUnavailable && code != Code::kThrottled) {
      return result;
    }
    std::chrono::milliseconds delay = backoff.Next();
    std::chrono::duration<double> waited = std::chrono::steady_clock::now() - start;
    if (timeout_seconds > 0 &&
        waited.count() + 1e-3 * static_cast<double>(delay.count()) > timeout_seconds) {
      return result.status().WithContext(
          fmt::format("{} is still unreachable after --start-timeout {} s", what, timeout_seconds));
    }
    log::Warn(kLog, fmt::format("{} is unreachable; waiting for it", what),
              {{"error", result.status().ToString()}, {"retry_in_ms", delay.count()}});
    if (!SleepUnlessStopped(delay, g_stop)) {
      return Status(Code::kCancelled, fmt::format("stopped while waiting for {}", what));
    }
  }
}

int Run(const GlobalFlags& global, RunFlags flags) {
  if (flags.exit_when_idle_seconds > 0) {
    flags.consumer.exit_when_idle =
        std::chrono::milliseconds(static_cast<int64_t>(flags.exit_when_idle_seconds * 1000));
  }
  flags.consumer.batch_messages = static_cast<size_t>(flags.batch_messages);
  flags.consumer.buffer_messages = static_cast<size_t>(flags.buffer_messages);
  flags.consumer.visibility_extension_max =
      std::chrono::seconds(flags.visibility_extension_max_seconds);

  Result<sqs::ClientConfig> config = pipeline::ResolveSqsConfig(flags.queue);
  if (!config.ok()) {
    return Fail(config.status(), "configuring the queue");
  }
  Result<sqs::Client> probe = sqs::Client::Create(*config);
  if (!probe.ok()) {
    return Fail(probe.status(), "configuring the queue");
  }
  // Signals count from here, so that a stop while waiting for a server exits cleanly.
  InstallSignalHandlers();
  auto stopped = [](const Status& status) { return status.code() == Code::kCancelled; };

  Result<pipeline::QueueFacts> facts = WaitUntilReachable<pipeline::QueueFacts>(
      "the queue", [&] { return pipeline::DescribeQueue(*probe, flags.queue.queue_url); },
      flags.start_timeout_seconds);
  if (!facts.ok()) {
    return stopped(facts.status()) ? kExitOk : Fail(facts.status(), "checking the queue");
  }
  std::string database = ResolveDatabase(global.database);
  Result<std::unique_ptr<store::Store>> store = WaitUntilReachable<std::unique_ptr<store::Store>>(
      "the database",
      [&]() -> Result<std::unique_ptr<store::Store>> {
        Result<std::unique_ptr<store::Store>> opened = store::Open(database);
        if (!opened.ok()) {
          return opened;
        }
        AMSTREAM_RETURN_IF_ERROR((*opened)->Migrate());
        return opened;
      },
      flags.start_timeout_seconds);
  if (!store.ok()) {
    return stopped(store.status()) ? kExitOk : Fail(store.status(), "opening the database");
  }

  int visibility = flags.queue.visibility_timeout_seconds > 0
                       ? flags.queue.visibility_timeout_seconds
                       : facts->visibility_timeout_seconds;
  flags.consumer.visibility_timeout = std::chrono::seconds(visibility);
  int limit = flags.consumer.max_receive_count;
  if (limit > 0 && facts->redrive_max_receive_count > 0 &&
      facts->redrive_max_receive_count <= limit) {
    log::Info(kLog,
              "the queue's redrive policy moves a message to its dead-letter queue before "
              "--max-receive-count is reached; failing messages will go there",
              {{"max_receive_count", facts->redrive_max_receive_count},
               {"dead_letter_queue", facts->dead_letter_arn}});
  }
  pipeline::Consumer consumer(flags.consumer, pipeline::SqsQueueFactory(*config, flags.queue),
                              store->get());
  if (Status status = consumer.Run(g_stop); !status.ok()) {
    return Fail(status, "consuming");
  }
  return kExitOk;
}

}  // namespace

void AddRunCommand(CLI::App* app, const GlobalFlags* global, int* exit) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = app->add_subcommand(
      "run", "Consume the SQS queue into the database until SIGTERM/SIGINT (or idle)");
  // A repeated option takes its last value, so wrappers can append overrides.
  cmd->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  cmd->add_option("--queue-url", flags->queue.queue_url,
                  "URL of the SQS queue that AMS delivers to")
      ->envname("AMSTREAM_QUEUE_URL")
      ->required();
  cmd->add_option("--endpoint", flags->queue.endpoint,
                  "Where SQS requests are sent, if not the queue URL's host. Default: "
                  "AWS_ENDPOINT_URL_SQS, else AWS_ENDPOINT_URL, else the queue URL's host")
      ->envname("AMSTREAM_SQS_ENDPOINT");
  cmd->add_option("--receivers", flags->consumer.receivers,
                  "Long polls in flight at once (each returns up to 10 messages)")
      ->envname("AMSTREAM_RECEIVERS")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--deleters", flags->consumer.deleters,
                  "DeleteMessageBatch calls in flight at once")
      ->envname("AMSTREAM_DELETERS")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--wait-seconds", flags->queue.wait_seconds,
                  "Long-poll wait of each ReceiveMessage, in seconds (0-20)")
      ->envname("AMSTREAM_WAIT_SECONDS")
      ->check(CLI::Range(0, 20))
      ->capture_default_str();
  cmd->add_option("--visibility-timeout", flags->queue.visibility_timeout_seconds,
                  "Visibility timeout requested on receive, in seconds; 0 keeps the "
                  "queue's own setting")
      ->envname("AMSTREAM_VISIBILITY_TIMEOUT")
      ->check(CLI::Range(0, 43200))
      ->capture_default_str();
  cmd->add_option("--batch-messages", flags->batch_messages,
                  "Most messages applied in one database transaction")
      ->envname("AMSTREAM_BATCH_MESSAGES")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--buffer-messages", flags->buffer_messages,
                  "Messages held between receive and commit; bounds memory")
      ->envname("AMSTREAM_BUFFER_MESSAGES")
      ->check(CLI::Range(10, 1000000))
      ->capture_default_str();
  cmd->add_option("--exit-when-idle", flags->exit_when_idle_seconds,
                  "Exit 0 once nothing was received for this many seconds and all is "
                  "committed and deleted; 0 runs until signalled")
      ->envname("AMSTREAM_EXIT_WHEN_IDLE")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  cmd->add_option("--visibility-extension-share", flags->consumer.visibility_extension_share,
                  "Extend the visibility of a message still being processed once this share "
                  "of its visibility timeout has passed (0.05-0.95)")
      ->envname("AMSTREAM_VISIBILITY_EXTENSION_SHARE")
      ->check(CLI::Range(0.05, 0.95))
      ->capture_default_str();
  cmd->add_option("--visibility-extension-max", flags->visibility_extension_max_seconds,
                  "Stop extending a message's visibility this many seconds after it was "
                  "received")
      ->envname("AMSTREAM_VISIBILITY_EXTENSION_MAX")
      ->check(CLI::Range(1, 43200))
      ->capture_default_str();
  cmd->add_option("--max-receive-count", flags->consumer.max_receive_count,
                  "Quarantine a message received more than this many times instead of "
                  "processing it again; 0 leaves it to the queue's redrive policy")
      ->envname("AMSTREAM_MAX_RECEIVE_COUNT")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  cmd->add_option("--start-timeout", flags->start_timeout_seconds,
                  "Seconds to wait for an unreachable queue or database at start before "
                  "exiting with code 3; 0 waits until it is reachable")
      ->envname("AMSTREAM_START_TIMEOUT")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  cmd->callback([global, exit, flags] { *exit = Run(*global, *flags); });
}

}  // namespace amstream::cli
