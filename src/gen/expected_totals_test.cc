#include "gen/expected_totals.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gen/generator.h"

namespace amstream::gen {
namespace {

ExpectedTotals Sample() {
  ExpectedTotals totals;
  totals.counts = {10, 7, 1, 1, 1, 2};
  totals.AddTraffic({"A1B2C3D4E5F6G7", "2025-06-01"}, 312, 4, 3'870'000);
  totals.AddTraffic({"A1B2C3D4E5F6G7", "2025-06-01"}, 0, -1, -970'000);
  std::array<int64_t, ams::kConversionMetricCount> metrics{};
  metrics[static_cast<size_t>(ams::ConversionMetricIndex("attributed_conversions_7d"))] = 2;
  metrics[static_cast<size_t>(ams::ConversionMetricIndex("attributed_sales_7d"))] = 49'980'000;
  metrics[static_cast<size_t>(ams::ConversionMetricIndex("attributed_sales_30d"))] =
      9'000'000'000'000'000;  // beyond what a double holds exactly
  totals.AddConversion({"B9", "2025-06-02"}, metrics);
  return totals;
}

TEST(ExpectedTotalsTest, SumsPerAdvertiserAndDay) {
  ExpectedTotals totals = Sample();
  EXPECT_EQ(totals.traffic.records, 2);
  EXPECT_EQ(totals.traffic.clicks, 3);
  EXPECT_EQ(totals.traffic.cost_micros, 2'900'000);
  ASSERT_EQ(totals.days.size(), 2u);
  DayTotals first = totals.days.at({"A1B2C3D4E5F6G7", "2025-06-01"});
  EXPECT_EQ(first.impressions, 312);
  EXPECT_EQ(first.cost_micros, 2'900'000);
  DayTotals second = totals.days.at({"B9", "2025-06-02"});
  EXPECT_EQ(second.conversions_7d, 2);
  EXPECT_EQ(second.sales_7d_micros, 49'980'000);
}

TEST(ExpectedTotalsTest, RoundTripsThroughJson) {
  ExpectedTotals totals = Sample();
  std::string json = totals.ToJson();
  Result<ExpectedTotals> back = ExpectedTotals::FromJson(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, totals);
  EXPECT_NE(json.find("\"attributed_sales_7d_micros\": 49980000"), std::string::npos) << json;
  EXPECT_NE(json.find("\"attributed_conversions_7d\": 2"), std::string::npos);
  EXPECT_TRUE(json.ends_with("}\n"));
}

TEST(ExpectedTotalsTest, EmptyTotalsRoundTrip) {
  ExpectedTotals empty;
  Result<ExpectedTotals> back = ExpectedTotals::FromJson(empty.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, empty);
}

TEST(ExpectedTotalsTest, RejectsMalformedDocuments) {
  std::string good = Sample().ToJson();
  std::string missing_field = good;
  missing_field.replace(missing_field.find("\"clicks\""), 8, "\"klicks\"");
  std::string wrong_type = good;
  wrong_type.replace(wrong_type.find("\"records\": 2"), 12, "\"records\": \"2\"");
  for (const std::string& text : {std::string("{"), std::string("[]"), missing_field, wrong_type}) {
    Result<ExpectedTotals> result = ExpectedTotals::FromJson(text);
    EXPECT_EQ(result.status().code(), Code::kInvalid) << text;
  }
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(GenerateToFilesTest, WritesBodiesAndReadableTotals) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("amstream_gen_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  Options options;
  options.messages = 200;
  ASSERT_TRUE(GenerateToFiles(options, dir / "bodies.jsonl", dir / "expected.json").ok());
  ASSERT_TRUE(GenerateToFiles(options, dir / "bodies.jsonl.gz", dir / "expected2.json").ok());

  std::string bodies = ReadAll(dir / "bodies.jsonl");
  EXPECT_EQ(std::count(bodies.begin(), bodies.end(), '\n'), 200);
  std::string gz = ReadAll(dir / "bodies.jsonl.gz");
  ASSERT_GE(gz.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
  EXPECT_FALSE(std::filesystem::exists(dir / "bodies.jsonl.tmp"));

  Result<ExpectedTotals> totals = ExpectedTotals::FromJson(ReadAll(dir / "expected.json"));
  ASSERT_TRUE(totals.ok()) << totals.status().ToString();
  EXPECT_EQ(totals->counts.bodies, 200);
  EXPECT_EQ(ReadAll(dir / "expected.json"), ReadAll(dir / "expected2.json"));

  // Missing directories are created, but not below a regular file.
  Status unwritable = GenerateToFiles(
      options, (dir / "expected.json" / "sub" / "dir.jsonl").string(), (dir / "x.json").string());
  EXPECT_EQ(unwritable.code(), Code::kUnavailable);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace amstream::gen
