#include "ams/classify.h"

#include <fmt/format.h>
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

// The first sp-traffic fixture with `field` (a "name":value pair) replaced by `replacement`.
std::string TrafficWith(const std::string& field, const std::string& replacement) {
  std::string body = FixtureLines("sp-traffic-additive.jsonl")[0];
  size_t at = body.find(field);
  EXPECT_NE(at, std::string::npos) << field;
  return at == std::string::npos ? body : body.replace(at, field.size(), replacement);
}

// A reason is written to one log line and one column: printable, short, never empty.
void ExpectOneLineReason(const Message& m) {
  std::string reason = ReasonOf(m);
  EXPECT_FALSE(reason.empty());
  EXPECT_LE(reason.size(), 300u) << reason;
  for (char c : reason) {
    auto byte = static_cast<unsigned char>(c);
    EXPECT_TRUE(byte >= 0x20 && byte != 0x7f) << "control byte in reason: " << reason;
  }
}

struct Replacement {
  const char* field;
  const char* replacement;
  const char* reason_part;
};

TEST(ClassifierTest, QuarantinesNumbersOutOfRangeWithAReason) {
  const Replacement cases[] = {
      {"\"clicks\":4", "\"clicks\":1e30", "field clicks: expected a whole number within 64 bits"},
      {"\"clicks\":4", "\"clicks\":99999999999999999999", "a number is malformed or out of range"},
      {"\"clicks\":4", "\"clicks\":18446744073709551615", "field clicks: expected a whole number"},
      {"\"clicks\":4", "\"clicks\":4.5", "field clicks: expected a whole number"},
      {"\"impressions\":312", "\"impressions\":-1e400", "a number is malformed or out of range"},
      {"\"cost\":3.87", "\"cost\":-1e400", "a number is malformed or out of range"},
      {"\"cost\":3.87", "\"cost\":123456789012345678901234567890",
       "a number is malformed or out of range"},
      {"\"cost\":3.87", "\"cost\":123456789012345678901234567890.5",
       "field cost: amount out of range"},
      {"\"cost\":3.87", "\"cost\":1e9", "field cost: amount out of range"},
      {"\"cost\":3.87", "\"cost\":\"NaN\"", "field cost: expected a number"},
      {"\"cost\":3.87", "\"cost\":\"3.87\"", "field cost: expected a number"},
      {"\"clicks\":4", "\"clicks\":\"Infinity\"", "field clicks: expected a number"},
      {"\"clicks\":4", "\"clicks\":\"-inf\"", "field clicks: expected a number"},
      {"\"cost\":3.87", "\"cost\":NaN", "invalid JSON"},
      {"\"cost\":3.87", "\"cost\":Infinity", "invalid JSON"},
      {"\"campaign_id\":\"301234567890123\"", "\"campaign_id\":18446744073709551615",
       "field campaign_id: expected a string or an integer within 64 bits"},
  };
  for (const Replacement& c : cases) {
    Message m = ClassifyBody(TrafficWith(c.field, c.replacement));
    EXPECT_NE(ReasonOf(m).find(c.reason_part), std::string::npos)
        << c.replacement << "\nreason: " << ReasonOf(m);
    ExpectOneLineReason(m);
  }
}

TEST(ClassifierTest, QuarantinesOutOfRangeConversionSales) {
  std::string body = FixtureLines("sp-conversion-with-revision.jsonl")[0];
  std::string field = "\"attributed_sales_14d\":24.99";
  body.replace(body.find(field), field.size(), "\"attributed_sales_14d\":1e15");
  EXPECT_NE(ReasonOf(ClassifyBody(body)).find("field attributed_sales_14d: amount out of range"),
            std::string::npos);
}

TEST(ClassifierTest, AcceptsNumbersAtTheLimits) {
  Message m = ClassifyBody(TrafficWith("\"clicks\":4", "\"clicks\":9223372036854775807"));
  const auto* r = std::get_if<TrafficRecord>(&m.content);
  ASSERT_NE(r, nullptr) << ReasonOf(m);
  EXPECT_EQ(r->clicks, INT64_MAX);

  m = ClassifyBody(TrafficWith("\"cost\":3.87", "\"cost\":-999999999.999999"));
  r = std::get_if<TrafficRecord>(&m.content);
  ASSERT_NE(r, nullptr) << ReasonOf(m);
  EXPECT_EQ(r->cost_micros, -999'999'999'999'999);

  m = ClassifyBody(TrafficWith("\"cost\":3.87", "\"cost\":1e-400"));
  r = std::get_if<TrafficRecord>(&m.content);
  ASSERT_NE(r, nullptr) << ReasonOf(m);
  EXPECT_EQ(r->cost_micros, 0);

  m = ClassifyBody(
      TrafficWith("\"campaign_id\":\"301234567890123\"", "\"campaign_id\":-9223372036854775808"));
  r = std::get_if<TrafficRecord>(&m.content);
  ASSERT_NE(r, nullptr) << ReasonOf(m);
  EXPECT_EQ(r->campaign_id, "-9223372036854775808");
}

