#include "store/sqlite/sqlite_store.h"

#include <chrono>
#include <mutex>
#include <vector>

#include "store/batch_plan.h"
#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_report.h"
#include "store/sqlite/sqlite_schema.h"
#include "store/sqlite/sqlite_write.h"

namespace amstream::store::sqlite {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::unique_ptr<Database> db) : db_(std::move(db)) {}

  Status Migrate() override {
    std::lock_guard<std::mutex> lock(mu_);
    writer_.reset();  // statements are prepared against the new schema
    return MigrateSchema(db_.get());
  }

  Result<WriteStats> Write(std::span<const ams::Message> messages) override {
    BatchPlan plan = PlanBatch(messages);
    std::vector<const sns::Confirmation*> new_confirmations;
    WriteStats stats = plan.stats;
    std::string now = FormatUtcMillis(NowMs());
    if (plan.empty()) {
      return stats;
    }

    std::lock_guard<std::mutex> lock(mu_);
    if (writer_ == nullptr) {
      Result<std::unique_ptr<Writer>> writer = Writer::Prepare(db_.get());
      if (!writer.ok()) {
        return writer.status();
      }
      writer_ = std::move(*writer);
    }
    // IMMEDIATE takes the write lock at once, so a second process waits (busy timeout)
    // instead of failing halfway through the batch.
    Status written = db_->Exec("BEGIN IMMEDIATE", "starting a write");
    if (written.ok()) {
      written = writer_->Apply(plan, now, &stats, &new_confirmations);
    }
    if (written.ok()) {
      written = db_->Exec("COMMIT", "committing");
    }
    if (!written.ok()) {
      db_->Rollback();
      return written;
    }
    for (const sns::Confirmation* confirmation : new_confirmations) {
      LogNewConfirmation(*confirmation);
    }
    return stats;
  }

  Result<std::vector<ReportRow>> Report(const ReportQuery& query) override {
    std::lock_guard<std::mutex> lock(mu_);
    return RunReport(db_.get(), query);
  }

  std::string_view kind() const override { return "sqlite"; }

 private:
  std::mutex mu_;
  std::unique_ptr<Database> db_;    // guarded by mu_
  std::unique_ptr<Writer> writer_;  // guarded by mu_; prepared at the first Write
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqlite(std::string_view path) {
  Result<std::unique_ptr<Database>> db = Database::Open(std::string(path));
  if (!db.ok()) {
    return db.status();
  }
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(*db)));
}

}  // namespace amstream::store::sqlite
