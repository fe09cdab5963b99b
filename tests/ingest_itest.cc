// `amstream ingest` and `amstream report` end to end: the real binary on files, against
// SQLite and PostgreSQL with the same cases and the same expected values.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "gen/expected_totals.h"
#include "harness/process.h"
#include "harness/servers.h"
#include "json/json.h"
#include "run_support.h"

namespace amstream::testing {
namespace {

namespace fs = std::filesystem;

enum class Backend { kSqlite, kPostgres };

std::string Testdata(std::string_view name) {
  return std::string(AMSTREAM_TESTDATA) + "/ams/" + std::string(name);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every fixture that holds message bodies (the *.expected.json files describe results).
std::vector<std::string> FixtureBodies() {
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(std::string(AMSTREAM_TESTDATA) + "/ams")) {
    std::string name = entry.path().filename().string();
    if (!name.ends_with(".expected.json")) {
      paths.push_back(entry.path().string());
    }
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

class IngestTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = MakeTempDir("ingest");
    if (GetParam() == Backend::kSqlite) {
      database_ = dir_ + "/amstream.db";
    } else {
      database_ = PgCluster::Shared().CreateDatabase("ingest_" + std::to_string(++counter));
    }
  }

  bool postgres() const { return GetParam() == Backend::kPostgres; }

  ProcessResult Amstream(std::vector<std::string> args, const std::string& stdin_text = "") {
    args.insert(args.begin(), {AmstreamBinary(), "--database", database_});
    RunOptions options;
    options.stdin_text = stdin_text;
    options.cwd = dir_;
    options.timeout = std::chrono::minutes(5);
    Result<ProcessResult> result = RunCommand(args, options);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? *result : ProcessResult{};
  }

  // Rows end with '\n', fields are separated by '|'.
  std::string Sql(std::string_view pg, std::string_view sqlite) const {
    std::string text = postgres() ? Psql(database_, pg) : SqliteQuery(database_, sqlite);
    if (!text.empty() && text.back() != '\n') {
      text.push_back('\n');
    }
    return text;
  }
  std::string Sql(std::string_view both) const { return Sql(both, both); }

  std::string TrafficRows() const {
    return Sql(
        "SELECT keyword_id, placement, to_char(time_window_start AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), clicks, impressions, cost::numeric(20,2) "
        "FROM sp_traffic_hourly ORDER BY keyword_id",
        "SELECT keyword_id, placement, time_window_start, clicks, impressions, "
        "printf('%.2f', cost_micros / 1e6) FROM sp_traffic_hourly ORDER BY keyword_id");
  }

  std::string dir_;
  std::string database_;
};

TEST_P(IngestTest, EveryFixtureGivesTheExpectedRowsAndASecondIngestChangesNothing) {
  std::vector<std::string> args = {"ingest"};
  std::vector<std::string> fixtures = FixtureBodies();
  args.insert(args.end(), fixtures.begin(), fixtures.end());
  ProcessResult first = Amstream(args);
  EXPECT_EQ(first.exit_code, 0) << first.out << first.err;

  // As sp-traffic-additive.expected.json (a restatement counts, a duplicate does not, a
  // negative correction subtracts; the envelope fixture repeats record A's id), plus line 3
  // of malformed-bodies.txt: a valid record of the first key with an unknown field, which
  // is stored (1 click, 10 impressions, 0.50), since AMS adds fields without notice.
  const std::string traffic =
      "601234567890123|Top of Search on-Amazon|2025-06-01T17:00:00Z|8|634|7.27\n"
      "701234567890555|Detail Page on-Amazon|2025-06-01T16:00:00Z|0|57|0.00\n";
  EXPECT_EQ(TrafficRows(), traffic);
  // As blog-format.expected.json.
  const std::string blog =
      "3412345678901234|301234567890123|2025-06-01|1350|34|30.02|149.85\n"
      "3412345678901234|301234567890124|2025-06-01|560|9|6.10|0.00\n";
  EXPECT_EQ(Sql("SELECT profile_id, campaign_id, date, impressions, clicks, "
                "cost::numeric(20,2), sales::numeric(20,2) FROM campaign_performance "
                "ORDER BY campaign_id",
                "SELECT profile_id, campaign_id, date, impressions, clicks, "
                "printf('%.2f', cost_micros / 1e6), printf('%.2f', sales_micros / 1e6) "
                "FROM campaign_performance ORDER BY campaign_id"),
            blog);
  // The revision cancels the 7-, 14- and 30-day conversion but not the 1-day one.
  EXPECT_EQ(Sql("SELECT sum(attributed_conversions_1d), sum(attributed_conversions_7d), "
                "sum(attributed_sales_1d)::numeric(20,2), sum(attributed_sales_30d)::numeric(20,2) "
                "FROM sp_conversion_hourly",
                "SELECT sum(attributed_conversions_1d), sum(attributed_conversions_7d), "
                "printf('%.2f', sum(attributed_sales_1d_micros) / 1e6), "
                "printf('%.2f', sum(attributed_sales_30d_micros) / 1e6) "
                "FROM sp_conversion_hourly"),
            "1|0|24.99|0.00\n");
  // Unsupported datasets (budget-usage, campaigns, sd- and sb-traffic) and the three
  // malformed bodies are kept with a reason; budget-usage.jsonl repeats one body, which is
  // kept once. The two confirmations share one SNS MessageId, so the first is the one kept.
  EXPECT_EQ(Sql("SELECT count(*) FROM quarantine WHERE reason <> '' AND body <> ''"), "9\n");
  EXPECT_EQ(Sql("SELECT count(*) FROM quarantine WHERE reason LIKE '%not stored%'"), "6\n");
  std::string quarantined = Sql("SELECT count(*) FROM quarantine");
  EXPECT_EQ(Sql("SELECT count(*) FROM subscription_confirmations"), "1\n");
  EXPECT_NE(first.out.find("quarantined:"), std::string::npos) << first.out;

  ProcessResult second = Amstream(args);
  EXPECT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_NE(second.out.find("records stored:      0\n"), std::string::npos) << second.out;
  EXPECT_EQ(TrafficRows(), traffic);
  EXPECT_EQ(Sql("SELECT count(*) FROM quarantine"), quarantined);
  EXPECT_EQ(Sql("SELECT count(*) FROM subscription_confirmations"), "1\n");
}

TEST_P(IngestTest, AGeneratedArchiveMatchesTheGeneratorsTotalsInViewsAndReport) {
  ProcessResult generated =
      Amstream({"generate", "--messages", "3000", "--duplicate-rate", "0.2", "--restatement-rate",
                "0.1", "--correction-rate", "0.05", "--envelope-rate", "0.3", "--out",
                "archive/part-1.jsonl.gz", "--expected", "expected.json"});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  Result<gen::ExpectedTotals> expected =
      gen::ExpectedTotals::FromJson(ReadFile(dir_ + "/expected.json"));
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();

  ProcessResult ingested = Amstream({"ingest", "archive"});
  ASSERT_EQ(ingested.exit_code, 0) << ingested.out << ingested.err;
  EXPECT_EQ(Sql("SELECT sum(clicks), sum(impressions) FROM sp_traffic_hourly"),
            std::to_string(expected->traffic.clicks) + "|" +
                std::to_string(expected->traffic.impressions) + "\n");
  EXPECT_EQ(Sql("SELECT (sum(cost) * 1000000)::bigint FROM sp_traffic_hourly",
                "SELECT sum(cost_micros) FROM sp_traffic_hourly"),
            std::to_string(expected->traffic.cost_micros) + "\n");

  // The report's JSON, summed per advertiser and local day, is the generator's.
  ProcessResult report = Amstream({"report", "--format", "json"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  json::Parser parser;
  Result<json::Value> rows = parser.Parse(report.out);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  std::map<gen::DayKey, gen::DayTotals> days;
  Status walked = rows->ForEachElement([&](const json::Value& row) -> Status {
    auto text = [&](std::string_view name) {
      std::optional<json::Value> field = row.Find(name);
      Result<std::string_view> value = field ? field->GetString() : Result<std::string_view>("");
      return std::string(value.ok() ? *value : "");
    };
    auto integer = [&](std::string_view name) {
      std::optional<json::Value> field = row.Find(name);
      Result<int64_t> value = field ? field->GetInt64() : Result<int64_t>(0);
      return value.ok() ? *value : 0;
    };
    // Cents in the report, micros in the generator: money is compared to the cent.
    auto cents = [&](std::string_view name) {
      std::optional<json::Value> field = row.Find(name);
      if (!field) {
        return int64_t{0};
      }
      Result<double> value = field->GetDouble();
      if (!value.ok()) {
        Result<int64_t> whole = field->GetInt64();
        return whole.ok() ? *whole * 100 : 0;
      }
      return static_cast<int64_t>(std::llround(*value * 100));
    };
    gen::DayTotals& day = days[{text("advertiser_id"), text("date")}];
    day.impressions += integer("impressions");
    day.clicks += integer("clicks");
    day.cost_micros += cents("cost");
    day.conversions_7d += integer("conversions");
    day.sales_7d_micros += cents("sales");
    return Status::Ok();
  });
  ASSERT_TRUE(walked.ok()) << walked.ToString();
  ASSERT_EQ(days.size(), expected->days.size());
  for (const auto& [key, want] : expected->days) {
    const gen::DayTotals& got = days[key];
    SCOPED_TRACE(key.advertiser_id + " " + key.date);
    EXPECT_EQ(got.impressions, want.impressions);
    EXPECT_EQ(got.clicks, want.clicks);
    // Per campaign the report rounds to the cent; the generator's amounts are whole cents.
    EXPECT_EQ(got.cost_micros, want.cost_micros / 10'000);
    EXPECT_EQ(got.conversions_7d, want.conversions_7d);
    EXPECT_EQ(got.sales_7d_micros, want.sales_7d_micros / 10'000);
  }

  ProcessResult table = Amstream({"report", "--by", "hour"});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("hour"), std::string::npos) << table.out;
}

TEST_P(IngestTest, BadInputIsReportedClearlyAndTheGoodLinesAroundItAreKept) {
  std::vector<std::string> good = FixtureLines("sp-traffic-additive.jsonl");
  ASSERT_EQ(good.size(), 5u);
  fs::create_directories(dir_ + "/in");
  // An empty line between good ones.
  std::ofstream(dir_ + "/in/a.jsonl") << good[0] << "\n\n" << good[1] << "\n";
  // A binary file in the directory.
  std::ofstream(dir_ + "/in/b.bin", std::ios::binary) << std::string("\x00\x01\xff\xfe\n", 5);
  // A gzip file cut short: its complete lines are kept.
  std::string whole = dir_ + "/whole.jsonl";
  {
    std::ofstream out(whole);
    for (int i = 2; i < 5; ++i) out << good[static_cast<size_t>(i)] << "\n";
    // Incompressible padding so that cutting the tail loses only the last line.
    std::mt19937 random(7);
    out << "{\"pad\":\"";
    for (int i = 0; i < 4000; ++i) out << static_cast<char>('a' + random() % 26);
    out << "\"}\n";
  }
  ASSERT_EQ(RunOutput({"gzip", "-k", whole}).status().code(), Code::kOk);
  std::string gz = ReadFile(whole + ".gz");
  std::ofstream(dir_ + "/in/c.jsonl.gz", std::ios::binary) << gz.substr(0, gz.size() - 200);

  ProcessResult run = Amstream({"ingest", "in"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("empty lines skipped: 1"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("b.bin:1: binary data"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("c.jsonl.gz:4: truncated gzip data, incomplete last line dropped"),
            std::string::npos)
      << run.out;
  // The five traffic lines all arrived: the same rows as the fixture's expected ones.
  EXPECT_EQ(TrafficRows(),
            "601234567890123|Top of Search on-Amazon|2025-06-01T17:00:00Z|7|624|6.77\n"
            "701234567890555|Detail Page on-Amazon|2025-06-01T16:00:00Z|0|57|0.00\n");
}

TEST_P(IngestTest, AnOlderBlogSnapshotReadAgainDoesNotOverwriteANewerOne) {
  std::vector<std::string> events = FixtureLines("blog-format.jsonl");
  ASSERT_EQ(events.size(), 2u);
  // Archives written a day apart: the first holds the older snapshot.
  std::ofstream(dir_ + "/old.jsonl") << events[0] << "\n";
  std::ofstream(dir_ + "/new.jsonl") << events[1] << "\n";
  fs::last_write_time(dir_ + "/old.jsonl",
                      fs::file_time_type::clock::now() - std::chrono::hours(48));
  fs::last_write_time(dir_ + "/new.jsonl",
                      fs::file_time_type::clock::now() - std::chrono::hours(24));
  auto campaign = [&] {
    return Sql(
        "SELECT impressions FROM campaign_performance WHERE campaign_id = '301234567890123'");
  };
  ASSERT_EQ(Amstream({"ingest", "old.jsonl"}).exit_code, 0);
  EXPECT_EQ(campaign(), "1200\n");
  ASSERT_EQ(Amstream({"ingest", "new.jsonl"}).exit_code, 0);
  EXPECT_EQ(campaign(), "1350\n");
  ProcessResult again = Amstream({"ingest", "old.jsonl"});
  ASSERT_EQ(again.exit_code, 0);
  EXPECT_EQ(campaign(), "1350\n");
  // Its other campaign has no newer snapshot: rewriting it with the same values is harmless.
  EXPECT_NE(again.out.find("older snapshots ignored: 1)"), std::string::npos) << again.out;
}

TEST_P(IngestTest, ReadsStandardInputAndFailsClearlyOnAMissingPath) {
  std::string body = ReadFile(Testdata("envelope-notification-sp-traffic.json"));
  // One document per line on stdin: the pretty-printed envelope is compacted first.
  json::Parser parser;
  ASSERT_TRUE(parser.Parse(body).ok());
  std::string compact;
  for (char c : body) {
    if (c != '\n') compact.push_back(c);
  }
  ProcessResult piped = Amstream({"ingest", "-"}, compact + "\n");
  EXPECT_EQ(piped.exit_code, 0) << piped.out << piped.err;
  EXPECT_NE(piped.out.find("records stored:      1\n"), std::string::npos) << piped.out;

  ProcessResult missing = Amstream({"ingest", "no-such-file.jsonl"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err,
            "amstream: ingest: not-found: no-such-file.jsonl: no such file or directory\n");
}

INSTANTIATE_TEST_SUITE_P(Stores, IngestTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& param) {
                           return param.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace amstream::testing
