#include <cstdio>
#include <cstdlib>

#include "cli/commands.h"
#include "store/store.h"

namespace amstream::cli {

std::string ResolveDatabase(const std::string& flag) {
  if (!flag.empty()) {
    return flag;
  }
  for (const char* name : {"PGHOST", "PGHOSTADDR", "PGDATABASE", "PGSERVICE"}) {
    if (const char* value = std::getenv(name); value != nullptr && *value != '\0') {
      return "postgresql://";  // libpq fills in the rest from its variables
    }
  }
  return "amstream.db";
}

int Fail(const Status& status, std::string_view doing) {
  std::fprintf(stderr, "amstream: %.*s: %s\n", static_cast<int>(doing.size()), doing.data(),
               status.ToString().c_str());
  switch (status.code()) {
    case Code::kConfig:
    case Code::kPermissionDenied:
    case Code::kNotFound:
      return kExitUsage;
    case Code::kUnavailable:
      return kExitUnavailable;
    default:
      return kExitFailure;
  }
}

void AddMigrateCommand(CLI::App* app, const GlobalFlags* global, int* exit) {
  CLI::App* cmd = app->add_subcommand(
      "migrate", "Create or upgrade the database schema, then exit (run also does this)");
  cmd->callback([global, exit] {
    std::string database = ResolveDatabase(global->database);
    Result<std::unique_ptr<store::Store>> store = store::Open(database);
    if (!store.ok()) {
      *exit = Fail(store.status(), "opening the database");
      return;
    }
    if (Status migrated = (*store)->Migrate(); !migrated.ok()) {
      *exit = Fail(migrated, "migrating the schema");
      return;
    }
    std::printf("schema is current (%.*s)\n", static_cast<int>((*store)->kind().size()),
                (*store)->kind().data());
  });
}

}  // namespace amstream::cli
