#include "gen/generator.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "common/time.h"
#include "gen/body.h"
#include "gen/catalog.h"

namespace amstream::gen {
namespace {

// How many earlier bodies and records duplicates, restatements and corrections draw from.
constexpr size_t kRecentCapacity = 1024;
// Keeps every id at 15 digits (gen/catalog.cc) and the catalog's vectors small.
constexpr int64_t kMaxKeywords = 1'000'000'000'000;

// A fixed-size buffer that keeps the last `capacity` items pushed.
template <typename T>
class Ring {
 public:
  void Push(T item) {
    if (items_.size() < kRecentCapacity) {
      items_.push_back(std::move(item));
    } else {
      items_[next_] = std::move(item);
    }
    next_ = (next_ + 1) % kRecentCapacity;
  }
  bool empty() const { return items_.empty(); }
  const T& Pick(Random& random) const { return items_[random.Below(items_.size())]; }

 private:
  std::vector<T> items_;
  size_t next_ = 0;
};

Status CheckRate(std::string_view name, double rate) {
  if (!(rate >= 0.0 && rate <= 1.0)) {  // also rejects NaN
    return InvalidError(std::string(name) + " must be between 0 and 1");
  }
  return Status::Ok();
}

Status CheckCount(std::string_view name, int64_t value, int64_t max) {
  if (value < 1 || value > max) {
    return InvalidError(std::string(name) + " must be between 1 and " + std::to_string(max));
  }
  return Status::Ok();
}

Shape ShapeOf(const Options& options, int64_t start_days) {
  return {options.advertisers,
          options.campaigns_per_advertiser,
          options.ad_groups_per_campaign,
          options.keywords_per_ad_group,
          options.hours,
          start_days};
}

// Produces the bodies one at a time and keeps the totals of what it produced.
class Engine {
 public:
  Engine(const Options& options, int64_t start_days)
      : options_(options),
        catalog_(ShapeOf(options, start_days), options.seed),
        random_(options.seed) {}

  Result<ExpectedTotals> Run(const BodySink& sink) {
    for (int64_t i = 0; i < options_.messages; ++i) {
      AMSTREAM_RETURN_IF_ERROR(Deliver(NextBody(), sink));
    }
    AMSTREAM_RETURN_IF_ERROR(Drain(sink));
    return std::move(totals_);
  }

 private:
  std::string NextBody();
  GenRecord NewOriginal();
  GenRecord NewTraffic(const Slot& slot);
  GenRecord NewConversion(const Slot& slot);
  Order NewOrder();
  GenRecord Correction(const GenRecord& original);
  std::string Render(const GenRecord& record);
  Status Deliver(std::string body, const BodySink& sink);
  Status Drain(const BodySink& sink);

