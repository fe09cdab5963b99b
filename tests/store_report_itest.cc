// The storage suite, continued: reports, values the database refuses, replicas writing
// at once, and (PostgreSQL) surviving a server restart. Same inputs and expected values
// for both stores.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/time.h"
#include "store_fixture.h"

namespace amstream::store::testing {
namespace {

// Report rows as "bucket|advertiser|campaign|currency|impressions|clicks|cost micros|
// conversions|sales micros", one per line.
std::string Lines(const Result<std::vector<ReportRow>>& rows) {
  if (!rows.ok()) {
    return rows.status().ToString();
  }
  std::string out;
  for (const ReportRow& r : *rows) {
    out += fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}\n", r.bucket, r.advertiser_id, r.campaign_id,
                       r.currency, r.impressions, r.clicks, r.cost_micros, r.conversions,
                       r.sales_micros);
  }
  return out;
}

int64_t Day(std::string_view date) { return *ParseDate(date); }

// ReportQuery with a default for every member, so that designated initializers can name
// only the filters a case needs.
struct QuerySpec {
  bool by_hour = false;
  std::optional<std::string> advertiser_id = std::nullopt;
  std::optional<std::string> campaign_id = std::nullopt;
  std::optional<int64_t> from_days = std::nullopt;
  std::optional<int64_t> to_days = std::nullopt;
  std::string attribution_window = "7d";
};

class StoreReportTest : public StoreTest {
 protected:
  // The report for `spec`, as Lines() prints it.
  std::string Report(const QuerySpec& spec) {
    ReportQuery query;
    query.by_hour = spec.by_hour;
    query.advertiser_id = spec.advertiser_id;
    query.campaign_id = spec.campaign_id;
    query.from_days = spec.from_days;
    query.to_days = spec.to_days;
    query.attribution_window = spec.attribution_window;
    return Lines(store_->Report(query));
  }

  // Two advertisers in different time zones; one late-evening hour of A1 is the next day
  // in UTC, one early hour of A2 is the previous day in UTC.
  void WriteReportData() {
    MustWrite({
        Traffic({.id = "t1", .clicks = 2, .impressions = 100, .cost_micros = 1'500'000}),
        Traffic(
            {.id = "t2", .keyword = "K2", .clicks = 1, .impressions = 50, .cost_micros = 250'000}),
        Traffic({.id = "t3",
                 .window = "2025-06-01T20:00:00-07:00",
                 .clicks = 3,
                 .impressions = 30,
                 .cost_micros = 2'000'000}),
        Traffic({.id = "t4",
                 .campaign = "C2",
                 .window = "2025-06-02T08:00:00-07:00",
                 .clicks = 5,
                 .impressions = 500,
                 .cost_micros = 4'000'000}),
        Traffic({.id = "t5",
                 .advertiser = "A2",
                 .campaign = "C9",
                 .window = "2025-06-02T00:00:00+01:00",
                 .clicks = 7,
                 .impressions = 70,
                 .cost_micros = 7'000'000,
                 .currency = "EUR"}),
        Conversion({.id = "c1",
                    .metrics = {{"attributed_conversions_1d", 1},
                                {"attributed_sales_1d", 19'990'000},
                                {"attributed_conversions_7d", 2},
                                {"attributed_sales_7d", 39'980'000},
                                {"attributed_conversions_14d", 3},
                                {"attributed_sales_14d", 59'970'000}}}),
        Conversion(
            {.id = "c2",
             .campaign = "C2",
             .window = "2025-06-03T09:00:00-07:00",
             .metrics = {{"attributed_conversions_7d", 1}, {"attributed_sales_7d", 5'000'000}}}),
    });
  }
};

TEST_P(StoreReportTest, SumsTrafficAndConversionsPerLocalDay) {
  WriteReportData();
  EXPECT_EQ(Report({}),
            "2025-06-01|A1|C1|USD|180|6|3750000|2|39980000\n"
            "2025-06-02|A1|C2|USD|500|5|4000000|0|0\n"
            "2025-06-02|A2|C9|EUR|70|7|7000000|0|0\n"
            "2025-06-03|A1|C2|USD|0|0|0|1|5000000\n");
}

TEST_P(StoreReportTest, FiltersByAdvertiserCampaignAndLocalDays) {
  WriteReportData();
  EXPECT_EQ(Report({.advertiser_id = "A2"}), "2025-06-02|A2|C9|EUR|70|7|7000000|0|0\n");
  EXPECT_EQ(Report({.campaign_id = "C2"}),
            "2025-06-02|A1|C2|USD|500|5|4000000|0|0\n"
            "2025-06-03|A1|C2|USD|0|0|0|1|5000000\n");
  EXPECT_EQ(Report({.from_days = Day("2025-06-02"), .to_days = Day("2025-06-02")}),
            "2025-06-02|A1|C2|USD|500|5|4000000|0|0\n"
            "2025-06-02|A2|C9|EUR|70|7|7000000|0|0\n");
  EXPECT_EQ(Report({.from_days = Day("2025-06-03")}), "2025-06-03|A1|C2|USD|0|0|0|1|5000000\n");
  EXPECT_EQ(Report({.to_days = Day("2025-05-31")}), "");
}

TEST_P(StoreReportTest, GroupsByLocalHourAndUsesTheChosenAttributionWindow) {
  WriteReportData();
  EXPECT_EQ(Report({.by_hour = true, .advertiser_id = "A1", .campaign_id = "C1"}),
            "2025-06-01T10:00|A1|C1|USD|150|3|1750000|2|39980000\n"
            "2025-06-01T20:00|A1|C1|USD|30|3|2000000|0|0\n");
  EXPECT_EQ(Report({.campaign_id = "C1", .attribution_window = "14d"}),
            "2025-06-01|A1|C1|USD|180|6|3750000|3|59970000\n");
  EXPECT_EQ(Report({.campaign_id = "C1", .attribution_window = "1d"}),
            "2025-06-01|A1|C1|USD|180|6|3750000|1|19990000\n");
}

TEST_P(StoreReportTest, RejectsAnUnknownAttributionWindow) {
  ReportQuery query;
  query.attribution_window = "3d";
  Result<std::vector<ReportRow>> rows = store_->Report(query);
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), Code::kInvalid);
}

