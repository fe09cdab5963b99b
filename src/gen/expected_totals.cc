#include "gen/expected_totals.h"

#include <utility>
#include <vector>

#include "json/json.h"

namespace amstream::gen {
namespace {

template <typename T>
using IntField = std::pair<std::string_view, int64_t T::*>;

constexpr std::array<IntField<EmissionCounts>, 6> kCountFields = {{
    {"bodies", &EmissionCounts::bodies},
    {"originals", &EmissionCounts::originals},
    {"duplicates", &EmissionCounts::duplicates},
    {"restatements", &EmissionCounts::restatements},
    {"corrections", &EmissionCounts::corrections},
    {"envelopes", &EmissionCounts::envelopes},
}};

constexpr std::array<IntField<TrafficTotals>, 4> kTrafficFields = {{
    {"records", &TrafficTotals::records},
    {"impressions", &TrafficTotals::impressions},
    {"clicks", &TrafficTotals::clicks},
    {"cost_micros", &TrafficTotals::cost_micros},
}};

constexpr std::array<IntField<DayTotals>, 5> kDayFields = {{
    {"impressions", &DayTotals::impressions},
    {"clicks", &DayTotals::clicks},
    {"cost_micros", &DayTotals::cost_micros},
    {"attributed_conversions_7d", &DayTotals::conversions_7d},
    {"attributed_sales_7d_micros", &DayTotals::sales_7d_micros},
}};

// The JSON key of a conversion metric: money metrics carry a "_micros" suffix.
std::string MetricKey(size_t index) {
  std::string key(ams::kConversionMetrics[index].name);
  return ams::kConversionMetrics[index].is_money ? key + "_micros" : key;
}

void AppendMember(std::string* out, std::string_view key, int64_t value) {
  json::AppendString(out, key);
  out->append(": ").append(std::to_string(value));
}

// Writes `"name": {` then one member per line, for the small top-level objects.
template <typename T, size_t N>
void AppendBlock(std::string* out, std::string_view name, const T& value,
                 const std::array<IntField<T>, N>& fields) {
  out->append("  ");
  json::AppendString(out, name);
  out->append(": {");
  for (size_t i = 0; i < N; ++i) {
    out->append(i == 0 ? "\n    " : ",\n    ");
    AppendMember(out, fields[i].first, value.*fields[i].second);
  }
  out->append("\n  },\n");
}

void AppendConversionBlock(std::string* out, const ConversionTotals& conversion) {
  out->append("  \"conversion\": {\n    ");
  AppendMember(out, "records", conversion.records);
  for (size_t i = 0; i < conversion.metrics.size(); ++i) {
    out->append(",\n    ");
    AppendMember(out, MetricKey(i), conversion.metrics[i]);
  }
  out->append("\n  },\n");
}

void AppendDay(std::string* out, const DayKey& key, const DayTotals& day) {
  out->append("    {\"advertiser_id\": ");
  json::AppendString(out, key.advertiser_id);
  out->append(", \"date\": ");
  json::AppendString(out, key.date);
  for (const auto& [name, member] : kDayFields) {
    out->append(", ");
    AppendMember(out, name, day.*member);
  }
  out->push_back('}');
}

Result<int64_t> ReadInt(const json::Value& object, std::string_view key) {
  std::optional<json::Value> value = object.Find(key);
  if (!value) {
    return InvalidError("missing field " + std::string(key));
  }
  Result<int64_t> number = value->GetInt64();
  if (!number.ok()) {
    return number.status().WithContext("field " + std::string(key));
  }
  return number;
}

Result<json::Value> ReadObject(const json::Value& parent, std::string_view key) {
  std::optional<json::Value> value = parent.Find(key);
  if (!value || value->kind() != json::Kind::kObject) {
    return InvalidError("missing object " + std::string(key));
  }
  return *value;
}

template <typename T, size_t N>
Result<T> ReadFields(const json::Value& object, const std::array<IntField<T>, N>& fields) {
  T out;
  for (const auto& [name, member] : fields) {
    Result<int64_t> value = ReadInt(object, name);
    if (!value.ok()) {
      return value.status();
    }
    out.*member = *value;
  }
  return out;
}

template <typename T, size_t N>
Result<T> ReadBlock(const json::Value& root, std::string_view key,
                    const std::array<IntField<T>, N>& fields) {
  Result<json::Value> object = ReadObject(root, key);
  if (!object.ok()) {
    return object.status();
  }
  Result<T> out = ReadFields(*object, fields);
  return out.ok() ? out : Result<T>(out.status().WithContext(key));
}

Result<ConversionTotals> ReadConversion(const json::Value& root) {
  Result<json::Value> object = ReadObject(root, "conversion");
  if (!object.ok()) {
    return object.status();
  }
  ConversionTotals out;
  Result<int64_t> records = ReadInt(*object, "records");
  if (!records.ok()) {
    return records.status().WithContext("conversion");
  }
  out.records = *records;
  for (size_t i = 0; i < out.metrics.size(); ++i) {
    Result<int64_t> value = ReadInt(*object, MetricKey(i));
    if (!value.ok()) {
      return value.status().WithContext("conversion");
    }
    out.metrics[i] = *value;
  }
  return out;
}

Status ReadDay(const json::Value& element, std::map<DayKey, DayTotals>* days) {
  std::optional<json::Value> advertiser = element.Find("advertiser_id");
  std::optional<json::Value> date = element.Find("date");
  if (!advertiser || !date || !advertiser->GetString().ok() || !date->GetString().ok()) {
    return InvalidError("days: entry without advertiser_id and date strings");
  }
  Result<DayTotals> totals = ReadFields(element, kDayFields);
  if (!totals.ok()) {
    return totals.status().WithContext("days");
  }
  DayKey key{std::string(*advertiser->GetString()), std::string(*date->GetString())};
  (*days)[std::move(key)] = *totals;
  return Status::Ok();
}

}  // namespace

void ExpectedTotals::AddTraffic(const DayKey& day, int64_t impressions, int64_t clicks,
                                int64_t cost_micros) {
  traffic.records += 1;
  traffic.impressions += impressions;
  traffic.clicks += clicks;
  traffic.cost_micros += cost_micros;
  DayTotals& totals = days[day];
  totals.impressions += impressions;
  totals.clicks += clicks;
  totals.cost_micros += cost_micros;
}

void ExpectedTotals::AddConversion(
    const DayKey& day, const std::array<int64_t, ams::kConversionMetricCount>& metrics) {
  conversion.records += 1;
  for (size_t i = 0; i < metrics.size(); ++i) {
    conversion.metrics[i] += metrics[i];
  }
  DayTotals& totals = days[day];
  totals.conversions_7d +=
      metrics[static_cast<size_t>(ams::ConversionMetricIndex("attributed_conversions_7d"))];
  totals.sales_7d_micros +=
      metrics[static_cast<size_t>(ams::ConversionMetricIndex("attributed_sales_7d"))];
}

std::string ExpectedTotals::ToJson() const {
  std::string out = "{\n";
  AppendBlock(&out, "counts", counts, kCountFields);
  AppendBlock(&out, "traffic", traffic, kTrafficFields);
  AppendConversionBlock(&out, conversion);
  out.append("  \"days\": [");
  bool first = true;
  for (const auto& [key, day] : days) {
    out.append(first ? "\n" : ",\n");
    AppendDay(&out, key, day);
    first = false;
  }
  out.append(days.empty() ? "]\n}\n" : "\n  ]\n}\n");
  return out;
}

Result<ExpectedTotals> ExpectedTotals::FromJson(std::string_view text) {
  json::Parser parser;
  Result<json::Value> root = parser.Parse(text);
  if (!root.ok()) {
    return root.status().WithContext("expected totals");
  }
  ExpectedTotals out;
  Result<EmissionCounts> counts = ReadBlock(*root, "counts", kCountFields);
  Result<TrafficTotals> traffic = ReadBlock(*root, "traffic", kTrafficFields);
  Result<ConversionTotals> conversion = ReadConversion(*root);
  for (const Status* status : {&counts.status(), &traffic.status(), &conversion.status()}) {
    if (!status->ok()) {
      return status->WithContext("expected totals");
    }
  }
  out.counts = *counts;
  out.traffic = *traffic;
  out.conversion = *conversion;

  std::optional<json::Value> days = root->Find("days");
  if (!days || days->kind() != json::Kind::kArray) {
    return InvalidError("expected totals: missing array days");
  }
  AMSTREAM_RETURN_IF_ERROR(days->ForEachElement(
      [&out](const json::Value& element) { return ReadDay(element, &out.days); }));
  return out;
}

}  // namespace amstream::gen
