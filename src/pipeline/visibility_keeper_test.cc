#include "pipeline/visibility_keeper.h"

#include <gtest/gtest.h>

namespace amstream::pipeline {
namespace {

using std::chrono::seconds;
using Clock = VisibilityKeeper::Clock;

TEST(VisibilityKeeperTest, ExtendsOnceTheShareOfTheTimeoutHasPassedAndAgainAfterThat) {
  VisibilityKeeper keeper(seconds(30), 0.5, seconds(3600));
  Clock::time_point t0{};
  std::vector<std::string> handles = {"a", "b"};
  keeper.Add(handles, t0);
  EXPECT_TRUE(keeper.Due(t0 + seconds(14)).empty());
  std::vector<std::string> due = keeper.Due(t0 + seconds(15));
  std::sort(due.begin(), due.end());
  EXPECT_EQ(due, handles);
  EXPECT_TRUE(keeper.Due(t0 + seconds(29)).empty()) << "counted as extended at 15 s";
  EXPECT_EQ(keeper.Due(t0 + seconds(30)).size(), 2u);
}

TEST(VisibilityKeeperTest, ForgetsRemovedHandles) {
  VisibilityKeeper keeper(seconds(10), 0.5, seconds(3600));
  Clock::time_point t0{};
  std::vector<std::string> handles = {"a", "b"};
  keeper.Add(handles, t0);
  std::vector<std::string> done = {"a"};
  keeper.Remove(done);
  EXPECT_EQ(keeper.Due(t0 + seconds(6)), std::vector<std::string>{"b"});
  EXPECT_EQ(keeper.tracked(), 1u);
}

TEST(VisibilityKeeperTest, StopsAtTheMaximumAndCountsWhatItDropped) {
  VisibilityKeeper keeper(seconds(10), 0.5, seconds(60));
  Clock::time_point t0{};
  std::vector<std::string> handles = {"a"};
  keeper.Add(handles, t0);
  EXPECT_EQ(keeper.Due(t0 + seconds(55)).size(), 1u);
  int64_t expired = 0;
  EXPECT_TRUE(keeper.Due(t0 + seconds(60), &expired).empty());
  EXPECT_EQ(expired, 1);
  EXPECT_EQ(keeper.tracked(), 0u);
}

TEST(VisibilityKeeperTest, AZeroTimeoutTracksNothing) {
  VisibilityKeeper keeper(seconds(0), 0.5, seconds(60));
  std::vector<std::string> handles = {"a"};
  keeper.Add(handles, Clock::time_point{});
  EXPECT_EQ(keeper.tracked(), 0u);
  EXPECT_TRUE(keeper.Due(Clock::time_point{} + seconds(100)).empty());
}

}  // namespace
}  // namespace amstream::pipeline
