#include "gen/catalog.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "common/time.h"

namespace amstream::gen {
namespace {

Shape OneOfEach(std::string_view start_date, int advertisers = 5) {
  Shape shape;
  shape.advertisers = advertisers;
  shape.hours = 72;
  shape.start_days = *ParseDate(start_date);
  return shape;
}

std::string HourText(const Catalog& catalog, uint32_t advertiser, uint32_t hour) {
  Slot slot;
  slot.advertiser = advertiser;
  slot.hour = hour;
  return catalog.HourOf(slot).text;
}

TEST(CatalogTest, WritesLocalHoursWithTheirOffset) {
  Catalog catalog(OneOfEach("2025-06-01"), 7);
  EXPECT_EQ(HourText(catalog, 0, 10), "2025-06-01T10:00:00-07:00");  // US, daylight time
  EXPECT_EQ(HourText(catalog, 1, 10), "2025-06-01T10:00:00+01:00");  // UK, summer time
  EXPECT_EQ(HourText(catalog, 2, 25), "2025-06-02T01:00:00+02:00");  // DE
  EXPECT_EQ(HourText(catalog, 4, 0), "2025-06-01T00:00:00+09:00");   // JP, no DST

  Slot slot;
  slot.hour = 10;
  LocalHour hour = catalog.HourOf(slot);
  EXPECT_EQ(hour.epoch_ms, 1748797200000);  // 2025-06-01T17:00:00Z
  EXPECT_EQ(hour.utc_offset_minutes, -420);
  EXPECT_EQ(FormatDate(hour.local_days), "2025-06-01");
}

TEST(CatalogTest, FallBackRepeatsTheLocalOneOClockHour) {
  Catalog catalog(OneOfEach("2025-11-02"), 7);
  EXPECT_EQ(HourText(catalog, 0, 0), "2025-11-02T00:00:00-07:00");
  EXPECT_EQ(HourText(catalog, 0, 1), "2025-11-02T01:00:00-07:00");
  EXPECT_EQ(HourText(catalog, 0, 2), "2025-11-02T01:00:00-08:00");
  EXPECT_EQ(HourText(catalog, 0, 3), "2025-11-02T02:00:00-08:00");
}

TEST(CatalogTest, SpringForwardSkipsALocalHour) {
  Catalog us(OneOfEach("2025-03-09"), 7);
  EXPECT_EQ(HourText(us, 0, 1), "2025-03-09T01:00:00-08:00");
  EXPECT_EQ(HourText(us, 0, 2), "2025-03-09T03:00:00-07:00");
  Catalog eu(OneOfEach("2025-03-30"), 7);
  EXPECT_EQ(HourText(eu, 1, 0), "2025-03-30T00:00:00+00:00");
  EXPECT_EQ(HourText(eu, 1, 1), "2025-03-30T02:00:00+01:00");
  EXPECT_EQ(HourText(eu, 2, 23), "2025-03-31T00:00:00+02:00");
}

TEST(CatalogTest, IdsAreUniqueNumericStrings) {
  Shape shape = OneOfEach("2025-06-01", 2);
  shape.campaigns_per_advertiser = 3;
  shape.ad_groups_per_campaign = 2;
  shape.keywords_per_ad_group = 4;
  Catalog catalog(shape, 99);
  std::set<std::string> ids;
  size_t expected = 0;
  for (uint32_t a = 0; a < 2; ++a) {
    for (uint32_t c = 0; c < 3; ++c) {
      for (uint32_t g = 0; g < 2; ++g) {
        for (uint32_t k = 0; k < 4; ++k) {
          Slot slot{a, c, g, k, k % Catalog::kAdsPerAdGroup, 0, 0};
          ids.insert(catalog.KeywordId(slot));
          ids.insert(catalog.AdId(slot));
          expected += 2;
          EXPECT_EQ(catalog.KeywordId(slot).size(), 15u);
          EXPECT_FALSE(catalog.KeywordText(slot).empty());
        }
      }
    }
  }
  // Each ad appeared twice (two keywords per ad).
  EXPECT_EQ(ids.size(), expected - 2 * 3 * 2 * 2);
  EXPECT_NE(catalog.AdvertiserId(0), catalog.AdvertiserId(1));
  EXPECT_EQ(catalog.AdvertiserId(0).size(), 14u);
}

TEST(CatalogTest, SameSeedSameNames) {
  Catalog a(OneOfEach("2025-06-01"), 5);
  Catalog b(OneOfEach("2025-06-01"), 5);
  Catalog c(OneOfEach("2025-06-01"), 6);
  Slot slot{1, 0, 0, 0, 1, 2, 3};
  EXPECT_EQ(a.AdvertiserId(1), b.AdvertiserId(1));
  EXPECT_EQ(a.CampaignId(slot), b.CampaignId(slot));
  EXPECT_EQ(a.KeywordText(slot), b.KeywordText(slot));
  EXPECT_NE(a.AdvertiserId(1), c.AdvertiserId(1));
}

TEST(RandomTest, StaysInRange) {
  Random random(0);
  for (int i = 0; i < 10'000; ++i) {
    int64_t value = random.Between(-3, 3);
    EXPECT_GE(value, -3);
    EXPECT_LE(value, 3);
    double unit = random.Unit();
    EXPECT_GE(unit, 0.0);
    EXPECT_LT(unit, 1.0);
  }
  EXPECT_EQ(random.Below(0), 0u);
  EXPECT_FALSE(random.Chance(0.0));
  EXPECT_TRUE(random.Chance(1.0));
}

}  // namespace
}  // namespace amstream::gen
