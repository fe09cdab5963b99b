#include "report/format.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "json/json.h"

namespace amstream::report {
namespace {

store::ReportRow Row(std::string bucket, std::string advertiser, std::string campaign,
                     std::string currency, int64_t impressions, int64_t clicks, int64_t cost_micros,
                     int64_t conversions, int64_t sales_micros) {
  return {std::move(bucket),   std::move(advertiser), std::move(campaign),
          std::move(currency), impressions,           clicks,
          cost_micros,         conversions,           sales_micros};
}

// Covers ordinary rows, every undefined ratio, a negative correction, an exact half cent,
// a value that needs CSV quoting, large sums and two currencies.
std::vector<store::ReportRow> SampleRows() {
  return {
      Row("2025-06-01", "A1B2C3D4E5F6G7", "301234567890123", "USD", 624, 7, 6'770'000, 1,
          24'990'000),
      Row("2025-06-01", "A1B2C3D4E5F6G7", "301234567890124", "USD", 57, 0, 0, 0, 0),
      Row("2025-06-01", "A1B2C3D4E5F6G7", "301234567890125", "USD", 1200, 3, 1'005'000, 0, 0),
      Row("2025-06-02", "A1B2C3D4E5F6G7", "301234567890123", "USD", 0, -1, -970'000, -1,
          -24'990'000),
      Row("2025-06-02", "AEU, \"Berlin\"", "309999999999999", "EUR", 1'234'567, 8'901,
          9'876'543'210, 321, 45'678'901'230),
  };
}

std::filesystem::path GoldenPath(const std::string& name) {
  return std::filesystem::path(AMSTREAM_SOURCE_DIR) / "tests" / "golden" / name;
}

// Compares byte for byte; AMSTREAM_UPDATE_GOLDEN=1 rewrites the file instead.
void ExpectGolden(const std::string& name, const std::string& actual) {
  const char* update = std::getenv("AMSTREAM_UPDATE_GOLDEN");
  if (update != nullptr && std::string_view(update) == "1") {
    std::filesystem::create_directories(GoldenPath(name).parent_path());
    std::ofstream(GoldenPath(name), std::ios::binary) << actual;
    return;
  }
  std::ifstream in(GoldenPath(name), std::ios::binary);
  ASSERT_TRUE(in.good()) << GoldenPath(name) << " is missing; run with AMSTREAM_UPDATE_GOLDEN=1";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str())
      << name << " differs; if the change is intended, run with AMSTREAM_UPDATE_GOLDEN=1";
}

TEST(ReportFormatTest, TableMatchesGolden) {
  ExpectGolden("report_table.txt", RenderTable(SampleRows(), Layout()));
}

TEST(ReportFormatTest, CsvMatchesGolden) {
  ExpectGolden("report.csv", RenderCsv(SampleRows(), Layout()));
}

TEST(ReportFormatTest, JsonMatchesGolden) {
  ExpectGolden("report.json", RenderJson(SampleRows(), Layout()));
}

TEST(ReportRatiosTest, ComputesExactlyWithHalfAwayFromZeroRounding) {
  Ratios r = ComputeRatios(SampleRows()[0]);
  EXPECT_EQ(r.ctr_percent_micros, 1'121'795);  // 7 / 624 = 1.1217948…%
  EXPECT_EQ(r.cpc_micros, 967'143);            // 6.77 / 7 = 0.9671428…
  EXPECT_EQ(r.acos_percent_micros, 27'090'836);
  EXPECT_EQ(r.roas_micros, 3'691'285);

  Ratios half = ComputeRatios(Row("d", "a", "c", "USD", 0, 2, 1'000'001, 0, 0));
  EXPECT_EQ(half.cpc_micros, 500'001);  // 500000.5 rounds away from zero
  Ratios negative = ComputeRatios(Row("d", "a", "c", "USD", 0, -2, 1'000'001, 0, 0));
  EXPECT_EQ(negative.cpc_micros, -500'001);
}

TEST(ReportRatiosTest, ZeroDenominatorsAndOverflowAreUndefined) {
  Ratios zero = ComputeRatios(SampleRows()[1]);
  EXPECT_EQ(zero.ctr_percent_micros, 0);
  EXPECT_FALSE(zero.cpc_micros);
  EXPECT_FALSE(zero.acos_percent_micros);
  EXPECT_FALSE(zero.roas_micros);

  int64_t max = std::numeric_limits<int64_t>::max();
  Ratios huge = ComputeRatios(Row("d", "a", "c", "USD", 1, max, max, 0, 1));
  EXPECT_FALSE(huge.ctr_percent_micros);
  EXPECT_EQ(huge.cpc_micros, 1);
  EXPECT_FALSE(huge.acos_percent_micros);
  EXPECT_EQ(huge.roas_micros, 0);
}

TEST(ReportFormatTest, JsonIsValidWithNullsAndExactNumbers) {
  std::string text = RenderJson(SampleRows(), Layout());
  json::Parser parser;
  Result<json::Value> root = parser.Parse(text);
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  std::vector<json::Value> rows;
  ASSERT_TRUE(root->ForEachElement([&rows](const json::Value& row) {
                    rows.push_back(row);
                    return Status::Ok();
                  })
                  .ok());
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_TRUE(rows[1].Find("cpc")->is_null());
  EXPECT_TRUE(rows[1].Find("roas")->is_null());
  EXPECT_EQ(*rows[0].Find("impressions")->GetInt64(), 624);
  EXPECT_EQ(*rows[4].Find("advertiser_id")->GetString(), "AEU, \"Berlin\"");
  EXPECT_NE(text.find("\"cost\":6.77,"), std::string::npos);
  EXPECT_NE(text.find("\"sales\":45678.90123,"), std::string::npos);
}

TEST(ReportFormatTest, CsvQuotesOnlyWhatRfc4180Requires) {
  std::string csv = RenderCsv(SampleRows(), Layout());
  EXPECT_NE(csv.find(",\"AEU, \"\"Berlin\"\"\",309999999999999,EUR,"), std::string::npos);
  EXPECT_NE(csv.find("\r\n2025-06-01,A1B2C3D4E5F6G7,"), std::string::npos);
  EXPECT_TRUE(csv.starts_with("date,advertiser_id,campaign_id,currency,impressions,clicks,"));
  EXPECT_EQ(csv.find('%'), std::string::npos);
}

TEST(ReportFormatTest, TableTotalsEachCurrencySeparately) {
  std::string table = RenderTable(SampleRows(), Layout());
  EXPECT_NE(table.find("total"), std::string::npos);
  // USD: 6.77 + 0 + 1.005 - 0.97 = 6.805, shown rounded half away from zero.
  EXPECT_NE(table.find("6.81"), std::string::npos) << table;
  EXPECT_NE(table.find("9876.54"), std::string::npos) << table;
  EXPECT_NE(table.find("7d attribution window"), std::string::npos);
}

TEST(ReportFormatTest, HourlyReportsNameTheFirstColumnHour) {
  Layout layout;
  layout.by_hour = true;
  layout.attribution_window = "14d";
  std::vector<store::ReportRow> rows = {Row("2025-06-01T10:00", "A", "3", "USD", 1, 1, 1, 1, 1)};
  EXPECT_TRUE(RenderTable(rows, layout).starts_with("hour "));
  EXPECT_TRUE(RenderCsv(rows, layout).starts_with("hour,"));
  EXPECT_TRUE(RenderJson(rows, layout).starts_with("[\n  {\"hour\":\"2025-06-01T10:00\""));
  EXPECT_NE(RenderCsv(rows, layout).find(",14d\r\n"), std::string::npos);
}

TEST(ReportFormatTest, TableNeutralizesControlCharacters) {
  std::vector<store::ReportRow> rows = {
      Row("2025-06-01", "A\x1b[2J", "3\n4", "USD", 1, 0, 0, 0, 0)};
  std::string table = RenderTable(rows, Layout());
  EXPECT_EQ(table.find('\x1b'), std::string::npos);
  EXPECT_NE(table.find("A?[2J"), std::string::npos);
  EXPECT_NE(table.find("3?4"), std::string::npos);
}

TEST(ReportFormatTest, EmptyReports) {
  EXPECT_EQ(RenderJson({}, Layout()), "[]\n");
  EXPECT_EQ(RenderCsv({}, Layout()),
            "date,advertiser_id,campaign_id,currency,impressions,clicks,cost,ctr,cpc,"
            "conversions,sales,acos,roas,attribution_window\r\n");
  EXPECT_NE(RenderTable({}, Layout()).find("(no rows)"), std::string::npos);
}

TEST(ReportFormatTest, ParsesFormatNames) {
  EXPECT_EQ(*ParseFormat("table"), Format::kTable);
  EXPECT_EQ(*ParseFormat("csv"), Format::kCsv);
  EXPECT_EQ(*ParseFormat("json"), Format::kJson);
  EXPECT_EQ(ParseFormat("xml").status().code(), Code::kInvalid);
  EXPECT_EQ(Render(Format::kCsv, SampleRows(), Layout()), RenderCsv(SampleRows(), Layout()));
}

}  // namespace
}  // namespace amstream::report
