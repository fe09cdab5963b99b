#include "ams/classify.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace amstream::ams {
namespace {

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(AMSTREAM_TESTDATA) + "/ams/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> FixtureLines(const std::string& name) {
  std::vector<std::string> lines;
  std::istringstream in(ReadFixture(name));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      lines.push_back(line);
    }
  }
  return lines;
}

Message ClassifyBody(std::string body, int64_t sent_ms = 0) {
  Classifier classifier;
  Delivery delivery;
  delivery.body = std::move(body);
  delivery.sent_timestamp_ms = sent_ms;
  return classifier.Classify(std::move(delivery));
}

std::string ReasonOf(const Message& message) {
  const auto* quarantined = std::get_if<Quarantined>(&message.content);
  return quarantined ? quarantined->reason : "";
}

TEST(ClassifierTest, ReadsRawTrafficRecord) {
  Message m = ClassifyBody(FixtureLines("sp-traffic-additive.jsonl")[0]);
  const auto* r = std::get_if<TrafficRecord>(&m.content);
  ASSERT_NE(r, nullptr) << ReasonOf(m);
  EXPECT_EQ(r->idempotency_id, "9f1c2e7a-3b4d-4e5f-8a9b-0c1d2e3f4a5b");
  EXPECT_EQ(r->keyword_text, "stainless steel water bottle");
  EXPECT_EQ(r->match_type, "EXACT");
  EXPECT_EQ(r->time_window_start_ms, 1748797200000);  // 2025-06-01T17:00:00Z
  EXPECT_EQ(r->utc_offset_minutes, -420);
  EXPECT_EQ(r->clicks, 4);
  EXPECT_EQ(r->impressions, 312);
  EXPECT_EQ(r->cost_micros, 3'870'000);
}

TEST(ClassifierTest, EnvelopeAndRawGiveIdenticalRecords) {
  Message raw = ClassifyBody(FixtureLines("sp-traffic-additive.jsonl")[0]);
  Message wrapped = ClassifyBody(ReadFixture("envelope-notification-sp-traffic.json"));
  const auto* a = std::get_if<TrafficRecord>(&raw.content);
  const auto* b = std::get_if<TrafficRecord>(&wrapped.content);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr) << ReasonOf(wrapped);
  EXPECT_EQ(wrapped.sns_message_id, "2f0e6b1c-8d4a-5e7f-9a0b-1c2d3e4f5a6b");
  EXPECT_EQ(a->idempotency_id, b->idempotency_id);
  EXPECT_EQ(a->time_window_start_ms, b->time_window_start_ms);
  EXPECT_EQ(a->cost_micros, b->cost_micros);
  EXPECT_EQ(a->keyword_text, b->keyword_text);
}

TEST(ClassifierTest, ReadsConversionWithNegativeRevision) {
  std::vector<std::string> lines = FixtureLines("sp-conversion-with-revision.jsonl");
  Message m = ClassifyBody(lines[1]);
  const auto* r = std::get_if<ConversionRecord>(&m.content);
  ASSERT_NE(r, nullptr) << ReasonOf(m);
  EXPECT_EQ(r->metrics[static_cast<size_t>(ConversionMetricIndex("attributed_sales_7d"))],
            -24'990'000);
  EXPECT_EQ(r->metrics[static_cast<size_t>(ConversionMetricIndex("attributed_units_ordered_30d"))],
            -1);
}

TEST(ClassifierTest, ReadsBlogEventWithSentTimestamp) {
  Message m = ClassifyBody(FixtureLines("blog-format.jsonl")[0], 1234);
  const auto* e = std::get_if<BlogEvent>(&m.content);
  ASSERT_NE(e, nullptr) << ReasonOf(m);
  EXPECT_EQ(e->profile_id, "3412345678901234");
  EXPECT_EQ(e->event_ms, 1234);
  ASSERT_EQ(e->rows.size(), 2u);
  EXPECT_EQ(e->rows[0].cost_micros, 27'450'000);
  EXPECT_EQ(e->rows[0].sales_micros, 119'900'000);
}

