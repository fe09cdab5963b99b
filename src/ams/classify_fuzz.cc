// libFuzzer target over body classification (ams/classify.h).
//
// Any byte string may arrive from a queue or a file, so beyond "does not crash" this
// checks what the pipeline and the stores rely on: one outcome per body, a quarantined
// body kept byte for byte with a one-line reason, storable text in accepted outcomes,
// exact money, and identical outcomes for a raw record and the same record in an SNS
// envelope. scripts/fuzz.sh builds and runs it; seeds are in tests/fuzz/corpus/.
#include <fmt/format.h>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "ams/classify.h"
#include "common/money.h"
#include "common/time.h"
#include "json/json.h"

namespace amstream::ams {
namespace {

constexpr int64_t kSentMs = 1748797200000;  // 2025-06-01T17:00:00Z
constexpr std::string_view kEnvelopeTimestamp = "2025-06-01T19:12:45.123Z";
constexpr int64_t kEnvelopeMs = 1748805165123;  // kEnvelopeTimestamp as an instant
constexpr std::string_view kEnvelopeId = "fuzz-envelope";
// Reasons end up in one log line and one column; anything longer is echoing the body.
constexpr size_t kMaxReasonBytes = 300;
// Money is refused beyond 1e9 units, so accepted micro-units stay below this.
constexpr int64_t kMaxMicros = 1'000'000'000'000'000;

[[noreturn]] void Fail(std::string_view what, std::string_view detail) {
  fmt::print(stderr, "classify_fuzz: invariant broken: {}\n{:.4000}\n", what, detail);
  std::abort();
}

void Expect(bool ok, std::string_view what, std::string_view detail = {}) {
  if (!ok) {
    Fail(what, detail);
  }
}

Delivery MakeDelivery(std::string body) {
  Delivery delivery;
  delivery.message_id = "fuzz-message";
  delivery.receipt_handle = "fuzz-receipt";
  delivery.sent_timestamp_ms = kSentMs;
  delivery.receive_count = 1;
  delivery.body = std::move(body);
  return delivery;
}

std::string Hex(std::string_view bytes) {
  std::string out = "hex:";
  for (char c : bytes) {
    fmt::format_to(std::back_inserter(out), "{:02x}", static_cast<unsigned char>(c));
  }
  return out;
}

// Text the stores can keep as it is: valid UTF-8 without NUL.
bool IsStorable(std::string_view text) {
  return json::IsValidUtf8(text) && text.find('\0') == std::string_view::npos;
}

std::optional<double> ReadDouble(std::string_view text) {
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// Every way AMS might spell an accepted amount must give back the same micro-units,
// through the exact decimal reader and through the double the JSON parser makes.
void CheckMoneySpellings(int64_t micros) {
  int64_t magnitude = micros < 0 ? -micros : micros;
  const std::string spellings[] = {
      FormatMicros(micros, 0),
      FormatMicros(micros, 6) + "000",
      fmt::format("{}e-6", micros),
      fmt::format("{}0.{:015d}E+9", micros < 0 ? "-" : "", magnitude),
  };
  for (const std::string& text : spellings) {
    Result<int64_t> exact = ParseMicros(text);
    Expect(exact.ok() && *exact == micros, "money does not parse back exactly", text);
    std::optional<double> number = ReadDouble(text);
    Expect(number.has_value(), "spelling is not a number", text);
    Result<int64_t> rounded = MicrosFromDouble(*number);
    Expect(rounded.ok() && *rounded == micros, "money read as a double loses a micro", text);
  }
}

// The body itself as one amount: both readers must agree within the half-micro they may
// round differently, and whatever ParseMicros accepts must format back to itself.
void CheckMoneyText(std::string_view text) {
  Result<int64_t> exact = ParseMicros(text);
  if (!exact.ok()) {
    return;
  }
  Result<int64_t> again = ParseMicros(FormatMicros(*exact, 6));
  Expect(again.ok() && *again == *exact, "formatted amount parses differently", text);
  std::optional<double> number = ReadDouble(text);
  if (!number) {
    return;
  }
  Result<int64_t> rounded = MicrosFromDouble(*number);
  if (rounded.ok()) {
    int64_t difference = *rounded - *exact;
    Expect(difference >= -1 && difference <= 1, "double and decimal readers disagree",
           fmt::format("{} -> {} vs {}", text, *rounded, *exact));
  }
}

// Everything an outcome holds, as text, so that two outcomes compare with == and a
// broken invariant can print what differed.
class Describer {
 public:
  void Text(std::string_view name, std::string_view value) {
    Expect(IsStorable(value), "accepted text is not storable", fmt::format("field {}", name));
    out_.append(name);
    out_.push_back('=');
    json::AppendString(&out_, value);
    out_.push_back(' ');
  }

  void Number(std::string_view name, int64_t value) {
    fmt::format_to(std::back_inserter(out_), "{}={} ", name, value);
  }

  void Money(std::string_view name, int64_t micros) {
    std::string text = FormatMicros(micros, 0);
    Expect(micros > -kMaxMicros && micros < kMaxMicros, "money beyond 1e9 units accepted", text);
    CheckMoneySpellings(micros);
    fmt::format_to(std::back_inserter(out_), "{}={} ", name, text);
  }

  void Kind(std::string_view kind) {
    out_.append(kind);
    out_.append(": ");
  }

  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

template <typename Record>
void DescribeCommon(const Record& r, Describer* d) {
  d->Text("idempotency_id", r.idempotency_id);
  d->Text("advertiser_id", r.advertiser_id);
  d->Text("marketplace_id", r.marketplace_id);
  d->Number("time_window_start_ms", r.time_window_start_ms);
  d->Number("utc_offset_minutes", r.utc_offset_minutes);
  d->Text("campaign_id", r.campaign_id);
  d->Text("ad_group_id", r.ad_group_id);
  d->Text("ad_id", r.ad_id);
  d->Text("keyword_id", r.keyword_id);
  d->Text("placement", r.placement);
  d->Text("currency", r.currency);
}

std::string Describe(const Content& content) {
  Expect(!content.valueless_by_exception(), "classification holds no outcome");
  Describer d;
  if (const auto* q = std::get_if<Quarantined>(&content)) {
    d.Kind("quarantined");
    d.Text("reason", q->reason);
  } else if (const auto* t = std::get_if<TrafficRecord>(&content)) {
    d.Kind("sp-traffic");
    DescribeCommon(*t, &d);
    d.Text("keyword_text", t->keyword_text);
    d.Text("match_type", t->match_type);
    d.Number("clicks", t->clicks);
    d.Number("impressions", t->impressions);
    d.Money("cost", t->cost_micros);
  } else if (const auto* c = std::get_if<ConversionRecord>(&content)) {
    d.Kind("sp-conversion");
    DescribeCommon(*c, &d);
    for (size_t i = 0; i < kConversionMetrics.size(); ++i) {
      const ConversionMetric& metric = kConversionMetrics[i];
      if (metric.is_money) {
        d.Money(metric.name, c->metrics[i]);
      } else {
        d.Number(metric.name, c->metrics[i]);
      }
    }
  } else if (const auto* e = std::get_if<BlogEvent>(&content)) {
    d.Kind("blog");
    d.Text("datasetType", e->dataset_type);
    d.Text("profileId", e->profile_id);
    d.Number("date_days", e->date_days);
    d.Number("event_ms", e->event_ms);
    for (const BlogRow& row : e->rows) {
      d.Text("campaignId", row.campaign_id);
      d.Number("impressions", row.impressions);
      d.Number("clicks", row.clicks);
      d.Money("cost", row.cost_micros);
      d.Money("attributedSales", row.sales_micros);
    }
  } else {
    const auto& s = std::get<Confirmation>(content);
    d.Kind("confirmation");
    d.Text("type", s.type);
    d.Text("message_id", s.message_id);
    d.Text("topic_arn", s.topic_arn);
    d.Text("token", s.token);
    d.Text("subscribe_url", s.subscribe_url);
    d.Number("timestamp_ms", s.timestamp_ms);
  }
  return d.Take();
}

std::string Describe(const Message& m) {
  return fmt::format("{} sns_message_id={}", Describe(m.content), m.sns_message_id);
}

// The one-line reason and the untouched delivery that every quarantine row needs.
void CheckQuarantine(const Quarantined& q, const Message& m, std::string_view original) {
  std::string_view reason = q.reason;
  Expect(!reason.empty(), "quarantined without a reason");
  Expect(reason.size() <= kMaxReasonBytes, "reason is too long", reason);
  for (char c : reason) {
    auto byte = static_cast<unsigned char>(c);
    Expect(byte >= 0x20 && byte != 0x7f, "reason is not one printable line", reason);
  }
  if (m.delivery.body == original) {
    Expect(IsStorable(original), "unstorable body quarantined as text", reason);
    return;
  }
  Expect(!IsStorable(original), "storable body was re-encoded", reason);
  Expect(m.delivery.body == Hex(original), "quarantined body lost bytes", reason);
}

void CheckMessage(const Message& m, std::string_view original) {
  Expect(m.delivery.message_id == "fuzz-message" && m.delivery.receipt_handle == "fuzz-receipt" &&
             m.delivery.sent_timestamp_ms == kSentMs && m.delivery.receive_count == 1,
         "delivery facts changed");
  Expect(IsStorable(m.sns_message_id), "sns_message_id is not storable");
  if (const auto* q = std::get_if<Quarantined>(&m.content)) {
    CheckQuarantine(*q, m, original);
    return;
  }
  Expect(m.delivery.body == original, "accepted body was changed");
}

// Appends `"name":` and a quoted string.
void JsonText(std::string* out, std::string_view name, std::string_view value) {
  fmt::format_to(std::back_inserter(*out), "\"{}\":", name);
  json::AppendString(out, value);
  out->push_back(',');
}

void JsonRaw(std::string* out, std::string_view name, std::string_view literal) {
  fmt::format_to(std::back_inserter(*out), "\"{}\":{},", name, literal);
}

// The local time AMS would have written for the instant, or empty when the local
// year is past 9999 (a leap second on 9999-12-31), which ParseTimestamp never reads.
std::string WindowText(int64_t epoch_ms, int32_t offset_minutes) {
  int64_t local_ms = epoch_ms + int64_t{offset_minutes} * 60'000;
  std::string utc = FormatUtc(local_ms);
  if (utc.size() != 20) {
    return {};
  }
  int32_t magnitude = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  return fmt::format("{}.{:03d}{}{:02d}:{:02d}", utc.substr(0, 19), local_ms % 1000,
                     offset_minutes < 0 ? '-' : '+', magnitude / 60, magnitude % 60);
}

// The body itself as a timestamp: what was read must be written and read back alike.
void CheckTimestampText(std::string_view text) {
  Result<Timestamp> first = ParseTimestamp(text);
  if (!first.ok()) {
    return;
  }
  std::string written = WindowText(first->epoch_ms, first->utc_offset_minutes);
  if (written.empty()) {
    return;
  }
  Result<Timestamp> second = ParseTimestamp(written);
  Expect(second.ok() && second->epoch_ms == first->epoch_ms &&
             second->utc_offset_minutes == first->utc_offset_minutes,
         "timestamp reads differently once written", fmt::format("{} -> {}", text, written));
}

template <typename Record>
bool AppendCommon(const Record& r, std::string_view dataset, std::string* out) {
  std::string window = WindowText(r.time_window_start_ms, r.utc_offset_minutes);
  if (window.empty()) {
    return false;
  }
  out->push_back('{');
  JsonText(out, "dataset_id", dataset);
  JsonText(out, "idempotency_id", r.idempotency_id);
  JsonText(out, "advertiser_id", r.advertiser_id);
  JsonText(out, "marketplace_id", r.marketplace_id);
  JsonText(out, "time_window_start", window);
  JsonText(out, "campaign_id", r.campaign_id);
  JsonText(out, "ad_group_id", r.ad_group_id);
  JsonText(out, "ad_id", r.ad_id);
  JsonText(out, "keyword_id", r.keyword_id);
  JsonText(out, "placement", r.placement);
  JsonText(out, "currency", r.currency);
  return true;
}

void CloseObject(std::string* out) { out->back() = '}'; }

// The outcome written back as the plainest JSON of its kind, every number in its
// canonical form; empty when there is nothing to write back.
std::string CanonicalJson(const Content& content) {
  std::string out;
  if (const auto* t = std::get_if<TrafficRecord>(&content)) {
    if (!AppendCommon(*t, kSpTraffic, &out)) {
      return {};
    }
    JsonText(&out, "keyword_text", t->keyword_text);
    JsonText(&out, "match_type", t->match_type);
    JsonRaw(&out, "clicks", std::to_string(t->clicks));
    JsonRaw(&out, "impressions", std::to_string(t->impressions));
    JsonRaw(&out, "cost", FormatMicros(t->cost_micros, 0));
    CloseObject(&out);
  } else if (const auto* c = std::get_if<ConversionRecord>(&content)) {
    if (!AppendCommon(*c, kSpConversion, &out)) {
      return {};
    }
    for (size_t i = 0; i < kConversionMetrics.size(); ++i) {
      int64_t value = c->metrics[i];
      JsonRaw(&out, kConversionMetrics[i].name,
              kConversionMetrics[i].is_money ? FormatMicros(value, 0) : std::to_string(value));
    }
    CloseObject(&out);
  } else if (const auto* e = std::get_if<BlogEvent>(&content)) {
    out.push_back('{');
    JsonText(&out, "datasetType", e->dataset_type);
    JsonText(&out, "profileId", e->profile_id);
    JsonText(&out, "date", FormatDate(e->date_days));
    out.append("\"records\":[");
    for (const BlogRow& row : e->rows) {
      out.push_back('{');
      JsonText(&out, "campaignId", row.campaign_id);
      JsonRaw(&out, "impressions", std::to_string(row.impressions));
      JsonRaw(&out, "clicks", std::to_string(row.clicks));
      JsonRaw(&out, "cost", FormatMicros(row.cost_micros, 0));
      JsonRaw(&out, "attributedSales", FormatMicros(row.sales_micros, 0));
      CloseObject(&out);
      out.push_back(',');
    }
    if (out.back() == ',') {
      out.pop_back();
    }
    out.append("]}");
  }
  return out;
}

// An accepted outcome written back as JSON must read back as the same outcome: no
// digit of money, count, time or text is lost on the way in.
void CheckRoundTrip(const Message& m, Classifier* classifier) {
  std::string canonical = CanonicalJson(m.content);
  if (canonical.empty() || canonical.size() > kMaxBodyBytes) {
    return;
  }
  Message again = classifier->Classify(MakeDelivery(canonical));
  Expect(Describe(again.content) == Describe(m.content), "canonical JSON reads differently",
         fmt::format("first:  {}\nsecond: {}\njson:   {}", Describe(m.content),
                     Describe(again.content), canonical));
}

std::string Envelope(std::string_view inner) {
  std::string out = "{";
  JsonText(&out, "Type", "Notification");
  JsonText(&out, "MessageId", kEnvelopeId);
  JsonText(&out, "TopicArn", "arn:aws:sns:us-east-1:906013806264:ams-sp-traffic-fuzz");
  JsonText(&out, "Timestamp", kEnvelopeTimestamp);
  JsonText(&out, "Message", inner);
  CloseObject(&out);
  return out;
}

// Whether `body` is an SNS document itself (an object with a "Type"), which inside
// another envelope is refused whatever it carries.
bool IsSnsDocument(std::string_view body) {
  static json::Parser parser;
  Result<json::Value> root = parser.Parse(body);
  return root.ok() && root->Find("Type").has_value();
}

// Raw delivery and SNS envelopes must give the same rows (ams.md §1), and whatever
// is refused raw must not slip through inside an envelope.
void CheckEnvelope(const Message& raw, std::string_view body, Classifier* classifier) {
  std::string wrapped_body = Envelope(body);
  if (wrapped_body.size() > kMaxBodyBytes) {
    return;
  }
  Message wrapped = classifier->Classify(MakeDelivery(wrapped_body));
  CheckMessage(wrapped, wrapped_body);
  std::string detail = fmt::format("raw:     {}\nwrapped: {}", Describe(raw), Describe(wrapped));
  bool accepted = std::holds_alternative<TrafficRecord>(raw.content) ||
                  std::holds_alternative<ConversionRecord>(raw.content) ||
                  std::holds_alternative<BlogEvent>(raw.content);
  if (!accepted || IsSnsDocument(body)) {
    Expect(std::holds_alternative<Quarantined>(wrapped.content),
           "an envelope accepted what raw delivery did not", detail);
    return;
  }
  Expect(wrapped.sns_message_id == kEnvelopeId, "envelope MessageId was not kept", detail);
  Content expected = raw.content;
  if (auto* event = std::get_if<BlogEvent>(&expected)) {
    event->event_ms = kEnvelopeMs;  // the SNS Timestamp decides which snapshot is newer
  }
  Expect(Describe(wrapped.content) == Describe(expected), "envelope and raw record differ", detail);
}

// Amounts and timestamps are short: longer bodies would only test the length checks.
constexpr size_t kMaxScalarBytes = 64;

void CheckBody(std::string body) {
  if (body.size() <= kMaxScalarBytes) {
    CheckMoneyText(body);
    CheckTimestampText(body);
  }

  // One classifier lives as long as a receiver thread does; the other starts clean, so
  // state left behind by earlier bodies cannot change an outcome.
  static Classifier warm;
  Classifier fresh;
  Message message = warm.Classify(MakeDelivery(body));
  CheckMessage(message, body);
  std::string description = Describe(message);

  Message again = fresh.Classify(MakeDelivery(body));
  Expect(Describe(again) == description, "classification depends on earlier bodies",
         fmt::format("warm:  {}\nfresh: {}", description, Describe(again)));

  CheckRoundTrip(message, &fresh);
  CheckEnvelope(message, body, &fresh);
}

}  // namespace
}  // namespace amstream::ams

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  amstream::ams::CheckBody(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
