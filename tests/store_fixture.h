// The storage suite's fixture: every case runs against SQLite and PostgreSQL with the
// same inputs and the same expected values.
//
// SQLite gets a fresh file per test, PostgreSQL a fresh database on the harness's shared
// cluster. Sql() reads the database with the sqlite3 CLI or psql, so the checks see
// what a user of the views would see.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ams/classify.h"
#include "ams/message.h"
#include "common/time.h"
#include "harness/servers.h"
#include "store/store.h"

namespace amstream::store::testing {

enum class Backend { kSqlite, kPostgres };

// "Sqlite" or "Postgres", for test names.
inline std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

// Fields of an sp-traffic delta; the defaults make one valid record of campaign C1.
struct TrafficSpec {
  std::string id;
  std::string advertiser = "A1";
  std::string campaign = "C1";
  std::string keyword = "K1";
  std::string window = "2025-06-01T10:00:00-07:00";
  int64_t clicks = 0;
  int64_t impressions = 0;
  int64_t cost_micros = 0;
  std::string match_type = "EXACT";
  std::string currency = "USD";
};

// A message carrying the sp-traffic delta `spec`; its message id derives from the id.
inline ams::Message Traffic(const TrafficSpec& spec) {
  Result<Timestamp> window = ParseTimestamp(spec.window);
  EXPECT_TRUE(window.ok()) << spec.window;
  ams::TrafficRecord r;
  r.idempotency_id = spec.id;
  r.advertiser_id = spec.advertiser;
  r.marketplace_id = "ATVPDKIKX0DER";
  r.time_window_start_ms = window.ok() ? window->epoch_ms : 0;
  r.utc_offset_minutes = window.ok() ? window->utc_offset_minutes : 0;
  r.campaign_id = spec.campaign;
  r.ad_group_id = "G1";
  r.ad_id = "AD1";
  r.keyword_id = spec.keyword;
  r.keyword_text = spec.keyword.empty() ? "" : "text of " + spec.keyword;
  r.match_type = spec.match_type;
  r.placement = "Top of Search on-Amazon";
  r.currency = spec.currency;
  r.clicks = spec.clicks;
  r.impressions = spec.impressions;
  r.cost_micros = spec.cost_micros;
  ams::Message message;
  message.delivery.message_id = "msg-" + spec.id;
  message.content = std::move(r);
  return message;
}

// Fields of an sp-conversion delta; metrics are (name, value) with money in micros.
struct ConversionSpec {
  std::string id;
  std::string advertiser = "A1";
  std::string campaign = "C1";
  std::string window = "2025-06-01T10:00:00-07:00";
  std::vector<std::pair<std::string_view, int64_t>> metrics;
};

// A message carrying the sp-conversion delta `spec`.
inline ams::Message Conversion(const ConversionSpec& spec) {
  Result<Timestamp> window = ParseTimestamp(spec.window);
  EXPECT_TRUE(window.ok()) << spec.window;
  ams::ConversionRecord r;
  r.idempotency_id = spec.id;
  r.advertiser_id = spec.advertiser;
  r.marketplace_id = "ATVPDKIKX0DER";
  r.time_window_start_ms = window.ok() ? window->epoch_ms : 0;
  r.utc_offset_minutes = window.ok() ? window->utc_offset_minutes : 0;
  r.campaign_id = spec.campaign;
  r.ad_group_id = "G1";
  r.ad_id = "AD1";
  r.keyword_id = "K1";
  r.placement = "Top of Search on-Amazon";
  r.currency = "USD";
  for (const auto& [name, value] : spec.metrics) {
    int index = ams::ConversionMetricIndex(name);
    EXPECT_GE(index, 0) << name;
    if (index >= 0) {
      r.metrics[static_cast<size_t>(index)] = value;
    }
  }
  ams::Message message;
  message.delivery.message_id = "msg-" + spec.id;
  message.content = std::move(r);
  return message;
}

// A message whose body could not be used, as the classifier would quarantine it.
inline ams::Message QuarantinedMessage(std::string message_id, std::string body) {
  ams::Message message;
  message.delivery.message_id = std::move(message_id);
  message.delivery.body = std::move(body);
  message.content = ams::Quarantined{"not json"};
  return message;
}

// `body` classified as the pipeline would, delivered as SQS message `message_id`.
inline ams::Message Classified(std::string body, std::string message_id, int64_t sent_ms = 0) {
  ams::Classifier classifier;
  ams::Delivery delivery;
  delivery.message_id = std::move(message_id);
  delivery.sent_timestamp_ms = sent_ms;
  delivery.body = std::move(body);
  return classifier.Classify(std::move(delivery));
}

// The lines of a file under the shared testdata directory.
inline std::vector<std::string> TestdataLines(std::string_view name) {
  std::ifstream in(std::string(AMSTREAM_TESTDATA) + "/" + std::string(name));
  EXPECT_TRUE(in.good()) << name;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      lines.push_back(line);
    }
  }
  return lines;
}

