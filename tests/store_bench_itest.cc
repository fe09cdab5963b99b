// Write throughput of both stores, in batches of 10,000 records. Disabled by default;
// run with --gtest_also_run_disabled_tests --gtest_filter='*StoreBench*' on a release
// build. Prints records per second for new keys and for updates of existing keys.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "store_fixture.h"

namespace amstream::store::testing {
namespace {

constexpr int kBatch = 10'000;
constexpr int kBatches = 10;
constexpr int kKeysPerBatch = 2'500;  // four deltas per key and batch, as restatements do

using Clock = std::chrono::steady_clock;

class StoreBenchTest : public StoreTest {
 protected:
  // Writes kBatches batches made by `make(batch, i)` and prints the rates.
  template <typename Make>
  void Measure(std::string_view what, Make make) {
    double first_rate = 0;
    Clock::duration rest{};
    for (int b = 0; b < kBatches; ++b) {
      std::vector<ams::Message> batch;
      batch.reserve(kBatch);
      for (int i = 0; i < kBatch; ++i) {
        batch.push_back(make(b, i));
      }
      Clock::time_point start = Clock::now();
      WriteStats stats = MustWrite(std::move(batch));
      Clock::duration took = Clock::now() - start;
      ASSERT_EQ(stats.records_stored, kBatch);
      if (b == 0) {
        first_rate = kBatch / std::chrono::duration<double>(took).count();
      } else {
        rest += took;
      }
    }
    double rest_rate = (kBatches - 1) * kBatch / std::chrono::duration<double>(rest).count();
    std::printf("%s %.*s: %.0f records/s (new keys), %.0f records/s (existing keys)\n",
                postgres() ? "postgresql" : "sqlite", static_cast<int>(what.size()), what.data(),
                first_rate, rest_rate);
  }
};

TEST_P(StoreBenchTest, DISABLED_WritesTenThousandRecordBatches) {
  Measure("sp-traffic", [](int b, int i) {
    return Traffic({.id = fmt::format("t-{}-{}", b, i),
                    .campaign = fmt::format("C{}", i % 50),
                    .keyword = fmt::format("K{}", i % kKeysPerBatch),
                    .clicks = 1,
                    .impressions = 10,
                    .cost_micros = 120'000});
  });
  Measure("sp-conversion", [](int b, int i) {
    return Conversion(
        {.id = fmt::format("c-{}-{}", b, i),
         .campaign = fmt::format("C{}", i % kKeysPerBatch),
         .metrics = {{"attributed_conversions_7d", 1}, {"attributed_sales_7d", 19'990'000}}});
  });
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreBenchTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

}  // namespace
}  // namespace amstream::store::testing