TEST(ClassifierTest, QuarantinesInvalidUtf8InAFieldKeepingEveryByte) {
  const char* invalid[] = {"stain\xffless", "stain\xc0\xafless", "stain\xed\xa0\x80less",
                           "stain\xf4\x90\x80\x80less"};
  for (const char* text : invalid) {
    std::string body = TrafficWith("stainless", text);
    Message m = ClassifyBody(body);
    EXPECT_NE(ReasonOf(m).find("not valid UTF-8"), std::string::npos) << ReasonOf(m);
    std::string hex = "hex:";
    for (char c : body) {
      hex += fmt::format("{:02x}", static_cast<unsigned char>(c));
    }
    EXPECT_EQ(m.delivery.body, hex);
  }
  // An escape for half a surrogate pair would decode to invalid UTF-8: refused as JSON.
  Message m = ClassifyBody(TrafficWith("stainless", "stain\\udc00less"));
  EXPECT_NE(ReasonOf(m).find("invalid JSON"), std::string::npos) << ReasonOf(m);
}

TEST(ClassifierTest, QuarantinesNulCharactersThatNoStoreCanKeep) {
  Message m = ClassifyBody(TrafficWith("stainless", "stain\\u0000less"));
  EXPECT_NE(ReasonOf(m).find("field keyword_text: contains a NUL character"), std::string::npos)
      << ReasonOf(m);
  EXPECT_EQ(m.delivery.body, TrafficWith("stainless", "stain\\u0000less"));

  std::string id = ReadFixture("envelope-notification-sp-traffic.json");
  id.replace(id.find("2f0e6b1c"), 8, "2f0e\\u0000");
  EXPECT_NE(ReasonOf(ClassifyBody(id)).find("SNS MessageId contains a NUL character"),
            std::string::npos);

  std::string token = ReadFixture("subscription-confirmation.json");
  token.replace(token.find("\"Token\": \"2336"), 14, "\"Token\": \"\\u0000");
  EXPECT_NE(ReasonOf(ClassifyBody(token)).find("SNS Token contains a NUL character"),
            std::string::npos)
      << ReasonOf(ClassifyBody(token));
}

TEST(ClassifierTest, KeepsReasonsOnOnePrintableLine) {
  Message m = ClassifyBody("{\"dataset_id\":\"sb\\ntraffic\\r\\u0000\\u007f\"}");
  EXPECT_EQ(ReasonOf(m), "dataset sb\\x0atraffic\\x0d\\x00\\x7f is not stored by this version");
  ExpectOneLineReason(m);

  std::string long_name(500, 'd');
  m = ClassifyBody("{\"dataset_id\":\"" + long_name + "\"}");
  ExpectOneLineReason(m);

  m = ClassifyBody("{\"Type\":\"\\n" + long_name + "\"}");
  EXPECT_NE(ReasonOf(m).find("unknown SNS message Type \\x0add"), std::string::npos) << ReasonOf(m);
  ExpectOneLineReason(m);
}

TEST(ClassifierTest, AcceptsNestingUpToTheParserLimit) {
  // The root object is one level; the unknown field adds the rest.
  auto nested = [](size_t depth) {
    return TrafficWith("\"clicks\":4", "\"clicks\":4,\"future\":" + std::string(depth - 1, '[') +
                                           std::string(depth - 1, ']'));
  };
  Message m = ClassifyBody(nested(json::Parser::kMaxDepth));
  EXPECT_TRUE(std::holds_alternative<TrafficRecord>(m.content)) << ReasonOf(m);
  m = ClassifyBody(nested(json::Parser::kMaxDepth + 1));
  EXPECT_NE(ReasonOf(m).find("too deep"), std::string::npos) << ReasonOf(m);

  std::string inner = std::string(100, '[') + std::string(100, ']');
  m = ClassifyBody("{\"Type\":\"Notification\",\"TopicArn\":\"t\",\"Message\":\"" + inner + "\"}");
  EXPECT_NE(ReasonOf(m).find("SNS Message: invalid JSON"), std::string::npos) << ReasonOf(m);
}

TEST(ClassifierTest, QuarantinesAMebibyteOfOpenBrackets) {
  std::string brackets(kMaxBodyBytes, '[');
  Message m = ClassifyBody(brackets);
  EXPECT_NE(ReasonOf(m).find("invalid JSON"), std::string::npos) << ReasonOf(m);
  EXPECT_EQ(m.delivery.body.size(), kMaxBodyBytes);
}

TEST(ClassifierTest, HexEncodesAnOversizedBodyThatIsNotText) {
  std::string body = "{\"pad\":\"" + std::string(kMaxBodyBytes, 'x') + "\xff\"}";
  Message m = ClassifyBody(body);
  EXPECT_NE(ReasonOf(m).find("not valid UTF-8"), std::string::npos) << ReasonOf(m);
  ASSERT_EQ(m.delivery.body.size(), 4 + 2 * body.size());
  EXPECT_EQ(m.delivery.body.substr(m.delivery.body.size() - 6), "ff227d");
}

TEST(ClassifierTest, ReusedClassifierGivesTheSameOutcomeAfterAHugeBody) {
  Classifier classifier;
  Delivery huge;
  huge.body = "{\"pad\":\"" + std::string(kMaxBodyBytes - 16, 'x') + "\"}";
  EXPECT_NE(ReasonOf(classifier.Classify(std::move(huge))).find("no dataset_id"),
            std::string::npos);
  Delivery small;
  small.body = FixtureLines("sp-traffic-additive.jsonl")[0];
  Message m = classifier.Classify(std::move(small));
  const auto* r = std::get_if<TrafficRecord>(&m.content);
  ASSERT_NE(r, nullptr) << ReasonOf(m);
  EXPECT_EQ(r->cost_micros, 3'870'000);
}

}  // namespace
}  // namespace amstream::ams