  Options options_;
  Catalog catalog_;
  Random random_;
  ExpectedTotals totals_;
  Ring<GenRecord> recent_records_;  // originals only: what restatements and corrections use
  Ring<std::string> recent_bodies_;
  std::vector<std::string> window_;  // bodies waiting for their shuffled turn
};

std::string Engine::NextBody() {
  EmissionCounts& counts = totals_.counts;
  counts.bodies += 1;
  double draw = random_.Unit();
  if (draw < options_.duplicate_rate && !recent_bodies_.empty()) {
    counts.duplicates += 1;
    std::string body = recent_bodies_.Pick(random_);
    counts.envelopes += body.starts_with("{\"Type\":") ? 1 : 0;
    return body;
  }

  draw -= options_.duplicate_rate;
  GenRecord record;
  if (draw >= 0 && draw < options_.restatement_rate && !recent_records_.empty()) {
    counts.restatements += 1;
    record = recent_records_.Pick(random_);
    record.idempotency_id = NewUuid(random_);
  } else if (draw >= options_.restatement_rate &&
             draw < options_.restatement_rate + options_.correction_rate &&
             !recent_records_.empty()) {
    counts.corrections += 1;
    record = Correction(recent_records_.Pick(random_));
  } else {
    counts.originals += 1;
    record = NewOriginal();
    recent_records_.Push(record);
  }
  std::string body = Render(record);
  recent_bodies_.Push(body);
  return body;
}

GenRecord Engine::NewOriginal() {
  Slot slot = catalog_.PickSlot(random_);
  return random_.Chance(options_.traffic_share) ? NewTraffic(slot) : NewConversion(slot);
}

// Impressions spread log-uniformly over 1..3000, a click-through rate of 0.2–3 % and a
// cost per click of 15–250 price steps (cents, or yen in Japan).
GenRecord Engine::NewTraffic(const Slot& slot) {
  GenRecord record;
  record.idempotency_id = NewUuid(random_);
  record.slot = slot;
  record.impressions = static_cast<int64_t>(std::exp(random_.Unit() * std::log(3000.0)));
  double ctr = 0.002 + 0.028 * random_.Unit();
  record.clicks =
      static_cast<int64_t>(static_cast<double>(record.impressions) * ctr + random_.Unit());
  int64_t step = catalog_.MarketplaceOf(slot.advertiser).money_step_micros;
  record.cpc_micros = random_.Between(15, 250) * step;
  record.cost_micros = record.clicks * record.cpc_micros;
  return record;
}

GenRecord Engine::NewConversion(const Slot& slot) {
  GenRecord record;
  record.idempotency_id = NewUuid(random_);
  record.is_conversion = true;
  record.slot = slot;
  record.order_count = random_.Chance(0.8) ? 1 : static_cast<size_t>(random_.Between(2, 3));
  int64_t step = catalog_.MarketplaceOf(slot.advertiser).money_step_micros;
  for (size_t i = 0; i < record.order_count; ++i) {
    record.orders[i] = NewOrder();
    record.orders[i].sales_micros *= step;
  }
  return record;
}

// Most orders come within a day of the click, fewer in each longer window; the amount is
// in price steps (5.99–89.99 per unit where the step is a cent).
Order Engine::NewOrder() {
  Order order;
  double when = random_.Unit();
  order.window = when < 0.6 ? 0 : when < 0.85 ? 1 : when < 0.95 ? 2 : 3;
  order.units = random_.Chance(0.75) ? 1 : random_.Between(2, 3);
  order.sales_micros = order.units * random_.Between(599, 8999);
  order.same_sku = random_.Chance(0.8);
  return order;
}

// Traffic: invalid clicks removed with their cost (or, without clicks, impressions).
// Conversion: one of the record's orders returned, in the windows that counted it.
GenRecord Engine::Correction(const GenRecord& original) {
  GenRecord record = original;
  record.idempotency_id = NewUuid(random_);
  if (original.is_conversion) {
    Order returned = original.orders[random_.Below(original.order_count)];
    returned.conversions = -returned.conversions;
    returned.units = -returned.units;
    returned.sales_micros = -returned.sales_micros;
    record.orders[0] = returned;
    record.order_count = 1;
    return record;
  }
  if (original.clicks > 0) {
    record.clicks = -random_.Between(1, std::min<int64_t>(original.clicks, 3));
    record.impressions = 0;
    record.cost_micros = record.clicks * original.cpc_micros;
  } else {
    record.impressions = -random_.Between(1, std::max<int64_t>(1, original.impressions / 10));
  }
  return record;
}

// Counts the record in the totals, then writes it, maybe inside an SNS envelope that AMS
// delivered between 10 minutes and 12 hours after the hour ended.
std::string Engine::Render(const GenRecord& record) {
  LocalHour hour = catalog_.HourOf(record.slot);
  DayKey day{catalog_.AdvertiserId(record.slot.advertiser), FormatDate(hour.local_days)};
  if (record.is_conversion) {
    totals_.AddConversion(day, ConversionMetrics(record));
  } else {
    totals_.AddTraffic(day, record.impressions, record.clicks, record.cost_micros);
  }

  std::string json;
  AppendRecordJson(catalog_, record, hour, &json);
  if (!random_.Chance(options_.envelope_rate)) {
    return json;
  }
  totals_.counts.envelopes += 1;
  int64_t sent_ms = hour.epoch_ms + 3'600'000 + random_.Between(600'000, 43'200'000);
  std::string body;
  AppendEnvelope(catalog_.MarketplaceOf(record.slot.advertiser), record.is_conversion, json,
                 NewUuid(random_), sent_ms, &body);
  return body;
}

// Once the window is full, the new body takes the place of a random waiting one, which
// is delivered instead.
Status Engine::Deliver(std::string body, const BodySink& sink) {
  if (window_.size() < options_.shuffle_window) {
    window_.push_back(std::move(body));
    return Status::Ok();
  }
  std::swap(window_[random_.Below(window_.size())], body);
  return sink(body);
}

Status Engine::Drain(const BodySink& sink) {
  while (!window_.empty()) {
    std::swap(window_[random_.Below(window_.size())], window_.back());
    AMSTREAM_RETURN_IF_ERROR(sink(window_.back()));
    window_.pop_back();
  }
  return Status::Ok();
}

}  // namespace

Status ValidateOptions(const Options& options) {
  AMSTREAM_RETURN_IF_ERROR(CheckCount("advertisers", options.advertisers, 100'000));
  AMSTREAM_RETURN_IF_ERROR(
      CheckCount("campaigns per advertiser", options.campaigns_per_advertiser, 100'000));
  AMSTREAM_RETURN_IF_ERROR(
      CheckCount("ad groups per campaign", options.ad_groups_per_campaign, 100'000));
  AMSTREAM_RETURN_IF_ERROR(
      CheckCount("keywords per ad group", options.keywords_per_ad_group, 100'000));
  AMSTREAM_RETURN_IF_ERROR(CheckCount("hours", options.hours, 24 * 366 * 10));
  AMSTREAM_RETURN_IF_ERROR(CheckCount(
      "shuffle window", static_cast<int64_t>(std::min<size_t>(options.shuffle_window, 1 << 30)),
      1'000'000));
  double keywords = static_cast<double>(options.advertisers) * options.campaigns_per_advertiser *
                    options.ad_groups_per_campaign * options.keywords_per_ad_group;
  if (keywords > static_cast<double>(kMaxKeywords)) {
    return InvalidError("too many keywords in total (at most 10^12)");
  }
  if (options.messages < 0) {
    return InvalidError("messages must not be negative");
  }
  AMSTREAM_RETURN_IF_ERROR(CheckRate("traffic share", options.traffic_share));
  AMSTREAM_RETURN_IF_ERROR(CheckRate("duplicate rate", options.duplicate_rate));
  AMSTREAM_RETURN_IF_ERROR(CheckRate("restatement rate", options.restatement_rate));
  AMSTREAM_RETURN_IF_ERROR(CheckRate("correction rate", options.correction_rate));
  AMSTREAM_RETURN_IF_ERROR(CheckRate("envelope rate", options.envelope_rate));
  AMSTREAM_RETURN_IF_ERROR(
      CheckRate("duplicate + restatement + correction rate",
                options.duplicate_rate + options.restatement_rate + options.correction_rate));
  return ParseDate(options.start_date).status().WithContext("start date");
}

Result<ExpectedTotals> Generate(const Options& options, const BodySink& sink) {
  AMSTREAM_RETURN_IF_ERROR(ValidateOptions(options));
  Engine engine(options, *ParseDate(options.start_date));
  return engine.Run(sink);
}

}  // namespace amstream::gen
