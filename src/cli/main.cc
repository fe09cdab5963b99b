// amstream: Amazon Marketing Stream from SQS into PostgreSQL or SQLite, exactly once.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.h"
#include "common/log.h"

int main(int argc, char** argv) {
  using namespace amstream;
  CLI::App app{
      "amstream: consume Amazon Marketing Stream (SQS) into PostgreSQL or SQLite, exactly "
      "once.\nStart with `amstream ingest examples/sample.jsonl.gz && amstream report`."};
  app.require_subcommand(1);
  // --database and --log-level are also accepted after the subcommand's name.
  app.fallthrough();
  app.set_version_flag("--version", "amstream 0.1.0");

  cli::GlobalFlags global;
  app.add_option("--database", global.database,
                 "Where numbers are stored: postgresql://user@host:port/db (or a libpq "
                 "key=value string) for PostgreSQL, otherwise a SQLite file path. Default: "
                 "PostgreSQL if PGHOST/PGDATABASE/PGSERVICE is set, else ./amstream.db")
      ->envname("AMSTREAM_DATABASE");
  app.add_option("--log-level", global.log_level, "trace, debug, info, warn or error")
      ->envname("AMSTREAM_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();

  int exit_code = cli::kExitOk;
  app.parse_complete_callback([&] {
    log::Level level = log::Level::kInfo;
    log::ParseLevel(global.log_level, &level);
    log::SetLevel(level);
  });
  cli::AddRunCommand(&app, &global, &exit_code);
  cli::AddIngestCommand(&app, &global, &exit_code);
  cli::AddReportCommand(&app, &global, &exit_code);
  cli::AddMigrateCommand(&app, &global, &exit_code);
  cli::AddGenerateCommand(&app, &global, &exit_code);
  cli::AddDlqCommand(&app, &global, &exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? cli::kExitOk : cli::kExitUsage;
  }
  return exit_code;
}