// The whole of a file under the shared testdata directory.
inline std::string TestdataFile(std::string_view name) {
  std::ifstream in(std::string(AMSTREAM_TESTDATA) + "/" + std::string(name));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A WriteStats as "stored=1 dup=0 blog=0 stale=0 quarantined=0 confirmations=0".
inline std::string Describe(const WriteStats& s) {
  std::ostringstream out;
  out << "stored=" << s.records_stored << " dup=" << s.duplicates << " blog=" << s.blog_rows
      << " stale=" << s.blog_rows_stale << " quarantined=" << s.quarantined
      << " confirmations=" << s.confirmations;
  return out.str();
}

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    if (GetParam() == Backend::kSqlite) {
      database_ = amstream::testing::MakeTempDir("store") + "/amstream.db";
    } else {
      database_ = amstream::testing::PgCluster::Shared().CreateDatabase("store_" +
                                                                        std::to_string(++counter));
    }
    store_ = OpenAnother();
    ASSERT_NE(store_, nullptr);
    Status migrated = store_->Migrate();
    ASSERT_TRUE(migrated.ok()) << migrated.ToString();
  }

  bool postgres() const { return GetParam() == Backend::kPostgres; }

  // Opens another store on the same database, like a second replica would.
  std::unique_ptr<Store> OpenAnother() {
    Result<std::unique_ptr<Store>> opened = Open(database_);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened.ok() ? std::move(*opened) : nullptr;
  }

  // Runs `pg` on PostgreSQL or `sqlite` on SQLite; rows end with '\n', fields are
  // separated by '|', NULL is empty.
  std::string Sql(std::string_view pg, std::string_view sqlite) {
    return postgres() ? amstream::testing::Psql(database_, pg)
                      : amstream::testing::SqliteQuery(database_, sqlite);
  }
  std::string Sql(std::string_view both) { return Sql(both, both); }

  // Writes `batch` and expects success.
  WriteStats MustWrite(std::vector<ams::Message> batch) {
    Result<WriteStats> written = store_->Write(batch);
    EXPECT_TRUE(written.ok()) << written.status().ToString();
    return written.ok() ? *written : WriteStats{};
  }

  // One line per sp_traffic_hourly row: keyword_id|UTC hour|clicks|impressions|cost in
  // micros, ordered by keyword and hour.
  std::string TrafficRows() {
    return Sql(
        "SELECT keyword_id, to_char(time_window_start AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), clicks, impressions, (cost * 1000000)::bigint "
        "FROM sp_traffic_hourly ORDER BY keyword_id COLLATE \"C\", time_window_start",
        "SELECT keyword_id, time_window_start, clicks, impressions, cost_micros "
        "FROM sp_traffic_hourly ORDER BY keyword_id, time_window_start");
  }

  std::string database_;  // SQLite path or PostgreSQL URL
  std::unique_ptr<Store> store_;
};

}  // namespace amstream::store::testing
