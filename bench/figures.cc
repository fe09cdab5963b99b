#include "figures.h"

#include <fmt/format.h>

#include <optional>
#include <utility>

namespace amstream::bench {

std::vector<TableRow> Rows(const Options& o, const Figures& f) {
  const std::string ceiling = "ceiling";
  std::vector<TableRow> rows;
  auto add = [&rows](std::string figure, std::string value, std::string ratio, std::string target,
                     std::optional<bool> met) {
    rows.push_back({std::move(figure), std::move(value), std::move(ratio), std::move(target), met});
  };
  if (o.Runs("ceiling")) {
    add(fmt::format("fauxqs fill, SendMessageBatch ×4 in flight"), Number(f.fill_rate) + " msg/s",
        Ratio(f.fill_rate, f.ceiling, ceiling), "", {});
    add(fmt::format("emulator ceiling: trivial client, {} in flight", o.ceiling_threads),
        Number(f.ceiling) + " msg/s", Ratio(f.ceiling, f.ceiling, ceiling), "", {});
    add("trivial client CPU per message", Number(f.ceiling_cpu_us, 1) + " µs", "", "", {});
    add("machine CPU busy during the trivial drain", Number(f.ceiling_busy, 2) + " cores", "", "",
        {});
  }
  if (o.Runs("run")) {
    add(fmt::format("amstream run: {}-message backlog", o.messages), Number(f.run_rate) + " msg/s",
        Ratio(f.run_rate, f.ceiling, ceiling), "≥ 0.90 × ceiling",
        f.ceiling > 0 ? std::optional(f.run_rate >= 0.9 * f.ceiling) : std::nullopt);
    add("amstream run: records", Number(f.run_records) + " records/s",
        Ratio(f.run_records, f.ceiling, ceiling), "", {});
    add("machine CPU busy during amstream's drain", Number(f.run_busy, 2) + " cores", "", "", {});
    add("amstream run: CPU (user + sys) per message", Number(f.run_cpu_us, 1) + " µs",
        Ratio(f.run_cpu_us, f.ceiling_cpu_us, "trivial client"), "≤ 25 µs", f.run_cpu_us <= 25);
    add(fmt::format("amstream run: peak RSS, {}-message backlog", o.messages),
        Number(f.run_rss_mib, 1) + " MiB", "", "< 64 MiB", f.run_rss_mib < 64);
  }
  if (o.Runs("memory")) {
    for (auto [backlog, mib] :
         {std::pair(o.small_backlog, f.small_rss_mib), std::pair(o.mid_backlog, f.mid_rss_mib)}) {
      add(fmt::format("amstream run: peak RSS, {}-message backlog", backlog),
          Number(mib, 1) + " MiB", "", "< 64 MiB", mib < 64);
    }
    add(fmt::format("amstream run: peak RSS, {}-message backlog", o.big_backlog),
        Number(f.big_rss_mib, 1) + " MiB",
        Ratio(f.big_rss_mib, f.mid_rss_mib, fmt::format("{} backlog", o.mid_backlog)),
        "< 64 MiB, ≤ 1.10 × that", f.big_rss_mib < 64 && f.big_rss_mib <= 1.1 * f.mid_rss_mib);
    std::string big_ceiling = fmt::format("ceiling at {}", o.big_backlog);
    add(fmt::format("emulator ceiling, {}-message backlog", o.big_backlog),
        Number(f.big_ceiling) + " msg/s", Ratio(f.big_ceiling, f.ceiling, ceiling), "", {});
    add(fmt::format("amstream run: {}-message backlog", o.big_backlog),
        Number(f.big_rate) + " msg/s", Ratio(f.big_rate, f.big_ceiling, big_ceiling), "", {});
  }
  if (o.Runs("delay")) {
    std::string load = fmt::format("at {} msg/s", Number(f.delay_rate));
    add("send → delete, trivial client, p50 " + load, Number(f.trivial_delay.p50_ms, 1) + " ms", "",
        "", {});
    add("send → delete, trivial client, p99", Number(f.trivial_delay.p99_ms, 1) + " ms", "", "",
        {});
    add("amstream run: send → commit, p50 " + load, Number(f.run_delay.p50_ms, 1) + " ms",
        Ratio(f.run_delay.p50_ms, f.trivial_delay.p50_ms, "trivial"), "", {});
    add("amstream run: send → commit, p99", Number(f.run_delay.p99_ms, 1) + " ms",
        Ratio(f.run_delay.p99_ms, f.trivial_delay.p99_ms, "trivial"), "", {});
    if (f.light_delay_rate > 0) {
      std::string light = fmt::format("at {} msg/s", Number(f.light_delay_rate));
      add("amstream run: send → commit, p50 " + light, Number(f.light_delay.p50_ms, 1) + " ms",
          Ratio(f.light_delay.p50_ms, f.trivial_delay.p50_ms, "trivial"), "", {});
      add("amstream run: send → commit, p99", Number(f.light_delay.p99_ms, 1) + " ms",
          Ratio(f.light_delay.p99_ms, f.trivial_delay.p99_ms, "trivial"), "", {});
    }
  }
  if (o.Runs("ingest")) {
    add(fmt::format("COPY into a bare table, {} records", o.ingest_records),
        Number(f.copy_rate) + " records/s", "1.00 × COPY", "", {});
    add("COPY into tables with the ledger's and totals' indexes",
        Number(f.indexed_copy_rate) + " records/s", Ratio(f.indexed_copy_rate, f.copy_rate, "COPY"),
        "", {});
    add("amstream ingest → PostgreSQL", Number(f.postgres_rate) + " records/s",
        Ratio(f.postgres_rate, f.copy_rate, "COPY"), "≥ 0.25 × COPY",
        f.postgres_rate >= 0.25 * f.copy_rate);
    add("amstream ingest → SQLite", Number(f.sqlite_rate) + " records/s",
        Ratio(f.sqlite_rate, f.copy_rate, "COPY"), "≥ 100,000 records/s", f.sqlite_rate >= 100'000);
  }
  if (o.Runs("latency")) {
#ifdef AMSTREAM_BENCH_HAS_PROXY
    std::string added = fmt::format("+{} ms", o.proxy_delay_ms);
    add(fmt::format("{} per request: measured round trip", added),
        Number(f.proxy_rtt_ms, 1) + " ms", "", "", {});
    add(fmt::format("amstream run {}, default receivers/deleters", added),
        Number(f.proxy_default_rate) + " msg/s", Ratio(f.proxy_default_rate, f.ceiling, ceiling),
        "≥ 4,000 msg/s", f.proxy_default_rate >= 4'000);
    add(fmt::format("amstream run {}, --receivers {} --deleters {}", added, o.latency_receivers,
                    o.latency_deleters),
        Number(f.proxy_tuned_rate) + " msg/s", Ratio(f.proxy_tuned_rate, f.ceiling, ceiling),
        "≥ 4,000 msg/s", f.proxy_tuned_rate >= 4'000);
#else
    add("amstream run +20 ms per request", "pending", "", "≥ 4,000 msg/s", {});
#endif
  }
  return rows;
}

}  // namespace amstream::bench
