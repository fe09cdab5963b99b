// The synthetic world behind generated AMS bodies: a seeded random source, the
// marketplaces with their currencies and time zones, and the advertisers, campaigns, ad
// groups, ads and keywords that traffic and conversions happen on.
//
// Everything here is a pure function of the shape and the seed, so two runs with the same
// options describe the same entities with the same ids and texts.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace amstream::gen {

// A fast deterministic random source (xoshiro256**, seeded through splitmix64).
// Not thread-safe; cheap to copy.
class Random {
 public:
  // Seeds the four state words from `seed`; every seed, including 0, is valid.
  explicit Random(uint64_t seed);

  // The next 64 random bits.
  uint64_t Next();
  // Uniform in [0, n); returns 0 when n is 0.
  uint64_t Below(uint64_t n);
  // Uniform in [lo, hi]; requires lo <= hi.
  int64_t Between(int64_t lo, int64_t hi);
  // Uniform in [0, 1).
  double Unit();
  // True with probability `p` (p <= 0 never, p >= 1 always).
  bool Chance(double p);

 private:
  std::array<uint64_t, 4> state_{};  // xoshiro256** state, never all zero
};

// Which daylight-saving rule a marketplace's advertisers follow.
enum class DstRule { kNone, kUnitedStates, kEuropeanUnion };

// An Amazon marketplace as the generator uses it.
struct Marketplace {
  std::string_view marketplace_id;  // e.g. "ATVPDKIKX0DER"
  std::string_view currency;        // ISO 4217 code
  std::string_view region;          // the SNS region AMS delivers from
  int32_t standard_offset_minutes;  // the zone's offset outside daylight-saving time
  DstRule dst;                      // how the offset moves during the year
  int64_t money_step_micros;        // smallest price step: a cent, or a whole yen
};

// The UTC offset in minutes that `marketplace`'s local time has at `epoch_seconds`.
int32_t UtcOffsetAt(const Marketplace& marketplace, int64_t epoch_seconds);

// One local hour of one advertiser, as AMS writes time_window_start.
struct LocalHour {
  int64_t epoch_ms = 0;            // the instant the hour starts
  int32_t utc_offset_minutes = 0;  // the advertiser's offset during that hour
  int64_t local_days = 0;          // the advertiser's local date, days since 1970-01-01
  std::string text;                // "2025-06-01T10:00:00-07:00"
};

// The size of the synthetic account; every count must be at least 1.
struct Shape {
  int advertisers = 1;               // advertisers, cycling through the marketplaces
  int campaigns_per_advertiser = 1;  // campaigns of each advertiser
  int ad_groups_per_campaign = 1;    // ad groups of each campaign
  int keywords_per_ad_group = 1;     // keywords and targets of each ad group
  int hours = 1;                     // hours of activity from local midnight of start_days
  int64_t start_days = 0;            // the first local date, days since 1970-01-01
};

// Indices that name one place where traffic happens: a keyword of an ad group, shown
// with one of its ads in one placement during one hour.
struct Slot {
  uint32_t advertiser = 0;  // index among the catalog's advertisers
  uint32_t campaign = 0;    // within the advertiser
  uint32_t ad_group = 0;    // within the campaign
  uint32_t keyword = 0;     // within the ad group
  uint32_t ad = 0;          // within the ad group
  uint32_t placement = 0;   // index of the placement name
  uint32_t hour = 0;        // hours since the advertiser's local midnight of start_days
};

// Names and ids of the entities of a Shape. Immutable after construction, so it may be
// shared between threads.
class Catalog {
 public:
  // Every ad group has this many ads; a keyword's traffic spreads over them.
  static constexpr uint32_t kAdsPerAdGroup = 2;

  // Builds the advertisers of `shape`; ids and texts depend only on `shape` and `seed`.
  Catalog(const Shape& shape, uint64_t seed);

  // A uniformly random slot.
  Slot PickSlot(Random& random) const;

  // The advertiser's AMS id, e.g. "A3K7Q2M9X1B4ZT".
  const std::string& AdvertiserId(uint32_t advertiser) const;
  // The marketplace an advertiser sells in.
  const Marketplace& MarketplaceOf(uint32_t advertiser) const;
  // The hour a slot is about, in its advertiser's local time.
  LocalHour HourOf(const Slot& slot) const;

  // The slot's campaign id: 15 digits starting with 3, unique within the catalog.
  std::string CampaignId(const Slot& slot) const;
  // The ad group id: 15 digits starting with 4.
  std::string AdGroupId(const Slot& slot) const;
  // The ad id: 15 digits starting with 5.
  std::string AdId(const Slot& slot) const;
  // The keyword id: 15 digits starting with 6, or 7 for a targeting expression.
  std::string KeywordId(const Slot& slot) const;

  // The keyword ("insulated water bottle") or targeting expression ("close-match",
  // "asin=\"B0…\"").
  std::string KeywordText(const Slot& slot) const;
  // EXACT, PHRASE, BROAD, TARGETING_EXPRESSION or TARGETING_EXPRESSION_PREDEFINED.
  std::string_view MatchType(const Slot& slot) const;
  // "Top of Search on-Amazon" and the like.
  std::string_view Placement(const Slot& slot) const;

 private:
  // Positions of the slot's campaign, ad group and keyword among all of the catalog's.
  uint64_t CampaignIndex(const Slot& slot) const;
  uint64_t AdGroupIndex(const Slot& slot) const;
  uint64_t KeywordIndex(const Slot& slot) const;

  Shape shape_;
  uint64_t seed_;                                 // varies keyword texts and match types
  uint64_t id_base_;                              // keeps ids of different seeds apart
  std::vector<std::string> advertiser_ids_;       // per advertiser
  std::vector<const Marketplace*> marketplaces_;  // per advertiser, into a static table
  std::vector<int64_t> start_seconds_;            // local midnight of start_days, per advertiser
};

}  // namespace amstream::gen
