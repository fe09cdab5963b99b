// Real servers for integration tests, on 127.0.0.1 only.
//
// PgCluster and Fauxqs start one throwaway PostgreSQL cluster and one fauxqs emulator per
// test process, lazily, and stop them (and remove their files) when the process ends,
// even when it crashes. Failures to set up a test (a server that will not start, SQL
// that fails) throw HarnessError, which GoogleTest reports as a failure of the running
// test. Call these functions from the test's main thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "harness/process.h"

namespace amstream::testing {

namespace internal {
class Reaper;  // removes a server's files if the test process dies (spawn.h)
}  // namespace internal

// A throwaway PostgreSQL cluster on 127.0.0.1 with trust authentication, fsync off.
class PgCluster {
 public:
  // The process-wide cluster, started on first use and stopped when the process ends.
  // Throws HarnessError when it cannot start.
  static PgCluster& Shared();

  // Stops the server and removes its files.
  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  // URL of the `postgres` database as user postgres: postgresql://postgres@127.0.0.1:PORT/postgres.
  std::string url() const;
  // URL of database `name` on this cluster (whether or not it exists).
  std::string url(std::string_view name) const;
  // The TCP port, the same across Stop and Start.
  int port() const { return port_; }
  // Whether the server was started and has not been stopped since.
  bool running() const { return running_; }

  // Drops database `name` if it exists (closing its sessions), creates it empty and
  // returns its URL. `name` must be lower-case letters, digits and underscores.
  std::string CreateDatabase(std::string_view name);
  // Stops the server and waits for it: "fast" (sessions rolled back) or, with `immediate`,
  // without a shutdown checkpoint, like a crash. The data directory is kept.
  void Stop(bool immediate = false);
  // Starts the server again on the same data directory and port; waits until it accepts
  // connections. Does nothing when it is running.
  void Start();

 private:
  PgCluster() = default;
  void Init();
  std::vector<std::string> AsServerUser(std::vector<std::string> argv) const;

  std::string root_;      // temp dir owned by the server user
  std::string data_dir_;  // root_/data
  std::string bin_dir_;   // PostgreSQL server binaries
  int port_ = 0;
  bool running_ = false;
  std::unique_ptr<internal::Reaper> reaper_;  // cleans up if this process dies
};

// The fauxqs SNS/SQS emulator (tests/servers/fauxqs.mjs) on 127.0.0.1. It keeps nothing
// across Stop/Start: queues and topics must be created again.
class Fauxqs {
 public:
  // The process-wide emulator, started on first use and stopped when the process ends.
  // Throws HarnessError when it cannot start (for example: not installed).
  static Fauxqs& Shared();

  // Stops the emulator.
  ~Fauxqs();
  Fauxqs(const Fauxqs&) = delete;
  Fauxqs& operator=(const Fauxqs&) = delete;

  // Base URL for requests: http://127.0.0.1:PORT.
  std::string endpoint() const;
  // The TCP port, the same across Stop and Start.
  int port() const { return port_; }
  // Whether the emulator is running.
  bool running() const { return pid_ > 0; }
  // Whether GET /health answers 200 right now.
  bool Healthy() const;

  // Stops the emulator (SIGTERM, then SIGKILL after 5 s) and waits for it.
  void Stop();
  // Starts it again on the same port and waits for /health. Does nothing when running.
  void Start();

 private:
  Fauxqs() = default;

  int port_ = 0;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;  // the child's stdin: it exits when this closes
};

// ARN of the fauxqs queue `name`: arn:aws:sqs:us-east-1:000000000000:NAME.
std::string QueueArn(std::string_view name);

// Runs `sql` with psql against `url` (unaligned, '|' between fields, ON_ERROR_STOP) and
// returns stdout without its final newline. Throws HarnessError when psql fails.
std::string Psql(std::string_view url, std::string_view sql);

// Like Psql but returns the failure (kInternal, psql's message) instead of throwing.
Result<std::string> TryPsql(std::string_view url, std::string_view sql);

// Runs `sql` with the sqlite3 CLI on the database file `path` ('|' between fields, no
// header) and returns stdout without its final newline. Throws HarnessError on failure.
std::string SqliteQuery(std::string_view path, std::string_view sql);

// Sends one SQS action (AWS JSON 1.0, e.g. "SendMessage") with `json_body` to the shared
// fauxqs and returns the response body; a non-2xx answer is kInternal with the body.
Result<std::string> SqsCall(std::string_view action, std::string_view json_body);

// Creates (or finds) queue `name` (letters, digits, '-' and '_') on the shared fauxqs and
// returns its URL, http://sqs.us-east-1.localhost:PORT/000000000000/NAME: pass it as the
// QueueUrl field only, and send requests to Fauxqs::endpoint().
Result<std::string> SqsCreateQueue(std::string_view name);

// Creates (or finds) SNS topic `name` on the shared fauxqs and returns its ARN.
Result<std::string> SnsCreateTopic(std::string_view name);

// Subscribes the queue with ARN `queue_arn` to the topic; with `raw_delivery` messages
// arrive as published, without the SNS envelope.
Status SnsSubscribeQueue(std::string_view topic_arn, std::string_view queue_arn, bool raw_delivery);

// Publishes `message` to the topic; fauxqs delivers it to the subscribed queues.
Status SnsPublish(std::string_view topic_arn, std::string_view message);

}  // namespace amstream::testing