TEST_P(StoreReportTest, ADstFallBackDayHasBothOneOClockHoursUnderOneLocalLabel) {
  MustWrite({Traffic({.id = "edt", .window = "2025-11-02T01:00:00-04:00", .clicks = 3}),
             Traffic({.id = "est", .window = "2025-11-02T01:00:00-05:00", .clicks = 4})});
  EXPECT_EQ(Report({}), "2025-11-02|A1|C1|USD|0|7|0|0|0\n");
  EXPECT_EQ(Report({.by_hour = true}), "2025-11-02T01:00|A1|C1|USD|0|7|0|0|0\n");
}

TEST_P(StoreReportTest, ARefusedValueFailsTheBatchAsInvalidAndAppliesNothing) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  MustWrite({Traffic({.id = "big", .clicks = kMax})});

  Result<WriteStats> refused =
      store_->Write(std::vector<ams::Message>{Traffic({.id = "ok", .keyword = "K2", .clicks = 1}),
                                              Traffic({.id = "overflow", .clicks = 1})});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kInvalid) << refused.status().ToString();
  if (postgres()) {
    EXPECT_NE(refused.status().message().find("sqlstate=22003"), std::string::npos)
        << refused.status().message();
  }
  EXPECT_EQ(TrafficRows(), fmt::format("K1|2025-06-01T17:00:00Z|{}|0|0", kMax));

  // Nothing of the failed batch reached the ledger: the good record still counts.
  EXPECT_EQ(MustWrite({Traffic({.id = "ok", .keyword = "K2", .clicks = 1})}).records_stored, 1);
}

TEST_P(StoreReportTest, ReplicasWritingOverlappingBatchesInOppositeOrdersCountEachIdOnce) {
  constexpr int kShared = 1000;
  constexpr int kOwn = 500;
  constexpr int kBatch = 100;
  constexpr int kKeywords = 20;
  // Thread 0 walks the shared ids upwards, thread 1 downwards; both then add their own.
  auto ids_for = [&](int thread) {
    std::vector<std::string> ids;
    for (int i = 0; i < kShared; ++i) {
      ids.push_back(fmt::format("shared-{:04d}", thread == 0 ? i : kShared - 1 - i));
    }
    for (int i = 0; i < kOwn; ++i) {
      ids.push_back(fmt::format("own{}-{:04d}", thread, i));
    }
    return ids;
  };
  auto message_for = [&](const std::string& id) {
    int n = std::stoi(id.substr(id.size() - 4));
    return Traffic({.id = id,
                    .keyword = fmt::format("K{:02d}", n % kKeywords),
                    .clicks = 1,
                    .impressions = n});
  };

  std::unique_ptr<Store> replicas[2] = {OpenAnother(), OpenAnother()};
  WriteStats totals[2];
  std::string failures[2];
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::string> ids = ids_for(t);
      for (size_t start = 0; start < ids.size(); start += kBatch) {
        std::vector<ams::Message> batch;
        for (size_t i = start; i < start + kBatch; ++i) {
          batch.push_back(message_for(ids[i]));
        }
        Result<WriteStats> written = replicas[t]->Write(batch);
        if (!written.ok()) {
          failures[t] += written.status().ToString() + "\n";
          continue;
        }
        totals[t] += *written;
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(failures[0] + failures[1], "");
  EXPECT_EQ(totals[0].records_stored + totals[1].records_stored, kShared + 2 * kOwn);
  EXPECT_EQ(totals[0].duplicates + totals[1].duplicates, kShared);

  // Every id counted once: clicks are the number of ids, impressions the sum of their n.
  int64_t expected_impressions = int64_t{kShared} * (kShared - 1) / 2 + 2 * (kOwn * (kOwn - 1) / 2);
  EXPECT_EQ(Sql("SELECT count(*), sum(clicks), sum(impressions) FROM sp_traffic_hourly"),
            fmt::format("{}|{}|{}", kKeywords, kShared + 2 * kOwn, expected_impressions));
}

TEST_P(StoreReportTest, PostgresReconnectsAfterTheServerRestarts) {
  if (!postgres()) {
    GTEST_SKIP() << "PostgreSQL only";
  }
  auto& cluster = amstream::testing::PgCluster::Shared();
  MustWrite({Traffic({.id = "before", .clicks = 1})});

  // Restarted between two writes: the stale session is replaced without an error.
  cluster.Stop();
  cluster.Start();
  MustWrite({Traffic({.id = "after-restart", .clicks = 1})});

  // Down during a write: a retryable failure, then the next write reconnects.
  cluster.Stop();
  Result<WriteStats> down = store_->Write(std::vector<ams::Message>{Traffic({.id = "x"})});
  cluster.Start();
  ASSERT_FALSE(down.ok());
  EXPECT_TRUE(IsRetryable(down.status().code())) << down.status().ToString();
  EXPECT_EQ(MustWrite({Traffic({.id = "x", .clicks = 1})}).records_stored, 1);
  EXPECT_EQ(Sql("SELECT sum(clicks) FROM sp_traffic_hourly"), "3");
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreReportTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

}  // namespace
}  // namespace amstream::store::testing
