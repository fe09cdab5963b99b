#include "common/money.h"

#include <gtest/gtest.h>

namespace amstream {
namespace {

TEST(MoneyTest, ParsesDecimalLiteralsExactly) {
  EXPECT_EQ(*ParseMicros("3.87"), 3'870'000);
  EXPECT_EQ(*ParseMicros("-0.97"), -970'000);
  EXPECT_EQ(*ParseMicros("0"), 0);
  EXPECT_EQ(*ParseMicros("12"), 12'000'000);
  EXPECT_EQ(*ParseMicros("1.5e2"), 150'000'000);
  EXPECT_EQ(*ParseMicros("1E-6"), 1);
  EXPECT_EQ(*ParseMicros("0.0000005"), 1);
  EXPECT_EQ(*ParseMicros("0.00000049"), 0);
  EXPECT_EQ(*ParseMicros("3.8700000000000001"), 3'870'000);
}

TEST(MoneyTest, RejectsWhatIsNotAnAmount) {
  for (const char* text : {"", "-", "abc", "1.2.3", "1e", "1e999", "99999999999999999999"}) {
    EXPECT_FALSE(ParseMicros(text).ok()) << text;
  }
}

TEST(MoneyTest, FormatsWithCentsAtLeast) {
  EXPECT_EQ(FormatMicros(3'870'000), "3.87");
  EXPECT_EQ(FormatMicros(0), "0.00");
  EXPECT_EQ(FormatMicros(-500), "-0.0005");
  EXPECT_EQ(FormatMicros(6'100'000), "6.10");
  EXPECT_EQ(FormatMicros(12'000'000, 0), "12");
}

}  // namespace
}  // namespace amstream
