// Reading raw AMS records and blog events into typed values.
#include <fmt/format.h>

#include <span>

#include "ams/classify.h"
#include "common/money.h"
#include "common/time.h"

namespace amstream::ams {
namespace {

Status FieldError(std::string_view dataset, std::string_view field, std::string_view what) {
  return InvalidError(fmt::format("{}: field {}: {}", dataset, field, what));
}

// Ids are documented as strings that look numeric; a bare integer is accepted as its
// digits, and null or absent as empty. A NUL character is refused here because no
// store can keep it in a text column.
Status ReadText(const json::Value& value, std::string_view dataset, std::string_view field,
                std::string* out) {
  switch (value.kind()) {
    case json::Kind::kString: {
      std::string_view text = *value.GetString();
      if (text.find('\0') != std::string_view::npos) {
        return FieldError(dataset, field, "contains a NUL character");
      }
      *out = text;
      return Status::Ok();
    }
    case json::Kind::kInt: {
      // Integers between 2^63 and 2^64 are kInt too but do not fit an int64.
      Result<int64_t> number = value.GetInt64();
      if (!number.ok()) {
        return FieldError(dataset, field, "expected a string or an integer within 64 bits");
      }
      *out = std::to_string(*number);
      return Status::Ok();
    }
    case json::Kind::kNull:
      out->clear();
      return Status::Ok();
    default:
      return FieldError(dataset, field, "expected a string");
  }
}

// A null or missing metric counts as 0 (ams.md §3.1).
Status ReadCount(const json::Value& value, std::string_view dataset, std::string_view field,
                 int64_t* out) {
  if (value.is_null()) {
    *out = 0;
    return Status::Ok();
  }
  Result<int64_t> count = value.GetInt64();
  if (!count.ok()) {
    return FieldError(dataset, field, count.status().message());
  }
  *out = *count;
  return Status::Ok();
}

Status ReadMoney(const json::Value& value, std::string_view dataset, std::string_view field,
                 int64_t* out) {
  if (value.is_null()) {
    *out = 0;
    return Status::Ok();
  }
  Result<double> number = value.GetDouble();
  if (!number.ok()) {
    return FieldError(dataset, field, "expected a number");
  }
  Result<int64_t> micros = MicrosFromDouble(*number);
  if (!micros.ok()) {
    return FieldError(dataset, field, micros.status().message());
  }
  *out = *micros;
  return Status::Ok();
}

template <typename Record>
struct TextField {
  std::string_view name;
  std::string Record::*member;
  bool required;
};

// Fields shared by both performance datasets; the key fields other than ids may be
// absent for some placements, so only the identity of the row is required.
template <typename Record>
constexpr TextField<Record> kCommonFields[] = {
    {"idempotency_id", &Record::idempotency_id, true},
    {"advertiser_id", &Record::advertiser_id, true},
    {"marketplace_id", &Record::marketplace_id, true},
    {"campaign_id", &Record::campaign_id, true},
    {"ad_group_id", &Record::ad_group_id, false},
    {"ad_id", &Record::ad_id, false},
    {"keyword_id", &Record::keyword_id, false},
    {"placement", &Record::placement, false},
    {"currency", &Record::currency, false},
};

constexpr TextField<TrafficRecord> kTrafficOnlyFields[] = {
    {"keyword_text", &TrafficRecord::keyword_text, false},
    {"match_type", &TrafficRecord::match_type, false},
};

// Reads `field` into `record` if it is one of `fields`; *matched tells whether it was.
template <typename Record>
Status ReadTextField(std::span<const TextField<Record>> fields, std::string_view dataset,
                     std::string_view key, const json::Value& value, Record* record,
                     bool* matched) {
  for (const TextField<Record>& field : fields) {
    if (field.name == key) {
      *matched = true;
      return ReadText(value, dataset, key, &(record->*field.member));
    }
  }
  return Status::Ok();
}

template <typename Record>
Status ReadWindow(const json::Value& value, std::string_view dataset, Record* record) {
  std::string text;
  AMSTREAM_RETURN_IF_ERROR(ReadText(value, dataset, "time_window_start", &text));
  Result<Timestamp> ts = ParseTimestamp(text);
  if (!ts.ok()) {
    return FieldError(dataset, "time_window_start", ts.status().message());
  }
  record->time_window_start_ms = ts->epoch_ms;
  record->utc_offset_minutes = ts->utc_offset_minutes;
  return Status::Ok();
}

// Checks what every record needs after all fields were read.
template <typename Record>
Status CheckRequired(const Record& record, std::string_view dataset, bool saw_window) {
  for (const TextField<Record>& field : kCommonFields<Record>) {
    if (field.required && (record.*field.member).empty()) {
      return FieldError(dataset, field.name, "missing");
    }
  }
  if (!saw_window) {
    return FieldError(dataset, "time_window_start", "missing");
  }
  return Status::Ok();
}

}  // namespace

Result<TrafficRecord> ReadTraffic(const json::Value& root) {
  TrafficRecord record;
  bool saw_window = false;
  Status status = root.ForEachField([&](std::string_view key, const json::Value& value) {
    bool matched = false;
    AMSTREAM_RETURN_IF_ERROR(ReadTextField<TrafficRecord>(kCommonFields<TrafficRecord>, kSpTraffic,
                                                          key, value, &record, &matched));
    AMSTREAM_RETURN_IF_ERROR(ReadTextField<TrafficRecord>(kTrafficOnlyFields, kSpTraffic, key,
                                                          value, &record, &matched));
    if (matched) {
      return Status::Ok();
    }
    if (key == "time_window_start") {
      saw_window = true;
      return ReadWindow(value, kSpTraffic, &record);
    }
    if (key == "clicks") return ReadCount(value, kSpTraffic, key, &record.clicks);
    if (key == "impressions") return ReadCount(value, kSpTraffic, key, &record.impressions);
    if (key == "cost") return ReadMoney(value, kSpTraffic, key, &record.cost_micros);
    return Status::Ok();  // unknown fields are ignored: AMS adds fields without notice
  });
  AMSTREAM_RETURN_IF_ERROR(status);
  AMSTREAM_RETURN_IF_ERROR(CheckRequired(record, kSpTraffic, saw_window));
  return record;
}

Result<ConversionRecord> ReadConversion(const json::Value& root) {
  ConversionRecord record;
  bool saw_window = false;
  Status status = root.ForEachField([&](std::string_view key, const json::Value& value) {
    bool matched = false;
    AMSTREAM_RETURN_IF_ERROR(ReadTextField<ConversionRecord>(
        kCommonFields<ConversionRecord>, kSpConversion, key, value, &record, &matched));
    if (matched) {
      return Status::Ok();
    }
    if (key == "time_window_start") {
      saw_window = true;
      return ReadWindow(value, kSpConversion, &record);
    }
    int index = ConversionMetricIndex(key);
    if (index < 0) {
      return Status::Ok();
    }
    auto slot = static_cast<size_t>(index);
    return kConversionMetrics[slot].is_money
               ? ReadMoney(value, kSpConversion, key, &record.metrics[slot])
               : ReadCount(value, kSpConversion, key, &record.metrics[slot]);
  });
  AMSTREAM_RETURN_IF_ERROR(status);
  AMSTREAM_RETURN_IF_ERROR(CheckRequired(record, kSpConversion, saw_window));
  return record;
}

Result<BlogEvent> ReadBlogEvent(const json::Value& root, int64_t event_ms) {
  constexpr std::string_view kBlog = "blog event";
  BlogEvent event;
  event.event_ms = event_ms;
  std::string date;
  std::optional<json::Value> records;
  Status status = root.ForEachField([&](std::string_view key, const json::Value& value) {
    if (key == "datasetType") return ReadText(value, kBlog, key, &event.dataset_type);
    if (key == "profileId") return ReadText(value, kBlog, key, &event.profile_id);
    if (key == "date") return ReadText(value, kBlog, key, &date);
    if (key == "records") records = value;
    return Status::Ok();
  });
  AMSTREAM_RETURN_IF_ERROR(status);
  if (event.profile_id.empty()) {
    return FieldError(kBlog, "profileId", "missing");
  }
  Result<int64_t> days = ParseDate(date);
  if (!days.ok()) {
    return FieldError(kBlog, "date", days.status().message());
  }
  event.date_days = *days;
  if (!records || records->kind() != json::Kind::kArray) {
    return FieldError(kBlog, "records", "expected an array");
  }
  status = records->ForEachElement([&](const json::Value& element) {
    BlogRow row;
    AMSTREAM_RETURN_IF_ERROR(
        element.ForEachField([&](std::string_view key, const json::Value& value) {
          if (key == "campaignId") return ReadText(value, kBlog, key, &row.campaign_id);
          if (key == "impressions") return ReadCount(value, kBlog, key, &row.impressions);
          if (key == "clicks") return ReadCount(value, kBlog, key, &row.clicks);
          if (key == "cost") return ReadMoney(value, kBlog, key, &row.cost_micros);
          if (key == "attributedSales") return ReadMoney(value, kBlog, key, &row.sales_micros);
          return Status::Ok();
        }));
    if (row.campaign_id.empty()) {
      return FieldError(kBlog, "records[].campaignId", "missing");
    }
    event.rows.push_back(std::move(row));
    return Status::Ok();
  });
  AMSTREAM_RETURN_IF_ERROR(status);
  return event;
}

}  // namespace amstream::ams
