#include "gen/generator.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "common/money.h"
#include "json/json.h"

namespace amstream::gen {
namespace {

std::vector<std::string> Bodies(const Options& options, ExpectedTotals* totals = nullptr) {
  std::vector<std::string> bodies;
  Result<ExpectedTotals> result = Generate(options, [&bodies](std::string_view body) {
    bodies.emplace_back(body);
    return Status::Ok();
  });
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  if (totals != nullptr && result.ok()) {
    *totals = *result;
  }
  return bodies;
}

Options SmallOptions(int64_t messages) {
  Options options;
  options.messages = messages;
  options.seed = 42;
  options.shuffle_window = 256;
  return options;
}

// Reads one field of a record as micro-units or a count, null and missing as 0.
int64_t Metric(const json::Value& record, std::string_view name, bool is_money) {
  std::optional<json::Value> value = record.Find(name);
  if (!value || value->is_null()) {
    return 0;
  }
  if (is_money) {
    return *MicrosFromDouble(*value->GetDouble());
  }
  return *value->GetInt64();
}

// Recounts the totals from the bodies alone, the way a correct consumer would.
class Recount {
 public:
  void Add(const std::string& body) {
    Result<json::Value> root = parser_.Parse(body);
    ASSERT_TRUE(root.ok()) << body;
    if (std::optional<json::Value> message = root->Find("Message")) {
      std::string inner(*message->GetString());
      Add(inner);
      return;
    }
    std::string id(*root->Find("idempotency_id")->GetString());
    if (!ids_.insert(id).second) {
      return;
    }
    DayKey day{std::string(*root->Find("advertiser_id")->GetString()),
               std::string(root->Find("time_window_start")->GetString()->substr(0, 10))};
    if (*root->Find("dataset_id")->GetString() == "sp-traffic") {
      totals_.AddTraffic(day, Metric(*root, "impressions", false), Metric(*root, "clicks", false),
                         Metric(*root, "cost", true));
      return;
    }
    std::array<int64_t, ams::kConversionMetricCount> metrics{};
    for (size_t i = 0; i < metrics.size(); ++i) {
      metrics[i] =
          Metric(*root, ams::kConversionMetrics[i].name, ams::kConversionMetrics[i].is_money);
    }
    totals_.AddConversion(day, metrics);
  }

  const ExpectedTotals& totals() const { return totals_; }

