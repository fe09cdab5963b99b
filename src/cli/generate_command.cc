// `amstream generate`: realistic AMS traffic with its own exact expected totals.
#include <cstdio>

#include "cli/commands.h"
#include "gen/generator.h"

namespace amstream::cli {
namespace {

// The generator refuses options as kInvalid; on the command line that is a usage error.
Status AsConfig(const Status& status) {
  return status.code() == Code::kInvalid ? ConfigError(status.message()) : status;
}

}  // namespace

void AddGenerateCommand(CLI::App* app, const GlobalFlags* /*global*/, int* exit) {
  struct Flags {
    gen::Options options;
    std::string out = "-";
    std::string expected;
  };
  auto flags = std::make_shared<Flags>();
  gen::Options& o = flags->options;
  CLI::App* cmd = app->add_subcommand(
      "generate",
      "Write generated sp-traffic/sp-conversion bodies (one per line) and their exact "
      "expected totals, for demos, tests and benchmarks");
  cmd->add_option("--out", flags->out, "Bodies file (.gz compresses); - for stdout")
      ->capture_default_str();
  cmd->add_option("--expected", flags->expected,
                  "Where to write the expected totals (JSON); required with --out FILE");
  cmd->add_option("--messages", o.messages, "Bodies to write, duplicates included")
      ->capture_default_str();
  cmd->add_option("--advertisers", o.advertisers, "Advertisers")->capture_default_str();
  cmd->add_option("--campaigns", o.campaigns_per_advertiser, "Campaigns per advertiser")
      ->capture_default_str();
  cmd->add_option("--ad-groups", o.ad_groups_per_campaign, "Ad groups per campaign")
      ->capture_default_str();
  cmd->add_option("--keywords", o.keywords_per_ad_group, "Keywords per ad group")
      ->capture_default_str();
  cmd->add_option("--hours", o.hours, "Active hours from local midnight of --start-date")
      ->capture_default_str();
  cmd->add_option("--start-date", o.start_date, "First local date (YYYY-MM-DD)")
      ->capture_default_str();
  cmd->add_option("--traffic-share", o.traffic_share, "Share of records that are sp-traffic")
      ->capture_default_str();
  cmd->add_option("--duplicate-rate", o.duplicate_rate,
                  "Share of bodies re-sent byte for byte (same idempotency_id)")
      ->capture_default_str();
  cmd->add_option("--restatement-rate", o.restatement_rate,
                  "Share of records repeating earlier metrics under a new id")
      ->capture_default_str();
  cmd->add_option("--correction-rate", o.correction_rate,
                  "Share of records that are negative corrections")
      ->capture_default_str();
  cmd->add_option("--envelope-rate", o.envelope_rate,
                  "Share of bodies wrapped in an SNS Notification envelope")
      ->capture_default_str();
  cmd->add_option("--seed", o.seed, "Random seed; the same seed gives the same bytes")
      ->capture_default_str();
  cmd->callback([flags, exit] {
    if (flags->out == "-") {
      Result<gen::ExpectedTotals> totals = gen::Generate(flags->options, [](std::string_view body) {
        std::fwrite(body.data(), 1, body.size(), stdout);
        std::fputc('\n', stdout);
        return Status::Ok();
      });
      *exit = totals.ok() ? kExitOk : Fail(AsConfig(totals.status()), "generate");
      return;
    }
    if (flags->expected.empty()) {
      *exit = Fail(ConfigError("--expected FILE is required with --out FILE"), "generate");
      return;
    }
    Status status = gen::GenerateToFiles(flags->options, flags->out, flags->expected);
    *exit = status.ok() ? kExitOk : Fail(AsConfig(status), "generate");
  });
}

}  // namespace amstream::cli
