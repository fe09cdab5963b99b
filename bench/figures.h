// What the benchmark measured and the table it prints: the options of a run, every
// figure as a median over its runs, and the rows with their ratios and targets.
#pragma once

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "consumer_bench.h"
#include "report_table.h"

#if __has_include("harness/tcp_proxy.h")
#define AMSTREAM_BENCH_HAS_PROXY 1
#endif

namespace amstream::bench {

// The settings of one benchmark run; --quick shrinks every size for a smoke check.
struct Options {
  bool quick = false;
  int runs = 5;
  int64_t messages = 20'000;       // backlog of the ceiling and throughput runs
  int64_t small_backlog = 10'000;  // memory flatness: the smallest backlog
  int64_t mid_backlog = 50'000;    // memory flatness: well past --buffer-messages (5,000)
  int64_t big_backlog = 200'000;   // memory flatness: the biggest backlog
  int64_t ingest_records = 100'000;
  double delay_seconds = 10;  // steady load per delay measurement
  int ceiling_threads = 8;    // the trivial consumer's loops, as amstream's receivers
  int proxy_delay_ms = 20;
  // The tuned run under added latency. By Little's law 4,000 msg/s at a 20 ms round trip
  // needs 8 receives and 8 deletes in flight at the very least; on a busy machine the
  // round trip stretches, so there is room to spare.
  int latency_receivers = 32;
  int latency_deleters = 16;
  std::set<std::string> only;  // empty: every phase

  bool Runs(const std::string& phase) const { return only.empty() || only.contains(phase); }
  // Repetitions of the long phases (delay, ingest, latency), which keep a full run within
  // about ten minutes.
  int long_runs() const { return std::min(runs, 3); }
};

// Everything measured, as medians over the runs.
struct Figures {
  double fill_rate = 0;
  double ceiling = 0;
  double ceiling_cpu_us = 0;
  double ceiling_busy = 0;
  double run_busy = 0;
  double run_rate = 0;
  double run_records = 0;
  double run_cpu_us = 0;
  double run_rss_mib = 0;
  double small_rss_mib = 0;
  double mid_rss_mib = 0;
  double big_rss_mib = 0;
  double big_rate = 0;
  double big_ceiling = 0;
  double delay_rate = 0;
  DelayFigures trivial_delay;
  DelayFigures run_delay;
  double light_delay_rate = 0;
  DelayFigures light_delay;
  double copy_rate = 0;
  double indexed_copy_rate = 0;
  double postgres_rate = 0;
  double sqlite_rate = 0;
  double proxy_rtt_ms = 0;
  double proxy_default_rate = 0;
  double proxy_tuned_rate = 0;
};

// The table's rows for the phases that ran.
std::vector<TableRow> Rows(const Options& o, const Figures& f);

}  // namespace amstream::bench
