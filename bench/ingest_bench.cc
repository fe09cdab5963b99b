#include "ingest_bench.h"

#include <filesystem>
#include <fstream>
#include <variant>

#include "ams/classify.h"
#include "amstream_child.h"
#include "bench_util.h"
#include "harness/process.h"
#include "harness/servers.h"
#include "harness/spawn.h"
#include "store/postgres/copy_buffer.h"
#include "store/postgres/pg_conn.h"

namespace amstream::bench {
namespace {

using store::postgres::CopyBuffer;
using store::postgres::PgConnection;
using testing::HarnessError;

constexpr const char* kBareTraffic =
    "CREATE TABLE bare_traffic (idempotency_id text, advertiser_id text, marketplace_id text, "
    "window_ms bigint, utc_offset_minutes integer, campaign_id text, ad_group_id text, ad_id "
    "text, keyword_id text, keyword_text text, match_type text, placement text, currency text, "
    "clicks bigint, impressions bigint, cost_micros bigint)";

// The two lookups every stored record needs, by idempotency id (the ledger) and by
// natural key (the hourly totals), as plain indexes: no uniqueness, no merge.
constexpr const char* kIndexes =
    "CREATE INDEX ON bare_traffic (idempotency_id); "
    "CREATE INDEX ON bare_traffic (advertiser_id, marketplace_id, window_ms, campaign_id, "
    "ad_group_id, ad_id, keyword_id, keyword_text, placement, currency); "
    "CREATE INDEX ON bare_conversion (idempotency_id); "
    "CREATE INDEX ON bare_conversion (advertiser_id, marketplace_id, window_ms, campaign_id, "
    "ad_group_id, ad_id, keyword_id, placement, currency)";

std::string BareConversionSql() {
  std::string sql =
      "CREATE TABLE bare_conversion (idempotency_id text, advertiser_id text, marketplace_id "
      "text, window_ms bigint, utc_offset_minutes integer, campaign_id text, ad_group_id text, "
      "ad_id text, keyword_id text, placement text, currency text";
  for (const ams::ConversionMetric& metric : ams::kConversionMetrics) {
    sql += ", " + std::string(metric.name) + " bigint";
  }
  return sql + ")";
}

void AddRow(const ams::TrafficRecord& r, CopyBuffer* rows) {
  rows->Text(r.idempotency_id).Text(r.advertiser_id).Text(r.marketplace_id);
  rows->Int(r.time_window_start_ms).Int(r.utc_offset_minutes).Text(r.campaign_id);
  rows->Text(r.ad_group_id).Text(r.ad_id).Text(r.keyword_id).Text(r.keyword_text);
  rows->Text(r.match_type).Text(r.placement).Text(r.currency).Int(r.clicks);
  rows->Int(r.impressions).Int(r.cost_micros).EndRow();
}

void AddRow(const ams::ConversionRecord& r, CopyBuffer* rows) {
  rows->Text(r.idempotency_id).Text(r.advertiser_id).Text(r.marketplace_id);
  rows->Int(r.time_window_start_ms).Int(r.utc_offset_minutes).Text(r.campaign_id);
  rows->Text(r.ad_group_id).Text(r.ad_id).Text(r.keyword_id).Text(r.placement);
  rows->Text(r.currency);
  for (int64_t value : r.metrics) {
    rows->Int(value);
  }
  rows->EndRow();
}

void Must(const Status& status) {
  if (!status.ok()) {
    throw HarnessError(status.ToString());
  }
}

// The number after `label` in ingest's summary ("records stored:      123").
int64_t SummaryCount(const std::string& out, std::string_view label) {
  size_t at = out.find(label);
  return at == std::string::npos ? -1 : std::atoll(out.c_str() + at + label.size());
}

}  // namespace

IngestBench::IngestBench(int64_t messages) {
  file_ = testing::MakeTempDir("ingest") + "/bodies.jsonl";
  Bodies bodies = GenerateBodies(messages, 7);
  std::ofstream out(file_, std::ios::binary);
  CopyBuffer traffic;
  CopyBuffer conversion;
  ams::Classifier classifier;
  for (std::string& body : bodies.bodies) {
    out << body << '\n';
    ams::Delivery delivery;
    delivery.body = std::move(body);
    ams::Message message = classifier.Classify(std::move(delivery));
    if (const auto* t = std::get_if<ams::TrafficRecord>(&message.content)) {
      AddRow(*t, &traffic);
    } else if (const auto* c = std::get_if<ams::ConversionRecord>(&message.content)) {
      AddRow(*c, &conversion);
    } else {
      throw HarnessError("the generator wrote a body that is not a record");
    }
  }
  if (!out.flush()) {
    throw HarnessError("cannot write " + file_);
  }
  records_ = traffic.rows() + conversion.rows();
  traffic_rows_ = traffic.data();
  conversion_rows_ = conversion.data();
}

double IngestBench::Ingest(const std::string& database) {
  AmstreamChild child = AmstreamChild::Start({"--database", database, "ingest", file_});
  ChildUsage usage = child.Wait(std::chrono::minutes(10));
  std::string out = child.Stdout();
  if (usage.exit_code != 0) {
    throw HarnessError("amstream ingest exited with " + std::to_string(usage.exit_code) + ": " +
                       testing::internal::Tail(child.Stderr(), 5));
  }
  int64_t handled = SummaryCount(out, "records stored:") + SummaryCount(out, "duplicates skipped:");
  if (handled != records_) {
    throw HarnessError("amstream ingest handled " + std::to_string(handled) + " of " +
                       std::to_string(records_) + " records:\n" + out);
  }
  last_cpu_seconds_ = usage.user_seconds + usage.sys_seconds;
  return static_cast<double>(records_) / usage.wall_seconds;
}

double IngestBench::Postgres() {
  return Ingest(testing::PgCluster::Shared().CreateDatabase("bench_ingest"));
}

double IngestBench::Sqlite() {
  std::string path = std::filesystem::path(file_).parent_path() / "ingest.db";
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(path + suffix);
  }
  return Ingest(path);
}

double IngestBench::Copy(bool indexed) {
  std::string db = testing::PgCluster::Shared().CreateDatabase("bench_copy");
  auto conn = PgConnection::Connect(db);
  if (!conn.ok()) {
    throw HarnessError(conn.status().ToString());
  }
  PgConnection& c = **conn;
  Must(c.Exec(kBareTraffic, "creating bare_traffic"));
  Must(c.Exec(BareConversionSql().c_str(), "creating bare_conversion"));
  if (indexed) {
    Must(c.Exec(kIndexes, "indexing the bare tables"));
  }

  Clock::time_point start = Clock::now();
  Must(c.Exec("BEGIN", "begin"));
  Must(c.CopyIn("COPY bare_traffic FROM STDIN", traffic_rows_, "copying sp-traffic"));
  Must(c.CopyIn("COPY bare_conversion FROM STDIN", conversion_rows_, "copying sp-conversion"));
  Must(c.Commit());
  return static_cast<double>(records_) / Seconds(Clock::now() - start);
}

}  // namespace amstream::bench
