#include "store/postgres/postgres_store.h"

#include <mutex>
#include <vector>

#include "common/log.h"
#include "store/batch_plan.h"
#include "store/postgres/pg_conn.h"
#include "store/postgres/postgres_report.h"
#include "store/postgres/postgres_schema.h"
#include "store/postgres/postgres_write.h"

namespace amstream::store::postgres {
namespace {

class PostgresStore final : public Store {
 public:
  explicit PostgresStore(std::unique_ptr<PgConnection> conn) : conn_(std::move(conn)) {}

  Status Migrate() override {
    std::lock_guard<std::mutex> lock(mu_);
    AMSTREAM_RETURN_IF_ERROR(Connected());
    return MigrateSchema(conn_.get());
  }

  Result<WriteStats> Write(std::span<const ams::Message> messages) override {
    BatchPlan plan = PlanBatch(messages);
    std::vector<const sns::Confirmation*> new_confirmations;
    WriteStats stats = plan.stats;

    if (plan.empty()) {
      return stats;
    }
    std::lock_guard<std::mutex> lock(mu_);
    Status written = Begin();
    if (written.ok()) {
      written = ApplyPlan(conn_.get(), plan, &stats, &new_confirmations);
    }
    if (written.ok()) {
      written = conn_->Commit();
    }
    if (!written.ok()) {
      conn_->Rollback();
      return written;
    }
    for (const sns::Confirmation* confirmation : new_confirmations) {
      LogNewConfirmation(*confirmation);
    }
    return stats;
  }

  Result<std::vector<ReportRow>> Report(const ReportQuery& query) override {
    std::lock_guard<std::mutex> lock(mu_);
    AMSTREAM_RETURN_IF_ERROR(Connected());
    Result<std::vector<ReportRow>> rows = RunReport(conn_.get(), query);
    if (!rows.ok() && rows.status().code() == Code::kUnavailable) {
      AMSTREAM_RETURN_IF_ERROR(Connected());  // a stale session: read again on a new one
      rows = RunReport(conn_.get(), query);
    }
    return rows;
  }

  std::string_view kind() const override { return "postgresql"; }

 private:
  // Starts a write transaction. A session that broke while idle (a server restart) is
  // only noticed when it is used; nothing has been sent then, so one more try on a new
  // session is safe.
  Status Begin() {
    Status begun = TryBegin();
    if (begun.code() == Code::kUnavailable) {
      begun = TryBegin();
    }
    return begun;
  }

  Status TryBegin() {
    AMSTREAM_RETURN_IF_ERROR(Connected());
    if (!staging_ready_) {
      AMSTREAM_RETURN_IF_ERROR(CreateStagingTables(conn_.get()));
      staging_ready_ = true;
    }
    return conn_->Exec("BEGIN", "starting a write");
  }

  // Reconnects a broken connection; the new session needs its staging tables again.
  Status Connected() {
    bool reconnected = false;
    AMSTREAM_RETURN_IF_ERROR(conn_->EnsureConnected(&reconnected));
    if (reconnected) {
      log::Info("store", "reconnected to PostgreSQL");
      staging_ready_ = false;
    }
    return Status::Ok();
  }

  std::mutex mu_;
  std::unique_ptr<PgConnection> conn_;  // guarded by mu_
  bool staging_ready_ = false;          // guarded by mu_
};

}  // namespace

Result<std::unique_ptr<Store>> OpenPostgres(std::string_view conninfo) {
  Result<std::unique_ptr<PgConnection>> conn = PgConnection::Connect(conninfo);
  if (!conn.ok()) {
    return conn.status();
  }
  return std::unique_ptr<Store>(std::make_unique<PostgresStore>(std::move(*conn)));
}

}  // namespace amstream::store::postgres