 private:
  json::Parser parser_;
  std::set<std::string> ids_;
  ExpectedTotals totals_;
};

std::string Inner(const std::string& body) {
  json::Parser parser;
  Result<json::Value> root = parser.Parse(body);
  if (!root.ok() || !root->Find("Message")) {
    return body;
  }
  return std::string(*root->Find("Message")->GetString());
}

TEST(GeneratorTest, SameSeedGivesSameBodiesAndOtherSeedDoesNot) {
  ExpectedTotals first_totals;
  ExpectedTotals second_totals;
  std::vector<std::string> first = Bodies(SmallOptions(2000), &first_totals);
  std::vector<std::string> second = Bodies(SmallOptions(2000), &second_totals);
  EXPECT_EQ(first, second);
  EXPECT_EQ(first_totals, second_totals);

  Options other = SmallOptions(2000);
  other.seed = 43;
  EXPECT_NE(Bodies(other), first);
}

TEST(GeneratorTest, EmitsExactlyTheRequestedNumberOfBodies) {
  ExpectedTotals totals;
  EXPECT_EQ(Bodies(SmallOptions(1234), &totals).size(), 1234u);
  EXPECT_EQ(totals.counts.bodies, 1234);
  EXPECT_EQ(totals.counts.originals + totals.counts.duplicates + totals.counts.restatements +
                totals.counts.corrections,
            1234);
  EXPECT_TRUE(Bodies(SmallOptions(0)).empty());
}

TEST(GeneratorTest, HonorsRatesRoughly) {
  ExpectedTotals totals;
  std::vector<std::string> bodies = Bodies(SmallOptions(20'000), &totals);
  const EmissionCounts& c = totals.counts;
  EXPECT_NEAR(static_cast<double>(c.duplicates) / 20'000, 0.05, 0.01);
  EXPECT_NEAR(static_cast<double>(c.restatements) / 20'000, 0.02, 0.005);
  EXPECT_NEAR(static_cast<double>(c.corrections) / 20'000, 0.02, 0.005);
  EXPECT_NEAR(static_cast<double>(c.envelopes) / 20'000, 0.2, 0.02);
  double traffic = static_cast<double>(totals.traffic.records);
  EXPECT_NEAR(traffic / (traffic + static_cast<double>(totals.conversion.records)), 0.7, 0.02);

  int64_t envelopes = 0;
  for (const std::string& body : bodies) {
    envelopes += body.starts_with("{\"Type\":\"Notification\"") ? 1 : 0;
  }
  EXPECT_EQ(envelopes, c.envelopes);
}

TEST(GeneratorTest, TotalsEqualAnIndependentRecount) {
  ExpectedTotals totals;
  Recount recount;
  for (const std::string& body : Bodies(SmallOptions(5000), &totals)) {
    recount.Add(body);
  }
  ExpectedTotals expected = recount.totals();
  expected.counts = totals.counts;
  EXPECT_EQ(totals, expected);
  EXPECT_GT(totals.days.size(), 3u);
}

TEST(GeneratorTest, DuplicatesRepeatTheWholeBody) {
  ExpectedTotals totals;
  std::map<std::string, std::set<std::string>> bodies_by_id;
  int64_t repeats = 0;
  std::set<std::string> seen;
  for (const std::string& body : Bodies(SmallOptions(5000), &totals)) {
    repeats += seen.insert(body).second ? 0 : 1;
    json::Parser parser;
    std::string id(*parser.Parse(Inner(body))->Find("idempotency_id")->GetString());
    bodies_by_id[id].insert(body);
  }
  EXPECT_GT(totals.counts.duplicates, 0);
  EXPECT_EQ(repeats, totals.counts.duplicates);
  for (const auto& [id, bodies] : bodies_by_id) {
    EXPECT_EQ(bodies.size(), 1u) << "two different bodies share " << id;
  }
  EXPECT_EQ(static_cast<int64_t>(bodies_by_id.size()),
            totals.counts.bodies - totals.counts.duplicates);
}

TEST(GeneratorTest, EmitsNegativeCorrections) {
  int negative_traffic = 0;
  int negative_sales = 0;
  for (const std::string& body : Bodies(SmallOptions(5000))) {
    std::string inner = Inner(body);
    negative_traffic += inner.find("\"clicks\":-") != std::string::npos ||
                        inner.find("\"impressions\":-") != std::string::npos;
    negative_sales += inner.find("\"attributed_sales_30d\":-") != std::string::npos;
  }
  EXPECT_GT(negative_traffic, 0);
  EXPECT_GT(negative_sales, 0);
}

TEST(GeneratorTest, ConversionWindowsAreCumulative) {
  json::Parser parser;
  for (const std::string& body : Bodies(SmallOptions(3000))) {
    std::string inner = Inner(body);
    json::Value record = *parser.Parse(inner);
    if (*record.Find("dataset_id")->GetString() != "sp-conversion") {
      continue;
    }
    for (std::string_view family : {"conversions", "sales", "units_ordered"}) {
      int64_t previous = 0;
      for (std::string_view window : {"1d", "7d", "14d", "30d"}) {
        std::string name = "attributed_" + std::string(family) + "_" + std::string(window);
        int64_t all = Metric(record, name, family == "sales");
        int64_t same_sku = Metric(record, name + "_same_sku", family == "sales");
        EXPECT_GE(std::abs(all), std::abs(previous)) << inner;
        EXPECT_GE(std::abs(all), std::abs(same_sku)) << inner;
        EXPECT_GE(all * previous, 0) << "sign flips between windows: " << inner;
        previous = all;
      }
    }
  }
}

TEST(GeneratorTest, BodiesHaveTheAmsShape) {
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  const std::regex hour(R"(\d{4}-\d\d-\d\dT\d\d:00:00[+-]\d\d:\d\d)");
  const std::regex money(R"re("(cost|attributed_sales_\w+)":-?\d+\.\d\d[,}])re");
  const std::regex numeric_id(R"(\d{15})");
  json::Parser parser;
  for (const std::string& body : Bodies(SmallOptions(500))) {
    std::string inner = Inner(body);
    json::Value record = *parser.Parse(inner);
    EXPECT_TRUE(std::regex_match(std::string(*record.Find("idempotency_id")->GetString()), uuid));
    EXPECT_TRUE(
        std::regex_match(std::string(*record.Find("time_window_start")->GetString()), hour));
    for (std::string_view field : {"campaign_id", "ad_group_id", "ad_id", "keyword_id"}) {
      EXPECT_TRUE(std::regex_match(std::string(*record.Find(field)->GetString()), numeric_id));
    }
    EXPECT_TRUE(std::regex_search(inner, money)) << inner;
    bool traffic = *record.Find("dataset_id")->GetString() == "sp-traffic";
    EXPECT_EQ(record.Find("keyword_text").has_value(), traffic);
    EXPECT_EQ(record.Find("match_type").has_value(), traffic);
  }
}

TEST(GeneratorTest, EnvelopesCarryTheRecordAsAString) {
  Options options = SmallOptions(300);
  options.envelope_rate = 1.0;
  json::Parser parser;
  for (const std::string& body : Bodies(options)) {
    json::Value root = *parser.Parse(body);
    EXPECT_EQ(*root.Find("Type")->GetString(), "Notification");
    EXPECT_EQ(root.Find("Message")->kind(), json::Kind::kString);
    std::string topic(*root.Find("TopicArn")->GetString());
    EXPECT_TRUE(topic.starts_with("arn:aws:sns:")) << topic;
    EXPECT_TRUE(topic.ends_with(":ams-sp-traffic") || topic.ends_with(":ams-sp-conversion"));
  }
}

TEST(GeneratorTest, RejectsBadOptions) {
  std::vector<std::pair<std::string, Options>> cases;
  auto with = [](auto change) {
    Options options;
    change(options);
    return options;
  };
  cases.emplace_back("advertisers", with([](Options& o) { o.advertisers = 0; }));
  cases.emplace_back("hours", with([](Options& o) { o.hours = -1; }));
  cases.emplace_back("messages", with([](Options& o) { o.messages = -5; }));
  cases.emplace_back("duplicate rate", with([](Options& o) { o.duplicate_rate = 1.5; }));
  cases.emplace_back("envelope rate", with([](Options& o) { o.envelope_rate = -0.1; }));
  cases.emplace_back("start date", with([](Options& o) { o.start_date = "June 1st"; }));
  cases.emplace_back("shuffle window", with([](Options& o) { o.shuffle_window = 0; }));
  cases.emplace_back("duplicate + restatement + correction rate", with([](Options& o) {
                       o.duplicate_rate = o.restatement_rate = o.correction_rate = 0.5;
                     }));
  for (const auto& [name, options] : cases) {
    Status status = ValidateOptions(options);
    EXPECT_EQ(status.code(), Code::kInvalid) << name;
    EXPECT_NE(status.message().find(name), std::string::npos) << status.message();
  }
  EXPECT_TRUE(ValidateOptions(Options()).ok());
}

TEST(GeneratorTest, StopsAtTheSinksFirstFailure) {
  int calls = 0;
  Result<ExpectedTotals> result = Generate(SmallOptions(1000), [&calls](std::string_view) {
    return ++calls == 3 ? UnavailableError("disk full") : Status::Ok();
  });
  EXPECT_EQ(result.status().code(), Code::kUnavailable);
  EXPECT_EQ(calls, 3);
}

}  // namespace
}  // namespace amstream::gen
