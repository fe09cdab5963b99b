// store::Open: picks the store from the form of the database name.
#include <cctype>

#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace amstream::store {
namespace {

// libpq's "key=value ..." form: the name starts with a keyword followed by '='.
bool LooksLikeConninfo(std::string_view name) {
  size_t i = 0;
  while (i < name.size() && std::isspace(static_cast<unsigned char>(name[i]))) {
    ++i;
  }
  size_t key_start = i;
  while (i < name.size() && (std::isalpha(static_cast<unsigned char>(name[i])) || name[i] == '_')) {
    ++i;
  }
  if (i == key_start) {
    return false;
  }
  while (i < name.size() && std::isspace(static_cast<unsigned char>(name[i]))) {
    ++i;
  }
  return i < name.size() && name[i] == '=';
}

}  // namespace

bool IsPostgres(std::string_view database) {
  return database.starts_with("postgresql://") || database.starts_with("postgres://") ||
         LooksLikeConninfo(database);
}

Result<std::unique_ptr<Store>> Open(std::string_view database) {
  if (IsPostgres(database)) {
    return postgres::OpenPostgres(database);
  }
  if (database.empty()) {
    return ConfigError("no database given: pass a SQLite file path or a postgresql:// URL");
  }
  return sqlite::OpenSqlite(database);
}

}  // namespace amstream::store
