#include "gen/catalog.h"

#include <cstdlib>
#include <set>

#include "common/time.h"

namespace amstream::gen {
namespace {

constexpr int64_t kSecondsPerDay = 86'400;
constexpr uint64_t kIdSpan = 100'000'000'000'000;  // ids are 15 digits: prefix + 14

// NA advertisers deliver from us-east-1, EU from eu-west-1, FE from us-west-2 (ams.md §1).
constexpr std::array<Marketplace, 5> kMarketplaces = {{
    {"ATVPDKIKX0DER", "USD", "us-east-1", -480, DstRule::kUnitedStates, 10'000},
    {"A1F83G8C2ARO7P", "GBP", "eu-west-1", 0, DstRule::kEuropeanUnion, 10'000},
    {"A1PA6795UKMFR9", "EUR", "eu-west-1", 60, DstRule::kEuropeanUnion, 10'000},
    {"A2EUQ1WTGCTBG2", "CAD", "us-east-1", -480, DstRule::kUnitedStates, 10'000},
    {"A1VC38T7YXB528", "JPY", "us-west-2", 540, DstRule::kNone, 1'000'000},
}};

constexpr std::array<std::string_view, 10> kModifiers = {
    "stainless steel", "insulated", "kids",       "bpa free",    "glass",
    "large",           "leakproof", "café style", "collapsible", "sports"};
constexpr std::array<std::string_view, 8> kNouns = {"water bottle",   "lunch box",  "coffee mug",
                                                    "travel tumbler", "thermos",    "ice pack",
                                                    "shaker cup",     "tea infuser"};
constexpr std::array<std::string_view, 4> kPredefined = {"close-match", "loose-match",
                                                         "substitutes", "complements"};
constexpr std::array<std::string_view, 4> kPlacements = {
    "Top of Search on-Amazon", "Detail Page on-Amazon", "Other on-Amazon", "Off Amazon"};
constexpr std::string_view kAlphanumeric = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

// splitmix64's finalizer: a good 64-bit mix of any input.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// 0 for Sunday through 6 for Saturday; 1970-01-01 was a Thursday.
int64_t Weekday(int64_t days) { return ((days + 4) % 7 + 7) % 7; }

int64_t FirstSundayFrom(int64_t days) { return days + (7 - Weekday(days)) % 7; }

int64_t LastSundayOf(int64_t year, unsigned month) {
  int64_t last = DaysFromCivil(year, month + 1, 1) - 1;
  return last - Weekday(last);
}

int64_t YearOfDays(int64_t days) {
  int64_t year = 1970 + FloorDiv(days * 400, 146'097);
  while (DaysFromCivil(year, 1, 1) > days) {
    --year;
  }
  while (DaysFromCivil(year + 1, 1, 1) <= days) {
    ++year;
  }
  return year;
}

void AppendTwoDigits(std::string* out, int64_t value) {
  out->push_back(static_cast<char>('0' + value / 10));
  out->push_back(static_cast<char>('0' + value % 10));
}

std::string RandomAdvertiserId(Random& random) {
  std::string id = "A";
  for (int i = 0; i < 13; ++i) {
    id.push_back(kAlphanumeric[random.Below(kAlphanumeric.size())]);
  }
  return id;
}

}  // namespace

Random::Random(uint64_t seed) {
  for (uint64_t& word : state_) {
    seed += 0x9e3779b97f4a7c15ULL;
    word = Mix(seed);
  }
}

uint64_t Random::Next() {
  auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  uint64_t result = rotl(state_[1] * 5, 7) * 9;
  uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

// The modulo bias is below n / 2^64, far under anything a test can see.
uint64_t Random::Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }

int64_t Random::Between(int64_t lo, int64_t hi) {
  uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + Below(span));
}

double Random::Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

bool Random::Chance(double p) { return Unit() < p; }

int32_t UtcOffsetAt(const Marketplace& marketplace, int64_t epoch_seconds) {
  int32_t standard = marketplace.standard_offset_minutes;
  int64_t year = YearOfDays(FloorDiv(epoch_seconds + standard * 60, kSecondsPerDay));
  int64_t start = 0;
  int64_t end = 0;
  switch (marketplace.dst) {
    case DstRule::kNone:
      return standard;
    case DstRule::kUnitedStates:
      // 02:00 local standard time on the second Sunday of March until 02:00 local
      // daylight time on the first Sunday of November.
      start =
          (FirstSundayFrom(DaysFromCivil(year, 3, 1)) + 7) * kSecondsPerDay + 7200 - standard * 60;
      end = FirstSundayFrom(DaysFromCivil(year, 11, 1)) * kSecondsPerDay + 7200 -
            (standard + 60) * 60;
      break;
    case DstRule::kEuropeanUnion:
      // 01:00 UTC on the last Sunday of March until 01:00 UTC on the last Sunday of October.
      start = LastSundayOf(year, 3) * kSecondsPerDay + 3600;
      end = LastSundayOf(year, 10) * kSecondsPerDay + 3600;
      break;
  }
  return epoch_seconds >= start && epoch_seconds < end ? standard + 60 : standard;
}

Catalog::Catalog(const Shape& shape, uint64_t seed) : shape_(shape), seed_(seed) {
  Random random(Mix(seed ^ 0xca7a1006ULL));
  id_base_ = random.Below(kIdSpan / 10);
  std::set<std::string> taken;
  for (int a = 0; a < shape.advertisers; ++a) {
    std::string id = RandomAdvertiserId(random);
    while (!taken.insert(id).second) {
      id = RandomAdvertiserId(random);
    }
    const Marketplace& marketplace = kMarketplaces[static_cast<size_t>(a) % kMarketplaces.size()];
    int64_t midnight = shape.start_days * kSecondsPerDay;
    int32_t offset = UtcOffsetAt(marketplace, midnight - marketplace.standard_offset_minutes * 60);
    advertiser_ids_.push_back(std::move(id));
    marketplaces_.push_back(&marketplace);
    start_seconds_.push_back(midnight - offset * 60);
  }
}

Slot Catalog::PickSlot(Random& random) const {
  auto below = [&random](int n) {
    return static_cast<uint32_t>(random.Below(static_cast<uint64_t>(n)));
  };
  Slot slot;
  slot.advertiser = below(shape_.advertisers);
  slot.campaign = below(shape_.campaigns_per_advertiser);
  slot.ad_group = below(shape_.ad_groups_per_campaign);
  slot.keyword = below(shape_.keywords_per_ad_group);
  slot.ad = static_cast<uint32_t>(random.Below(kAdsPerAdGroup));
  slot.placement = static_cast<uint32_t>(random.Below(kPlacements.size()));
  slot.hour = below(shape_.hours);
  return slot;
}

const std::string& Catalog::AdvertiserId(uint32_t advertiser) const {
  return advertiser_ids_[advertiser];
}

const Marketplace& Catalog::MarketplaceOf(uint32_t advertiser) const {
  return *marketplaces_[advertiser];
}

LocalHour Catalog::HourOf(const Slot& slot) const {
  int64_t start = start_seconds_[slot.advertiser] + int64_t{slot.hour} * 3600;
  LocalHour hour;
  hour.epoch_ms = start * 1000;
  hour.utc_offset_minutes = UtcOffsetAt(MarketplaceOf(slot.advertiser), start);
  int64_t local = start + hour.utc_offset_minutes * 60;
  hour.local_days = FloorDiv(local, kSecondsPerDay);

  hour.text = FormatDate(hour.local_days);
  hour.text.push_back('T');
  AppendTwoDigits(&hour.text, (local - hour.local_days * kSecondsPerDay) / 3600);
  hour.text.append(":00:00");
  hour.text.push_back(hour.utc_offset_minutes < 0 ? '-' : '+');
  int64_t magnitude = std::abs(hour.utc_offset_minutes);
  AppendTwoDigits(&hour.text, magnitude / 60);
  hour.text.push_back(':');
  AppendTwoDigits(&hour.text, magnitude % 60);
  return hour;
}

uint64_t Catalog::CampaignIndex(const Slot& slot) const {
  return uint64_t{slot.advertiser} * static_cast<uint64_t>(shape_.campaigns_per_advertiser) +
         slot.campaign;
}

uint64_t Catalog::AdGroupIndex(const Slot& slot) const {
  return CampaignIndex(slot) * static_cast<uint64_t>(shape_.ad_groups_per_campaign) + slot.ad_group;
}

uint64_t Catalog::KeywordIndex(const Slot& slot) const {
  return AdGroupIndex(slot) * static_cast<uint64_t>(shape_.keywords_per_ad_group) + slot.keyword;
}

std::string Catalog::CampaignId(const Slot& slot) const {
  return std::to_string(3 * kIdSpan + id_base_ + CampaignIndex(slot));
}

std::string Catalog::AdGroupId(const Slot& slot) const {
  return std::to_string(4 * kIdSpan + id_base_ + AdGroupIndex(slot));
}

std::string Catalog::AdId(const Slot& slot) const {
  return std::to_string(5 * kIdSpan + id_base_ + AdGroupIndex(slot) * kAdsPerAdGroup + slot.ad);
}

// Keywords start with 6, product and auto targets with 7, as in AMS samples.
std::string Catalog::KeywordId(const Slot& slot) const {
  uint64_t prefix = MatchType(slot).starts_with("TARGETING") ? 7 : 6;
  return std::to_string(prefix * kIdSpan + id_base_ + KeywordIndex(slot));
}

std::string Catalog::KeywordText(const Slot& slot) const {
  uint64_t hash = Mix(seed_ ^ Mix(KeywordIndex(slot)));
  std::string_view match_type = MatchType(slot);
  if (match_type == "TARGETING_EXPRESSION_PREDEFINED") {
    return std::string(kPredefined[(hash >> 8) % kPredefined.size()]);
  }
  if (match_type == "TARGETING_EXPRESSION") {
    std::string asin = "asin=\"B0";
    for (int i = 0; i < 8; ++i, hash /= kAlphanumeric.size()) {
      asin.push_back(kAlphanumeric[hash % kAlphanumeric.size()]);
    }
    return asin + "\"";
  }
  std::string text(kModifiers[(hash >> 8) % kModifiers.size()]);
  text.push_back(' ');
  text.append(kNouns[(hash >> 24) % kNouns.size()]);
  return text;
}

std::string_view Catalog::MatchType(const Slot& slot) const {
  switch (Mix(seed_ ^ Mix(KeywordIndex(slot))) % 10) {
    case 0:
    case 1:
    case 2:
      return "EXACT";
    case 3:
    case 4:
      return "PHRASE";
    case 5:
    case 6:
      return "BROAD";
    case 7:
    case 8:
      return "TARGETING_EXPRESSION_PREDEFINED";
    default:
      return "TARGETING_EXPRESSION";
  }
}

std::string_view Catalog::Placement(const Slot& slot) const { return kPlacements[slot.placement]; }

}  // namespace amstream::gen