TEST(ClassifierTest, KeepsSubscriptionConfirmation) {
  Message m = ClassifyBody(ReadFixture("subscription-confirmation.json"));
  const auto* c = std::get_if<Confirmation>(&m.content);
  ASSERT_NE(c, nullptr) << ReasonOf(m);
  EXPECT_EQ(c->type, "SubscriptionConfirmation");
  EXPECT_EQ(c->topic_arn, "arn:aws:sns:us-east-1:906013806264:ams-sp-traffic-example");
  EXPECT_FALSE(c->token.empty());
}

TEST(ClassifierTest, QuarantinesEveryMalformedFixtureLineWithAReason) {
  std::vector<std::string> lines = FixtureLines("malformed-bodies.txt");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_NE(ReasonOf(ClassifyBody(lines[0])).find("invalid JSON"), std::string::npos);
  EXPECT_NE(ReasonOf(ClassifyBody(lines[1])).find("SNS Message"), std::string::npos);
  // Line 3 is a valid record carrying an unknown field: AMS adds fields without notice,
  // so it is stored, not quarantined.
  EXPECT_TRUE(std::holds_alternative<TrafficRecord>(ClassifyBody(lines[2]).content));
  EXPECT_NE(ReasonOf(ClassifyBody(lines[3])).find("clicks"), std::string::npos);
}

struct BadBody {
  const char* body;
  const char* reason_part;
};

TEST(ClassifierTest, QuarantinesBadBodiesWithReasons) {
  const BadBody cases[] = {
      {"", "invalid JSON"},
      {"[1,2]", "not a JSON object"},
      {"{\"a\":1} trailing", "invalid JSON"},
      {"{\"dataset_id\":\"budget-usage\"}", "dataset budget-usage is not stored"},
      {"{\"hello\":\"world\"}", "no dataset_id"},
      {"{\"Type\":\"Notification\",\"Message\":{\"dataset_id\":\"sp-traffic\"}}",
       "must be a JSON string"},
      {"{\"Type\":\"Weird\"}", "unknown SNS message Type"},
      {"{\"Type\":\"SubscriptionConfirmation\"}", "without a TopicArn"},
      {"{\"dataset_id\":\"sp-traffic\",\"idempotency_id\":\"x\",\"advertiser_id\":\"a\","
       "\"marketplace_id\":\"m\",\"campaign_id\":\"c\"}",
       "time_window_start: missing"},
      {"{\"dataset_id\":\"sp-traffic\",\"idempotency_id\":\"x\",\"advertiser_id\":\"a\","
       "\"marketplace_id\":\"m\",\"campaign_id\":\"c\",\"time_window_start\":\"yesterday\"}",
       "not an ISO 8601 timestamp"},
      {"{\"dataset_id\":\"sp-traffic\",\"clicks\":1e30}", "clicks"},
      {"{\"dataset_id\":\"sp-traffic\",\"cost\":1e300}", "cost"},
      {"{\"datasetType\":\"x\",\"profileId\":\"p\",\"date\":\"2025-13-01\",\"records\":[]}",
       "date"},
      {"\xff\xfe{}", "not valid UTF-8"},
  };
  for (const BadBody& c : cases) {
    std::string reason = ReasonOf(ClassifyBody(c.body));
    EXPECT_NE(reason.find(c.reason_part), std::string::npos)
        << "body: " << c.body << "\nreason: " << reason;
  }
}

TEST(ClassifierTest, KeepsEveryByteOfABinaryBody) {
  Message m = ClassifyBody(std::string("{\"a\":1}\0\xff", 9));
  EXPECT_NE(ReasonOf(m).find("not valid UTF-8"), std::string::npos);
  EXPECT_EQ(m.delivery.body, "hex:7b2261223a317d00ff");
}

TEST(ClassifierTest, QuarantinesDeepNestingAndHugeBodies) {
  std::string deep = "{\"a\":" + std::string(200, '[') + std::string(200, ']') + "}";
  EXPECT_NE(ReasonOf(ClassifyBody(deep)).find("invalid JSON"), std::string::npos);
  std::string huge = "{\"pad\":\"" + std::string(kMaxBodyBytes, 'x') + "\"}";
  EXPECT_NE(ReasonOf(ClassifyBody(huge)).find("1 MiB"), std::string::npos);
}

}  // namespace
}  // namespace amstream::ams
