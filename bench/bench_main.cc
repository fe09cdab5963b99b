// amstream_bench: measures amstream against the ceilings of this machine and prints one
// table (see bench/README.md). It starts its own PostgreSQL and fauxqs on 127.0.0.1.
//
//   amstream_bench [--quick] [--runs N] [--only PHASES] ...   (--help lists the options)
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "bench_util.h"
#include "common/log.h"
#include "consumer_bench.h"
#include "figures.h"
#include "harness/process.h"
#include "harness/servers.h"
#include "ingest_bench.h"
#include "load.h"

#ifdef AMSTREAM_BENCH_HAS_PROXY
#include "harness/tcp_proxy.h"
#endif

namespace amstream::bench {
namespace {

constexpr const char* kUsage =
    "usage: amstream_bench [--quick] [--runs N] [--messages N] [--small-backlog N]\n"
    "       [--mid-backlog N] [--big-backlog N] [--ingest-records N] [--delay-seconds S]\n"
    "       [--latency-receivers N] [--latency-deleters N]\n"
    "       [--only ceiling,run,memory,delay,ingest,latency]\n";

[[noreturn]] void Usage(const std::string& problem) {
  std::fprintf(stderr, "amstream_bench: %s\n%s", problem.c_str(), kUsage);
  std::exit(2);
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (std::find(args.begin(), args.end(), "--quick") != args.end()) {
    o.quick = true;
    o.runs = 1;
    o.messages = 5'000;
    o.small_backlog = 2'000;
    o.mid_backlog = 10'000;
    o.big_backlog = 20'000;
    o.ingest_records = 20'000;
    o.delay_seconds = 4;
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--quick") {
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (i + 1 >= args.size()) {
      Usage("missing value after " + arg);
    }
    const std::string& value = args[++i];
    try {
      if (arg == "--runs")
        o.runs = std::stoi(value);
      else if (arg == "--messages")
        o.messages = std::stoll(value);
      else if (arg == "--small-backlog")
        o.small_backlog = std::stoll(value);
      else if (arg == "--mid-backlog")
        o.mid_backlog = std::stoll(value);
      else if (arg == "--big-backlog")
        o.big_backlog = std::stoll(value);
      else if (arg == "--ingest-records")
        o.ingest_records = std::stoll(value);
      else if (arg == "--delay-seconds")
        o.delay_seconds = std::stod(value);
      else if (arg == "--latency-receivers")
        o.latency_receivers = std::stoi(value);
      else if (arg == "--latency-deleters")
        o.latency_deleters = std::stoi(value);
      else if (arg == "--only") {
        std::stringstream list(value);
        for (std::string phase; std::getline(list, phase, ',');) o.only.insert(phase);
      } else {
        Usage("unknown option " + arg);
      }
    } catch (const std::exception&) {
      Usage("bad value for " + arg + ": " + value);
    }
  }
  if (o.runs < 1 || o.messages < 10) {
    Usage("--runs must be at least 1 and --messages at least 10");
  }
  return o;
}

// One progress line on stderr; the table alone goes to stdout.
template <typename... Args>
void Note(fmt::format_string<Args...> format, Args&&... args) {
  std::fprintf(stderr, "bench: %s\n", fmt::format(format, std::forward<Args>(args)...).c_str());
}

double Mib(int64_t kib) { return static_cast<double>(kib) / 1024.0; }

void MeasureThroughput(const Options& o, Figures* f) {
  Bodies bodies = GenerateBodies(o.messages, 1);
  std::vector<double> fill, ceiling, ceiling_cpu, ceiling_busy, rate, records, cpu, rss, busy;
  const std::string endpoint = testing::Fauxqs::Shared().endpoint();
  for (int r = 0; r < o.runs; ++r) {
    if (o.Runs("ceiling")) {
      std::string queue = CreateQueue(fmt::format("ceiling-{}", r));
      fill.push_back(FillQueue(queue, bodies.bodies));
      DrainResult drained = DrainTrivially(endpoint, queue, o.messages, o.ceiling_threads);
      ceiling.push_back(static_cast<double>(drained.messages) / drained.seconds);
      ceiling_cpu.push_back(drained.cpu_seconds * 1e6 / static_cast<double>(drained.messages));
      ceiling_busy.push_back(drained.busy_cores);
      Note("run {}: fill {:.0f}/s, ceiling {:.0f} msg/s ({:.1f} µs CPU/msg, {:.2f} cores busy)", r,
           fill.back(), ceiling.back(), ceiling_cpu.back(), drained.busy_cores);
    }
    if (o.Runs("run")) {
      RunFigures run = MeasureRunDrain(fmt::format("run-{}", r), bodies, {.endpoint = endpoint});
      rate.push_back(run.messages_per_second());
      records.push_back(run.records_per_second());
      cpu.push_back(run.cpu_us_per_message());
      rss.push_back(Mib(run.max_rss_kib));
      busy.push_back(run.busy_cores);
      Note(
          "run {}: amstream {:.0f} msg/s, {:.1f} µs CPU/msg ({:.0f} % sys), {:.1f} MiB peak, "
          "{:.2f} cores busy",
          r, rate.back(), cpu.back(), 100 * run.sys_seconds / (run.user_seconds + run.sys_seconds),
          rss.back(), run.busy_cores);
    }
  }
  f->fill_rate = Median(fill);
  f->ceiling = Median(ceiling);
  f->ceiling_cpu_us = Median(ceiling_cpu);
  f->ceiling_busy = Median(ceiling_busy);
  f->run_busy = Median(busy);
  f->run_rate = Median(rate);
  f->run_records = Median(records);
  f->run_cpu_us = Median(cpu);
  f->run_rss_mib = Median(rss);
}

// One drain of `count` messages, for its peak memory.
RunFigures DrainForMemory(const std::string& name, int64_t count) {
  Clock::time_point start = Clock::now();
  RunFigures run = MeasureRunDrain(name, GenerateBodies(count, 2),
                                   {.endpoint = testing::Fauxqs::Shared().endpoint()});
  Note("memory: {} messages: {:.1f} MiB peak, {:.0f} msg/s ({:.0f} s with filling)", count,
       Mib(run.max_rss_kib), run.messages_per_second(), Seconds(Clock::now() - start));
  return run;
}

void MeasureMemory(const Options& o, Figures* f) {
  f->small_rss_mib = Mib(DrainForMemory("memory-small", o.small_backlog).max_rss_kib);
  f->mid_rss_mib = Mib(DrainForMemory("memory-mid", o.mid_backlog).max_rss_kib);
  RunFigures big = DrainForMemory("memory-big", o.big_backlog);
  f->big_rss_mib = Mib(big.max_rss_kib);
  f->big_rate = big.messages_per_second();

  // fauxqs itself slows down as its queue grows, so this backlog gets its own ceiling.
  Bodies bodies = GenerateBodies(o.big_backlog, 2);
  std::string queue = CreateQueue("memory-ceiling");
  FillQueue(queue, bodies.bodies);
  DrainResult drained =
      DrainTrivially(testing::Fauxqs::Shared().endpoint(), queue, o.big_backlog, o.ceiling_threads);
  f->big_ceiling = static_cast<double>(drained.messages) / drained.seconds;
  Note("memory: ceiling with a {}-message backlog: {:.0f} msg/s", o.big_backlog, f->big_ceiling);
}

void MeasureDelay(const Options& o, Figures* f) {
  f->delay_rate = f->ceiling > 0 ? f->ceiling / 2 : 2'000;
  auto count = static_cast<int64_t>(f->delay_rate * o.delay_seconds);
  std::vector<double> trivial50, trivial99, run50, run99;
  for (int r = 0; r < o.long_runs(); ++r) {
    Bodies bodies = GenerateBodies(count, 100 + static_cast<uint64_t>(r), 0.0);
    DelayFigures trivial = MeasureTrivialDelay(fmt::format("delay-trivial-{}", r), bodies,
                                               f->delay_rate, o.ceiling_threads);
    DelayFigures run = MeasureRunDelay(fmt::format("delay-run-{}", r), bodies, f->delay_rate);
    Note(
        "delay {} at {:.0f} msg/s: trivial p50 {:.1f} p99 {:.1f} ms; amstream p50 {:.1f} p99 "
        "{:.1f} ms ({} messages)",
        r, f->delay_rate, trivial.p50_ms, trivial.p99_ms, run.p50_ms, run.p99_ms, run.messages);
    trivial50.push_back(trivial.p50_ms);
    trivial99.push_back(trivial.p99_ms);
    run50.push_back(run.p50_ms);
    run99.push_back(run.p99_ms);
  }
  f->trivial_delay = {.p50_ms = Median(trivial50), .p99_ms = Median(trivial99), .messages = count};
  f->run_delay = {.p50_ms = Median(run50), .p99_ms = Median(run99), .messages = count};

  // Half the emulator's ceiling can be most of amstream's own capacity on two cores, where
  // the delay is mostly queueing; half of amstream's measured rate shows the pipeline's.
  if (f->run_rate <= 0) {
    return;
  }
  f->light_delay_rate = f->run_rate / 2;
  auto light_count = static_cast<int64_t>(f->light_delay_rate * o.delay_seconds);
  std::vector<double> light50, light99;
  for (int r = 0; r < o.long_runs(); ++r) {
    Bodies bodies = GenerateBodies(light_count, 200 + static_cast<uint64_t>(r), 0.0);
    DelayFigures run =
        MeasureRunDelay(fmt::format("delay-light-{}", r), bodies, f->light_delay_rate);
    Note("delay {} at {:.0f} msg/s: amstream p50 {:.1f} p99 {:.1f} ms", r, f->light_delay_rate,
         run.p50_ms, run.p99_ms);
    light50.push_back(run.p50_ms);
    light99.push_back(run.p99_ms);
  }
  f->light_delay = {.p50_ms = Median(light50), .p99_ms = Median(light99), .messages = light_count};
}

void MeasureIngest(const Options& o, Figures* f) {
  IngestBench ingest(o.ingest_records);
  std::vector<double> copy, indexed, postgres, sqlite;
  for (int r = 0; r < o.long_runs(); ++r) {
    copy.push_back(ingest.Copy());
    indexed.push_back(ingest.Copy(true));
    postgres.push_back(ingest.Postgres());
    double postgres_cpu = ingest.last_cpu_seconds();
    sqlite.push_back(ingest.Sqlite());
    Note(
        "ingest {}: COPY {:.0f}, indexed COPY {:.0f}, PostgreSQL {:.0f} (amstream CPU {:.2f} "
        "s), SQLite {:.0f} (CPU {:.2f} s) records/s ({} records)",
        r, copy.back(), indexed.back(), postgres.back(), postgres_cpu, sqlite.back(),
        ingest.last_cpu_seconds(), ingest.records());
  }
  f->copy_rate = Median(copy);
  f->indexed_copy_rate = Median(indexed);
  f->postgres_rate = Median(postgres);
  f->sqlite_rate = Median(sqlite);
}

#ifdef AMSTREAM_BENCH_HAS_PROXY
// The mean time of a small SQS call through `endpoint`, in milliseconds.
double RoundTripMs(const std::string& endpoint, const std::string& queue_url) {
  sqs::Client client = MakeSqsClient(endpoint);
  QueueDepth(client, queue_url);  // connects
  constexpr int kCalls = 20;
  Clock::time_point start = Clock::now();
  for (int i = 0; i < kCalls; ++i) {
    QueueDepth(client, queue_url);
  }
  return Seconds(Clock::now() - start) * 1000 / kCalls;
}

void MeasureLatencyTolerance(const Options& o, Figures* f) {
  Result<std::unique_ptr<testing::TcpProxy>> proxy =
      testing::TcpProxy::Start(testing::Fauxqs::Shared().port());
  if (!proxy.ok()) {
    throw testing::HarnessError("starting the proxy: " + proxy.status().ToString());
  }
  (*proxy)->SetDelay(std::chrono::milliseconds(o.proxy_delay_ms));
  const std::string via = (*proxy)->Url();
  f->proxy_rtt_ms = RoundTripMs(via, CreateQueue("latency-rtt"));
  Bodies bodies = GenerateBodies(o.messages, 1);
  std::vector<double> defaults, tuned;
  for (int r = 0; r < o.long_runs(); ++r) {
    defaults.push_back(
        MeasureRunDrain(fmt::format("latency-default-{}", r), bodies, {.endpoint = via})
            .messages_per_second());
    tuned.push_back(
        MeasureRunDrain(
            fmt::format("latency-tuned-{}", r), bodies,
            {.endpoint = via, .receivers = o.latency_receivers, .deleters = o.latency_deleters})
            .messages_per_second());
    Note(
        "latency {} (+{} ms, round trip {:.1f} ms): default {:.0f} msg/s, {} receivers/{} "
        "deleters {:.0f} msg/s",
        r, o.proxy_delay_ms, f->proxy_rtt_ms, defaults.back(), o.latency_receivers,
        o.latency_deleters, tuned.back());
  }
  f->proxy_default_rate = Median(defaults);
  f->proxy_tuned_rate = Median(tuned);
}
#endif

int Main(int argc, char** argv) {
  Options o = ParseOptions(argc, argv);
  log::SetLevel(log::Level::kWarn);
  Note("starting PostgreSQL and fauxqs; medians of {} runs ({} for delay, ingest and latency)",
       o.runs, o.long_runs());
  EnableCommitTimestamps();
  testing::Fauxqs::Shared();
  Figures f;
  Clock::time_point start = Clock::now();
  if (o.Runs("ceiling") || o.Runs("run")) {
    MeasureThroughput(o, &f);
  }
  if (o.Runs("memory")) {
    MeasureMemory(o, &f);
  }
  if (o.Runs("delay")) {
    MeasureDelay(o, &f);
  }
  if (o.Runs("ingest")) {
    MeasureIngest(o, &f);
  }
#ifdef AMSTREAM_BENCH_HAS_PROXY
  if (o.Runs("latency")) {
    MeasureLatencyTolerance(o, &f);
  }
#endif
  Note("done in {:.0f} s", Seconds(Clock::now() - start));
  std::fputs(RenderTable(Rows(o, f)).c_str(), stdout);
  return 0;
}

}  // namespace
}  // namespace amstream::bench

int main(int argc, char** argv) {
  try {
    return amstream::bench::Main(argc, argv);
  } catch (const amstream::testing::HarnessError& error) {
    std::fprintf(stderr, "amstream_bench: %s\n", error.what());
    return 1;
  }
}
