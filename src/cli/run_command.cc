// `amstream run`: the long-running consumer.
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "cli/commands.h"
#include "common/log.h"
#include "pipeline/consumer.h"
#include "pipeline/sqs_queue.h"
#include "store/store.h"

namespace amstream::cli {
namespace {

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
};

int Run(const GlobalFlags& global, RunFlags flags) {
  if (flags.exit_when_idle_seconds > 0) {
    flags.consumer.exit_when_idle =
        std::chrono::milliseconds(static_cast<int64_t>(flags.exit_when_idle_seconds * 1000));
  }
  flags.consumer.batch_messages = static_cast<size_t>(flags.batch_messages);
  flags.consumer.buffer_messages = static_cast<size_t>(flags.buffer_messages);

  Result<pipeline::QueueClientFactory> queue = pipeline::SqsQueueFactory(flags.queue);
  if (!queue.ok()) {
    return Fail(queue.status(), "configuring the queue");
  }
  std::string database = ResolveDatabase(global.database);
  Result<std::unique_ptr<store::Store>> store = store::Open(database);
  if (!store.ok()) {
    return Fail(store.status(), "opening the database");
  }
  if (Status migrated = (*store)->Migrate(); !migrated.ok()) {
    return Fail(migrated, "migrating the schema");
  }
  InstallSignalHandlers();
  pipeline::Consumer consumer(flags.consumer, std::move(*queue), store->get());
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
  cmd->callback([global, exit, flags] { *exit = Run(*global, *flags); });
}

}  // namespace amstream::cli
