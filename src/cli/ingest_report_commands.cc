// `amstream ingest` and `amstream report`: the embedded, no-server path.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "common/time.h"
#include "pipeline/ingest.h"
#include "report/format.h"
#include "store/store.h"

namespace amstream::cli {
namespace {

Result<std::unique_ptr<store::Store>> OpenMigrated(const GlobalFlags& global) {
  Result<std::unique_ptr<store::Store>> store = store::Open(ResolveDatabase(global.database));
  if (!store.ok()) {
    return store.status().WithContext("opening the database");
  }
  if (Status migrated = (*store)->Migrate(); !migrated.ok()) {
    return migrated.WithContext("migrating the schema");
  }
  return store;
}

// Redraws one line on the terminal; only used when stderr is a terminal.
void DrawProgress(uint64_t done, uint64_t total) {
  if (total == 0) {
    std::fprintf(stderr, "\r%8.1f MiB read", static_cast<double>(done) / (1 << 20));
    return;
  }
  constexpr int kWidth = 30;
  double share = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
  int filled = static_cast<int>(share * kWidth);
  std::fprintf(stderr, "\r[%s%s] %5.1f%%", std::string(static_cast<size_t>(filled), '#').c_str(),
               std::string(static_cast<size_t>(kWidth - filled), ' ').c_str(), share * 100);
}

void PrintSummary(const pipeline::IngestSummary& s) {
  const store::WriteStats& w = s.written;
  std::printf("lines read:          %lld\n", static_cast<long long>(s.lines));
  std::printf("records stored:      %lld\n", static_cast<long long>(w.records_stored));
  std::printf("duplicates skipped:  %lld\n", static_cast<long long>(w.duplicates));
  std::printf("blog rows applied:   %lld (older snapshots ignored: %lld)\n",
              static_cast<long long>(w.blog_rows), static_cast<long long>(w.blog_rows_stale));
  std::printf("confirmations kept:  %lld\n", static_cast<long long>(w.confirmations));
  std::printf("quarantined:         %lld\n", static_cast<long long>(w.quarantined));
  // Reasons are collected as lines are read; when every such line was already stored by an
  // earlier ingest, nothing new was quarantined and listing them would mislead.
  if (w.quarantined > 0) {
    for (const std::string& reason : s.quarantine_reasons) {
      std::printf("  %s\n", reason.c_str());
    }
  }
  if (s.empty_lines > 0) {
    std::printf("empty lines skipped: %lld\n", static_cast<long long>(s.empty_lines));
  }
  if (!s.problems.empty()) {
    std::printf("unreadable input:    %lld\n", static_cast<long long>(s.problem_count));
    for (size_t i = 0; i < s.problems.size() && i < 10; ++i) {
      std::printf("  %s\n", s.problems[i].c_str());
    }
  }
}

int Ingest(const GlobalFlags& global, const std::vector<std::string>& paths, int batch) {
  // A mistyped path is found before the database is opened or changed.
  for (const std::string& path : paths) {
    std::error_code error;
    if (path != "-" && !std::filesystem::exists(path, error)) {
      return Fail(Status(Code::kNotFound, fmt::format("{}: no such file or directory", path)),
                  "ingest");
    }
  }
  Result<std::unique_ptr<store::Store>> store = OpenMigrated(global);
  if (!store.ok()) {
    return Fail(store.status(), "ingest");
  }
  pipeline::IngestOptions options;
  options.batch_messages = static_cast<size_t>(batch);
  bool tty = isatty(STDERR_FILENO) != 0;
  if (tty) {
    options.progress = DrawProgress;
  }
  Result<pipeline::IngestSummary> summary = pipeline::Ingest(paths, store->get(), options);
  if (tty) {
    std::fprintf(stderr, "\r%40s\r", "");
  }
  if (!summary.ok()) {
    return Fail(summary.status(), "ingest");
  }
  PrintSummary(*summary);
  return summary->problems.empty() ? kExitOk : kExitFailure;
}

struct ReportFlags {
  std::string by = "day";
  std::string format = "table";
  std::string advertiser;
  std::string campaign;
  std::string from;
  std::string to;
  std::string window = "7d";
};

Result<std::optional<int64_t>> OptionalDate(const std::string& text, std::string_view flag) {
  if (text.empty()) {
    return std::optional<int64_t>();
  }
  Result<int64_t> days = ParseDate(text);
  if (!days.ok()) {
    return ConfigError(fmt::format("{} takes a date like 2025-06-01, got \"{}\"", flag, text));
  }
  return std::optional<int64_t>(*days);
}

int Report(const GlobalFlags& global, const ReportFlags& flags) {
  store::ReportQuery query;
  query.by_hour = flags.by == "hour";
  query.attribution_window = flags.window;
  if (!flags.advertiser.empty()) query.advertiser_id = flags.advertiser;
  if (!flags.campaign.empty()) query.campaign_id = flags.campaign;
  Result<std::optional<int64_t>> from = OptionalDate(flags.from, "--from");
  Result<std::optional<int64_t>> to = OptionalDate(flags.to, "--to");
  if (!from.ok() || !to.ok()) {
    return Fail(from.ok() ? to.status() : from.status(), "report");
  }
  query.from_days = *from;
  query.to_days = *to;
  Result<report::Format> format = report::ParseFormat(flags.format);
  if (!format.ok()) {
    return Fail(format.status(), "report");
  }

  // A mistyped path must not print an empty report from a database created on the spot.
  std::string database = ResolveDatabase(global.database);
  if (std::error_code error;
      !store::IsPostgres(database) && !std::filesystem::exists(database, error)) {
    return Fail(ConfigError(fmt::format("no database at {}: run `amstream ingest` or "
                                        "`amstream run` first, or pass --database",
                                        database)),
                "report");
  }
  Result<std::unique_ptr<store::Store>> store = OpenMigrated(global);
  if (!store.ok()) {
    return Fail(store.status(), "report");
  }
  Result<std::vector<store::ReportRow>> rows = (*store)->Report(query);
  if (!rows.ok()) {
    // A refused query here is a refused flag value (such as --from after --to).
    Status status = rows.status().code() == Code::kInvalid ? ConfigError(rows.status().message())
                                                           : rows.status();
    return Fail(status, "report");
  }
  report::Layout layout{query.by_hour, query.attribution_window};
  std::string text = report::Render(*format, *rows, layout);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return kExitOk;
}

}  // namespace

void AddIngestCommand(CLI::App* app, const GlobalFlags* global, int* exit) {
  auto paths = std::make_shared<std::vector<std::string>>();
  auto batch = std::make_shared<int>(5000);
  CLI::App* cmd = app->add_subcommand(
      "ingest",
      "Store message bodies from files (one JSON document per line): files, directories, "
      ".gz files, or - for stdin. Ingesting the same input twice changes nothing");
  cmd->add_option("paths", *paths, "Files, directories or - (standard input)")->required();
  cmd->add_option("--batch-messages", *batch, "Lines applied per transaction")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cmd->callback([global, exit, paths, batch] { *exit = Ingest(*global, *paths, *batch); });
}

void AddReportCommand(CLI::App* app, const GlobalFlags* global, int* exit) {
  auto flags = std::make_shared<ReportFlags>();
  CLI::App* cmd = app->add_subcommand(
      "report", "Campaign performance per advertiser-local day or hour from the database");
  cmd->add_option("--by", flags->by, "Bucket: day or hour (the advertiser's local time)")
      ->check(CLI::IsMember({"day", "hour"}))
      ->capture_default_str();
  cmd->add_option("--format", flags->format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  cmd->add_option("--advertiser", flags->advertiser, "Only this advertiser_id");
  cmd->add_option("--campaign", flags->campaign, "Only this campaign_id");
  cmd->add_option("--from", flags->from, "First local date, inclusive (YYYY-MM-DD)");
  cmd->add_option("--to", flags->to, "Last local date, inclusive (YYYY-MM-DD)");
  cmd->add_option("--attribution", flags->window,
                  "Attribution window of conversions and sales: 1d, 7d, 14d or 30d")
      ->check(CLI::IsMember({"1d", "7d", "14d", "30d"}))
      ->capture_default_str();
  cmd->callback([global, exit, flags] { *exit = Report(*global, *flags); });
}

}  // namespace amstream::cli
