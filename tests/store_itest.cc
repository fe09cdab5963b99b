// The storage suite: what both stores must do with deltas, snapshots, quarantine and
// confirmations, checked with the same inputs and expected values on SQLite and
// PostgreSQL. Reports, refused values and concurrency are in store_report_itest.cc.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/money.h"
#include "json/json.h"
#include "store_fixture.h"

namespace amstream::store::testing {
namespace {

// expected.json's rows as TrafficRows() prints them.
std::string ExpectedTrafficRows(std::string_view file) {
  json::Parser parser;
  std::string text = TestdataFile(file);
  Result<json::Value> root = parser.Parse(text);
  EXPECT_TRUE(root.ok()) << file;
  std::string out;
  Status read = root->Find("rows")->ForEachElement([&](const json::Value& row) {
    Result<int64_t> cost = ParseMicros(*row.Find("cost")->GetString());
    out += fmt::format("{}|{}|{}|{}|{}\n", *row.Find("keyword_id")->GetString(),
                       *row.Find("time_window_start")->GetString(), *row.Find("clicks")->GetInt64(),
                       *row.Find("impressions")->GetInt64(), *cost);
    return Status::Ok();
  });
  EXPECT_TRUE(read.ok()) << read.ToString();
  if (!out.empty()) {
    out.pop_back();
  }
  return out;
}

TEST_P(StoreTest, SumsRestatementsAndCorrectionsAndCountsARedeliveredDeltaOnce) {
  // A, B (restatement: same metrics, new id), C (negative), A again, D; one per batch.
  std::vector<std::string> lines = TestdataLines("ams/sp-traffic-additive.jsonl");
  ASSERT_EQ(lines.size(), 5u);
  WriteStats total;
  for (size_t i = 0; i < lines.size(); ++i) {
    total += MustWrite({Classified(lines[i], "sqs-" + std::to_string(i))});
  }
  EXPECT_EQ(Describe(total), "stored=4 dup=1 blog=0 stale=0 quarantined=0 confirmations=0");
  EXPECT_EQ(TrafficRows(), ExpectedTrafficRows("ams/sp-traffic-additive.expected.json"));
}

TEST_P(StoreTest, CountsADuplicateWithinOneBatchOnce) {
  std::vector<ams::Message> batch;
  for (const std::string& line : TestdataLines("ams/sp-traffic-additive.jsonl")) {
    batch.push_back(Classified(line, "sqs-" + std::to_string(batch.size())));
  }
  WriteStats stats = MustWrite(std::move(batch));
  EXPECT_EQ(Describe(stats), "stored=4 dup=1 blog=0 stale=0 quarantined=0 confirmations=0");
  EXPECT_EQ(TrafficRows(), ExpectedTrafficRows("ams/sp-traffic-additive.expected.json"));
}

TEST_P(StoreTest, NegativeCorrectionsCanMakeAnHourNegative) {
  MustWrite({Traffic({.id = "t1", .clicks = 2, .impressions = 10, .cost_micros = 1'000'000})});
  MustWrite({Traffic({.id = "t2", .clicks = -5, .impressions = -10, .cost_micros = -3'500'000})});
  EXPECT_EQ(TrafficRows(), "K1|2025-06-01T17:00:00Z|-3|0|-2500000");
}

TEST_P(StoreTest, KeepsTheLatestNonEmptyMatchTypeAndOffset) {
  MustWrite({Traffic({.id = "t1", .clicks = 1, .match_type = "EXACT"}),
             Traffic({.id = "t2", .clicks = 1, .match_type = ""})});
  EXPECT_EQ(Sql("SELECT match_type, clicks FROM sp_traffic_hourly"), "EXACT|2");
  MustWrite({Traffic({.id = "t3", .clicks = 1, .match_type = "PHRASE"})});
  EXPECT_EQ(Sql("SELECT match_type, utc_offset_minutes, clicks FROM sp_traffic_hourly"),
            "PHRASE|-420|3");
}

TEST_P(StoreTest, ViewsShowAbsentKeyFieldsAsNull) {
  MustWrite({Traffic({.id = "t1", .keyword = "", .clicks = 1, .match_type = ""})});
  EXPECT_EQ(Sql("SELECT keyword_id IS NULL, keyword_text IS NULL, match_type IS NULL, "
                "campaign_id FROM sp_traffic_hourly",
                "SELECT keyword_id IS NULL, keyword_text IS NULL, match_type IS NULL, "
                "campaign_id FROM sp_traffic_hourly"),
            postgres() ? "t|t|t|C1" : "1|1|1|C1");
}

TEST_P(StoreTest, KeepsTheTwoOneOClockHoursOfADstFallBackApart) {
  MustWrite({Traffic({.id = "edt", .window = "2025-11-02T01:00:00-04:00", .clicks = 3}),
             Traffic({.id = "est", .window = "2025-11-02T01:00:00-05:00", .clicks = 4})});
  EXPECT_EQ(TrafficRows(), "K1|2025-11-02T05:00:00Z|3|0|0\nK1|2025-11-02T06:00:00Z|4|0|0");
  EXPECT_EQ(Sql("SELECT utc_offset_minutes FROM sp_traffic_hourly ORDER BY time_window_start"),
            "-240\n-300");
}

TEST_P(StoreTest, AppliesANegativeConversionRevisionPerWindow) {
  std::vector<ams::Message> batch;
  for (const std::string& line : TestdataLines("ams/sp-conversion-with-revision.jsonl")) {
    batch.push_back(Classified(line, "sqs-" + std::to_string(batch.size())));
  }
  EXPECT_EQ(Describe(MustWrite(std::move(batch))),
            "stored=2 dup=0 blog=0 stale=0 quarantined=0 confirmations=0");
  EXPECT_EQ(Sql("SELECT attributed_conversions_1d, (attributed_sales_1d * 1000000)::bigint, "
                "attributed_conversions_7d, (attributed_sales_7d * 1000000)::bigint, "
                "attributed_units_ordered_30d_same_sku FROM sp_conversion_hourly",
                "SELECT attributed_conversions_1d, attributed_sales_1d_micros, "
                "attributed_conversions_7d, attributed_sales_7d_micros, "
                "attributed_units_ordered_30d_same_sku FROM sp_conversion_hourly"),
            "1|24990000|0|0|0");
}

TEST_P(StoreTest, BlogNewerSnapshotWinsAndAnOlderOneArrivingLateChangesNothing) {
  std::vector<std::string> lines = TestdataLines("ams/blog-format.jsonl");
  ASSERT_EQ(lines.size(), 2u);
  constexpr int64_t kFirstMs = 1'748'800'000'000;
  // The second (newer) event arrives first; the first one, sent a minute earlier, late.
  EXPECT_EQ(Describe(MustWrite({Classified(lines[1], "sqs-1", kFirstMs + 60'000)})),
            "stored=0 dup=0 blog=1 stale=0 quarantined=0 confirmations=0");
  EXPECT_EQ(Describe(MustWrite({Classified(lines[0], "sqs-0", kFirstMs)})),
            "stored=0 dup=0 blog=1 stale=1 quarantined=0 confirmations=0");
  // A redelivery of the older event still loses where the newer one is stored, and
  // rewrites its own row (equal time) with the same values.
  EXPECT_EQ(Describe(MustWrite({Classified(lines[0], "sqs-0", kFirstMs)})),
            "stored=0 dup=0 blog=1 stale=1 quarantined=0 confirmations=0");

  // blog-format.expected.json
  std::string expected =
      "3412345678901234|301234567890123|2025-06-01|1350|34|30.02|149.85\n"
      "3412345678901234|301234567890124|2025-06-01|560|9|6.10|0.00";
  std::string rows =
      Sql("SELECT profile_id, campaign_id, date, impressions, clicks, cost::numeric(20,2), "
          "sales::numeric(20,2) FROM campaign_performance ORDER BY campaign_id",
          "SELECT profile_id, campaign_id, date, impressions, clicks, printf('%.2f', cost), "
          "printf('%.2f', sales) FROM campaign_performance ORDER BY campaign_id");
  EXPECT_EQ(rows, expected);
}

TEST_P(StoreTest, BlogSnapshotWithAnEqualTimestampReplacesTheStoredOne) {
  std::string body =
      R"({"datasetType":"campaign-daily","profileId":"P1","date":"2025-06-01",)"
      R"("records":[{"campaignId":"C1","impressions":1,"clicks":1,"cost":1,"attributedSales":1}]})";
  std::string corrected = body;
  corrected.replace(corrected.find("\"impressions\":1"), 15, "\"impressions\":9");
  MustWrite({Classified(body, "sqs-0", 1000)});
  EXPECT_EQ(Describe(MustWrite({Classified(corrected, "sqs-1", 1000)})),
            "stored=0 dup=0 blog=1 stale=0 quarantined=0 confirmations=0");
  EXPECT_EQ(Sql("SELECT impressions FROM campaign_performance"), "9");
}

TEST_P(StoreTest, BlogRowsOfOneKeyInOneBatchMergeToTheNewest) {
  std::string body =
      R"({"datasetType":"campaign-daily","profileId":"P1","date":"2025-06-01",)"
      R"("records":[{"campaignId":"C1","impressions":IMPR,"clicks":0,"cost":0,"attributedSales":0}]})";
  auto with = [&](std::string_view impressions) {
    std::string out = body;
    out.replace(out.find("IMPR"), 4, impressions);
    return out;
  };
  WriteStats stats =
      MustWrite({Classified(with("200"), "sqs-new", 2000), Classified(with("100"), "sqs-old", 1000),
                 Classified(with("300"), "sqs-tie", 2000)});
  EXPECT_EQ(Describe(stats), "stored=0 dup=0 blog=1 stale=2 quarantined=0 confirmations=0");
  EXPECT_EQ(Sql("SELECT impressions FROM campaign_performance"), "300");
}

TEST_P(StoreTest, QuarantinesARedeliveredMessageOnce) {
  EXPECT_EQ(Describe(MustWrite({QuarantinedMessage("sqs-q", "not json at all"),
                                QuarantinedMessage("sqs-q", "not json at all")})),
            "stored=0 dup=0 blog=0 stale=0 quarantined=1 confirmations=0");
  EXPECT_EQ(MustWrite({QuarantinedMessage("sqs-q", "not json at all")}).quarantined, 0);
  EXPECT_EQ(Sql("SELECT message_id, reason, body, sns_message_id IS NULL FROM quarantine"),
            postgres() ? "sqs-q|not json|not json at all|t" : "sqs-q|not json|not json at all|1");
}

TEST_P(StoreTest, StoresBodiesWithTabsNewlinesAndBackslashesExactly) {
  std::string body = "line 1\n\tline 2 \\ \r\n\u00e9";
  MustWrite({QuarantinedMessage("sqs-odd", body)});
  EXPECT_EQ(Sql("SELECT body = E'line 1\\n\\tline 2 \\\\ \\r\\n\u00e9' FROM quarantine",
                "SELECT body = 'line 1' || char(10, 9) || 'line 2 \\ ' || char(13, 10) || "
                "'\u00e9' FROM quarantine"),
            postgres() ? "t" : "1");
}

TEST_P(StoreTest, StoresASubscriptionConfirmationOnce) {
  std::string body = TestdataFile("ams/subscription-confirmation.json");
  ams::Message message = Classified(body, "sqs-c1");
  ASSERT_TRUE(std::holds_alternative<ams::Confirmation>(message.content));
  EXPECT_EQ(MustWrite({message}).confirmations, 1);
  EXPECT_EQ(MustWrite({Classified(body, "sqs-c2")}).confirmations, 0);
  EXPECT_EQ(Sql("SELECT message_id, type, topic_arn, confirmed_at IS NULL, "
                "to_char(\"timestamp\" AT TIME ZONE 'UTC', "
                "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), body = $b$" +
                    body + "$b$ FROM subscription_confirmations",
                "SELECT message_id, type, topic_arn, confirmed_at IS NULL, \"timestamp\", "
                "length(body) = " +
                    std::to_string(body.size()) + " FROM subscription_confirmations"),
            "165545c9-2a5c-472c-8df2-7ff2be2b3b1b|SubscriptionConfirmation|"
            "arn:aws:sns:us-east-1:906013806264:ams-sp-traffic-example|" +
                std::string(postgres() ? "t" : "1") + "|2025-06-01T16:45:04.751Z|" +
                (postgres() ? "t" : "1"));
}

TEST_P(StoreTest, WritingTheSameBatchTwiceChangesNothing) {
  std::vector<ams::Message> batch = {
      Traffic({.id = "t1", .clicks = 1, .impressions = 5, .cost_micros = 10}),
      Conversion({.id = "c1", .metrics = {{"attributed_sales_7d", 5'000'000}}}),
      Classified(TestdataLines("ams/blog-format.jsonl")[0], "sqs-blog", 1000),
      QuarantinedMessage("sqs-q", "garbage"),
      Classified(TestdataFile("ams/subscription-confirmation.json"), "sqs-c")};
  EXPECT_EQ(Describe(MustWrite(batch)),
            "stored=2 dup=0 blog=2 stale=0 quarantined=1 confirmations=1");
  auto dump = [&] {
    return Sql(
        "SELECT (SELECT string_agg(concat_ws(',', clicks, impressions, cost), ';') "
        "FROM sp_traffic_hourly), (SELECT string_agg(attributed_sales_7d::text, ';') "
        "FROM sp_conversion_hourly), (SELECT string_agg(concat_ws(',', campaign_id, "
        "impressions), ';' ORDER BY campaign_id) FROM campaign_performance), "
        "(SELECT count(*) FROM quarantine), (SELECT count(*) FROM subscription_confirmations), "
        "(SELECT count(*) FROM idempotency_ledger)",
        "SELECT (SELECT group_concat(clicks || ',' || impressions || ',' || cost_micros, ';') "
        "FROM sp_traffic_hourly), (SELECT group_concat(attributed_sales_7d_micros, ';') "
        "FROM sp_conversion_hourly), (SELECT group_concat(campaign_id || ',' || impressions, "
        "';') FROM (SELECT * FROM campaign_performance ORDER BY campaign_id)), "
        "(SELECT count(*) FROM quarantine), (SELECT count(*) FROM subscription_confirmations), "
        "(SELECT count(*) FROM idempotency_ledger)");
  };
  std::string before = dump();
  // The blog rows are rewritten with the same values: equal event times, the later wins.
  EXPECT_EQ(Describe(MustWrite(batch)),
            "stored=0 dup=2 blog=2 stale=0 quarantined=0 confirmations=0");
  EXPECT_EQ(dump(), before);
  EXPECT_TRUE(before.ends_with("|1|1|2")) << before;
}

TEST_P(StoreTest, MigratingAgainIsHarmless) {
  Status again = store_->Migrate();
  EXPECT_TRUE(again.ok()) << again.ToString();
  Status other = OpenAnother()->Migrate();
  EXPECT_TRUE(other.ok()) << other.ToString();
  EXPECT_EQ(Sql("SELECT count(*), max(version) FROM schema_migrations"), "1|1");
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         BackendName);

}  // namespace
}  // namespace amstream::store::testing
