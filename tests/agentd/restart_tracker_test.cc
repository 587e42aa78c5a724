// The restart policy alone: backoff doubling per quick failure, capped,
// jittered by the injected random source; crash loop; a stable run resets.
#include "agentd/reconciler/restart_tracker.h"

#include "gtest/gtest.h"

namespace bamctl {
namespace {

class RestartTrackerTest : public ::testing::Test {
 protected:
  RestartTrackerTest() {
    policy_.backoff_initial_ms = 500;
    policy_.backoff_max_ms = 4'000;
    policy_.backoff_jitter = 0.2;
    policy_.quick_exit_ms = 10'000;
    policy_.crash_loop_after = 3;
  }
  RestartPolicy policy_;
  double random_ = 0.5;  // the middle: no jitter
  RestartTracker tracker_{&policy_, [this] { return random_; }};
};

TEST_F(RestartTrackerTest, QuickFailuresDoubleTheWaitUpToTheCap) {
  int64_t now = 1'000;
  std::vector<int64_t> waits;
  for (int i = 0; i < 6; ++i) {
    tracker_.OnExit(now, /*ran_ms=*/100);
    waits.push_back(tracker_.next_start_ms() - now);
    EXPECT_FALSE(tracker_.MayStart(tracker_.next_start_ms() - 1));
    EXPECT_TRUE(tracker_.MayStart(tracker_.next_start_ms()));
    now = tracker_.next_start_ms();
  }
  EXPECT_EQ(waits, (std::vector<int64_t>{500, 1'000, 2'000, 4'000, 4'000, 4'000}));
}

TEST_F(RestartTrackerTest, JitterSpreadsTheWaitBothWays) {
  random_ = 0.0;
  tracker_.OnExit(0, 100);
  EXPECT_EQ(tracker_.next_start_ms(), 400);  // -20%
  random_ = 0.999999;
  tracker_.OnExit(0, 100);
  EXPECT_NEAR(static_cast<double>(tracker_.next_start_ms()), 1'200.0, 1.0);  // +20% of 1000
}

TEST_F(RestartTrackerTest, QuickFailuresInARowAreACrashLoop) {
  for (int i = 0; i < 2; ++i) tracker_.OnStartFailure(0);
  EXPECT_FALSE(tracker_.crash_looping());
  tracker_.OnExit(0, 100);
  EXPECT_TRUE(tracker_.crash_looping());
  EXPECT_EQ(tracker_.Describe(0, "exited with code 1 after 100ms"),
            "3 quick failures in a row; last: exited with code 1 after 100ms; next start in 2s");
}

TEST_F(RestartTrackerTest, ALongRunIsNotQuickAndAStableRunResets) {
  for (int i = 0; i < 3; ++i) tracker_.OnExit(0, 100);
  tracker_.OnHealthy(9'999);  // not long enough
  EXPECT_TRUE(tracker_.crash_looping());
  tracker_.OnHealthy(10'000);
  EXPECT_EQ(tracker_.quick_failures(), 0);
  tracker_.OnExit(50'000, 60'000);  // ran a minute: not quick, waits the initial backoff
  EXPECT_EQ(tracker_.quick_failures(), 0);
  EXPECT_EQ(tracker_.next_start_ms(), 50'500);
  EXPECT_EQ(tracker_.Describe(50'000, "x"), "last: x; next start in 500ms");
}

TEST_F(RestartTrackerTest, StartNowEndsTheWait) {
  tracker_.OnExit(0, 100);
  tracker_.StartNow(10);
  EXPECT_TRUE(tracker_.MayStart(10));
}

}  // namespace
}  // namespace bamctl
