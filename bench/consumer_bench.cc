#include "consumer_bench.h"

#include <signal.h>

#include <mutex>
#include <thread>
#include <unordered_map>

#include "amstream_child.h"
#include "harness/servers.h"
#include "harness/spawn.h"
#include "load.h"
#include "store/postgres/pg_conn.h"

namespace amstream::bench {
namespace {

using testing::HarnessError;

constexpr auto kStartTimeout = std::chrono::seconds(30);
constexpr auto kDrainTimeout = std::chrono::minutes(15);
constexpr auto kDepthPoll = std::chrono::milliseconds(20);

std::vector<std::string> RunArgs(const std::string& db, const std::string& queue_url,
                                 const RunSetup& setup) {
  std::vector<std::string> args = {"--database", db,           "run",          "--queue-url",
                                   queue_url,    "--endpoint", setup.endpoint, "--exit-when-idle",
                                   "1"};
  if (setup.receivers > 0) {
    args.insert(args.end(), {"--receivers", std::to_string(setup.receivers)});
  }
  if (setup.deleters > 0) {
    args.insert(args.end(), {"--deleters", std::to_string(setup.deleters)});
  }
  return args;
}

void ExpectStored(const std::string& log, const Bodies& bodies) {
  int64_t stored = LogField(log, "stopped", "stored");
  int64_t expected = bodies.totals.traffic.records + bodies.totals.conversion.records;
  if (stored != expected) {
    throw HarnessError("amstream stored " + std::to_string(stored) + " records, expected " +
                       std::to_string(expected) + "; its log ends:\n" +
                       testing::internal::Tail(log, 5));
  }
}

AmstreamChild StartConsuming(const std::vector<std::string>& args) {
  AmstreamChild child = AmstreamChild::Start(args);
  if (!child.WaitForLog("msg=consuming", kStartTimeout)) {
    throw HarnessError("amstream run did not start consuming; its log ends:\n" +
                       testing::internal::Tail(child.Stderr(), 5));
  }
  return child;
}

ChildUsage WaitForClean(AmstreamChild& child) {
  ChildUsage usage = child.Wait(kDrainTimeout);
  if (usage.exit_code != 0) {
    throw HarnessError("amstream run exited with " + std::to_string(usage.exit_code) +
                       "; its log ends:\n" + testing::internal::Tail(child.Stderr(), 5));
  }
  return usage;
}

DelayFigures Summarize(const std::vector<double>& delays) {
  return {.p50_ms = Percentile(delays, 0.50),
          .p99_ms = Percentile(delays, 0.99),
          .messages = static_cast<int64_t>(delays.size())};
}

// Commit instant (epoch ms) of every ledger row, by idempotency_id.
std::vector<std::pair<std::string, double>> CommitTimes(const std::string& db) {
  auto conn = store::postgres::PgConnection::Connect(db);
  if (!conn.ok()) {
    throw HarnessError(conn.status().ToString());
  }
  auto rows = (*conn)->Query(
      "SELECT idempotency_id, "
      "(extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000)::float8 "
      "FROM idempotency_ledger",
      {}, "reading commit timestamps");
  if (!rows.ok()) {
    throw HarnessError(rows.status().ToString());
  }
  std::vector<std::pair<std::string, double>> out;
  out.reserve(static_cast<size_t>(rows->rows()));
  for (int r = 0; r < rows->rows(); ++r) {
    out.emplace_back(rows->Get(r, 0), std::stod(std::string(rows->Get(r, 1))));
  }
  return out;
}

}  // namespace

RunFigures MeasureRunDrain(const std::string& name, const Bodies& bodies, const RunSetup& setup) {
  std::string queue_url = CreateQueue(name);
  FillQueue(queue_url, bodies.bodies);
  std::string db = testing::PgCluster::Shared().CreateDatabase("bench_run");
  sqs::Client probe = MakeSqsClient(testing::Fauxqs::Shared().endpoint());

  AmstreamChild child = StartConsuming(RunArgs(db, queue_url, setup));
  MachineCpu machine_before = MachineCpu::Now();
  Clock::time_point start = Clock::now();
  while (QueueDepth(probe, queue_url) != 0) {
    child.SampleMemory();
    std::this_thread::sleep_for(kDepthPoll);
    if (Clock::now() - start > kDrainTimeout) {
      throw HarnessError("the queue was not drained in time");
    }
  }
  double seconds = Seconds(Clock::now() - start);
  double busy_cores = MachineCpu::Now().BusyCoresSince(machine_before);
  ChildUsage usage = WaitForClean(child);
  std::string log = child.Stderr();
  ExpectStored(log, bodies);

  RunFigures figures;
  figures.messages = static_cast<int64_t>(bodies.bodies.size());
  figures.records = LogField(log, "stopped", "stored") + LogField(log, "stopped", "duplicates");
  figures.seconds = seconds;
  figures.user_seconds = usage.user_seconds;
  figures.sys_seconds = usage.sys_seconds;
  figures.max_rss_kib = usage.max_rss_kib;
  figures.busy_cores = busy_cores;
  return figures;
}

DelayFigures MeasureRunDelay(const std::string& name, const Bodies& bodies, double rate) {
  std::string queue_url = CreateQueue(name);
  std::string db = testing::PgCluster::Shared().CreateDatabase("bench_delay");
  AmstreamChild child =
      StartConsuming(RunArgs(db, queue_url, {.endpoint = testing::Fauxqs::Shared().endpoint()}));
  std::unordered_map<std::string, double> sent = SendSteadily(queue_url, bodies.bodies, rate);
  WaitForClean(child);
  ExpectStored(child.Stderr(), bodies);

  std::vector<double> delays;
  for (const auto& [id, committed_ms] : CommitTimes(db)) {
    if (auto it = sent.find(id); it != sent.end()) {
      delays.push_back(committed_ms - it->second);
    }
  }
  return Summarize(delays);
}

DelayFigures MeasureTrivialDelay(const std::string& name, const Bodies& bodies, double rate,
                                 int threads) {
  std::string queue_url = CreateQueue(name);
  std::mutex mutex;
  std::vector<std::pair<std::string, double>> done;
  OnDeleted on_deleted = [&](const std::vector<ams::Delivery>& deliveries,
                             WallClock::time_point at) {
    std::lock_guard lock(mutex);
    for (const ams::Delivery& delivery : deliveries) {
      done.emplace_back(IdempotencyIdOf(delivery.body), EpochMs(at));
    }
  };
  auto expected = static_cast<int64_t>(bodies.bodies.size());
  std::thread consumer([&] {
    DrainTrivially(testing::Fauxqs::Shared().endpoint(), queue_url, expected, threads, on_deleted);
  });
  std::unordered_map<std::string, double> sent = SendSteadily(queue_url, bodies.bodies, rate);
  consumer.join();

  std::vector<double> delays;
  for (const auto& [id, deleted_ms] : done) {
    if (auto it = sent.find(id); it != sent.end()) {
      delays.push_back(deleted_ms - it->second);
    }
  }
  return Summarize(delays);
}

void EnableCommitTimestamps() {
  testing::PgCluster& cluster = testing::PgCluster::Shared();
  testing::Psql(cluster.url(), "ALTER SYSTEM SET track_commit_timestamp = on");
  cluster.Stop();
  cluster.Start();
}

}  // namespace amstream::bench
