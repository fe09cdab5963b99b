// `amstream run`: the long-running consumer.
#include <fmt/format.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <functional>

#include "cli/commands.h"
#include "common/backoff.h"
#include "common/log.h"
#include "metrics/status_server.h"
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
  std::string metrics_address;
};

// Failing this long makes /healthz answer 503: long enough to ride out a database
// restart, short enough for an orchestrator to notice a consumer that is stuck.
constexpr int64_t kUnhealthyAfterMs = 60'000;

metrics::Reply StatusPage(const pipeline::ConsumerStats& s, std::string_view path) {
  if (path == "/healthz") {
    int64_t now = pipeline::SteadyNowMs();
    for (const auto& [what, since] : {std::pair{"writes", s.write_failing_since_ms.load()},
                                      std::pair{"receives", s.receive_failing_since_ms.load()}}) {
      if (since != 0 && now - since >= kUnhealthyAfterMs) {
        return {503, fmt::format("{} have been failing for {} s; see the log\n", what,
                                 (now - since) / 1000)};
      }
    }
    return {200, "ok\n"};
  }
  if (path != "/metrics") {
    return {404, "try /metrics or /healthz\n"};
  }
  auto value = [](const std::atomic<int64_t>& counter) {
    return static_cast<double>(counter.load());
  };
  const metrics::Metric all[] = {
      {"amstream_messages_received_total", "Messages received from SQS", true, value(s.received)},
      {"amstream_records_stored_total", "Records added to the aggregates", true,
       value(s.records_stored)},
      {"amstream_duplicates_total", "Records skipped as already stored", true, value(s.duplicates)},
      {"amstream_blog_rows_total", "Blog-format rows applied", true, value(s.blog_rows)},
      {"amstream_quarantined_total", "Messages kept in the quarantine table", true,
       value(s.quarantined)},
      {"amstream_confirmations_total", "SNS subscription messages recorded", true,
       value(s.confirmations)},
      {"amstream_batches_total", "Transactions committed", true, value(s.batches)},
      {"amstream_write_retries_total", "Failed batch writes, retried", true,
       value(s.write_retries)},
      {"amstream_messages_deleted_total", "Messages deleted after commit", true, value(s.deleted)},
      {"amstream_delete_failures_total", "Committed messages that could not be deleted", true,
       value(s.delete_failures)},
      {"amstream_messages_released_total", "Uncommitted messages made visible at shutdown", true,
       value(s.released)},
      {"amstream_visibility_extended_total", "Visibility timeout extensions", true,
       value(s.visibility_extended)},
      {"amstream_over_receive_limit_total", "Messages quarantined for --max-receive-count", true,
       value(s.over_receive_limit)},
      {"amstream_messages_in_flight", "Messages received and not yet deleted", false,
       value(s.in_flight)},
  };
  return {200, metrics::RenderPrometheus(all), "text/plain; version=0.0.4; charset=utf-8"};
}

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
  // Served from before the waits below, so that a probe sees "starting" rather than
  // nothing while the queue or database is still unreachable.
  std::atomic<const pipeline::ConsumerStats*> live_stats{nullptr};
  std::unique_ptr<metrics::StatusServer> status_server;
  if (!flags.metrics_address.empty()) {
    Result<std::unique_ptr<metrics::StatusServer>> started = metrics::StatusServer::Start(
        flags.metrics_address, [&live_stats](std::string_view path) -> metrics::Reply {
          const pipeline::ConsumerStats* stats = live_stats.load();
          if (stats == nullptr) {
            return {503, "starting or stopping: not consuming\n"};
          }
          return StatusPage(*stats, path);
        });
    if (!started.ok()) {
      return Fail(started.status(), "starting the metrics endpoint");
    }
    status_server = std::move(*started);
    log::Info(kLog, "serving /metrics and /healthz", {{"port", status_server->port()}});
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
  live_stats = &consumer.stats();
  Status status = consumer.Run(g_stop);
  status_server.reset();  // joins its thread: no request still reads the consumer's stats
  if (!status.ok()) {
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
  cmd->add_option("--metrics-address", flags->metrics_address,
                  "Serve GET /metrics (Prometheus) and /healthz on HOST:PORT, e.g. "
                  "127.0.0.1:9464 or :9464 (loopback); empty serves nothing")
      ->envname("AMSTREAM_METRICS_ADDRESS");
  cmd->callback([global, exit, flags] { *exit = Run(*global, *flags); });
}

}  // namespace amstream::cli
