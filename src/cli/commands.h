// The subcommands of the `amstream` binary. Each returns the process exit code
// (see ExitCode) and prints its own one-line errors.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "common/status.h"

namespace amstream::cli {

// Process exit codes, documented in the README.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,      // a runtime failure the log line explains
  kExitUsage = 2,        // bad command line or configuration: fix it and start again
  kExitUnavailable = 3,  // the database or queue could not be reached at start
};

// Settings every subcommand shares.
struct GlobalFlags {
  std::string database;  // --database / AMSTREAM_DATABASE; empty: see ResolveDatabase
  std::string log_level = "info";
};

// The database to open: the flag or AMSTREAM_DATABASE, else PostgreSQL when a libpq
// variable (PGHOST, PGHOSTADDR, PGDATABASE, PGSERVICE) is set, else "amstream.db".
std::string ResolveDatabase(const std::string& flag);

// Maps a failed Status to an exit code and prints it as one line on standard error.
int Fail(const Status& status, std::string_view doing);

// Each Add* registers a subcommand on `app` whose callback stores the exit code in *exit.
void AddRunCommand(CLI::App* app, const GlobalFlags* global, int* exit);
void AddIngestCommand(CLI::App* app, const GlobalFlags* global, int* exit);
void AddReportCommand(CLI::App* app, const GlobalFlags* global, int* exit);
void AddMigrateCommand(CLI::App* app, const GlobalFlags* global, int* exit);
void AddGenerateCommand(CLI::App* app, const GlobalFlags* global, int* exit);
void AddDlqCommand(CLI::App* app, const GlobalFlags* global, int* exit);

}  // namespace amstream::cli
