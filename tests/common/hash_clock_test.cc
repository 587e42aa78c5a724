#include <thread>

#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/hash.h"
#include "gtest/gtest.h"

namespace bamctl {
namespace {

TEST(HashTest, KnownSha256Vectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ClockTest, FakeClockMovesOnlyWhenTold) {
  FakeClock clock(1000);
  EXPECT_EQ(clock.NowMillis(), 1000);
  clock.AdvanceMillis(250);
  EXPECT_EQ(clock.NowMillis(), 1250);
  clock.SetMillis(5);
  EXPECT_EQ(clock.NowMillis(), 5);
  EXPECT_GT(SystemClock::Get()->NowMillis(), 1'600'000'000'000);
}

TEST(ClockTest, SettingTheWallClockDoesNotMoveMonotonicTime) {
  FakeClock clock(1000);
  const int64_t mono = clock.MonotonicMillis();
  clock.SetMillis(1'000'000'000);
  EXPECT_EQ(clock.MonotonicMillis(), mono);
  clock.AdvanceMillis(30);
  EXPECT_EQ(clock.MonotonicMillis(), mono + 30);
  EXPECT_EQ(clock.NowMillis(), 1'000'000'030);
}

TEST(ClockTest, AFakeDeadlinePassesWhenTheTestAdvancesTime) {
  FakeClock clock;
  absl::Mutex mu;
  bool woken = false;
  bool met = true;
  std::thread waiter([&] {
    absl::MutexLock lock(&mu);
    met = clock.AwaitUntil(mu, absl::Condition(&woken), clock.MonotonicMillis() + 60'000);
  });
  // The waiter parks; only advancing the fake time past its deadline ends
  // the wait (no real minute passes).
  while (clock.waiters() == 0) std::this_thread::yield();
  clock.AdvanceMillis(59'999);
  clock.AdvanceMillis(1);
  waiter.join();
  EXPECT_FALSE(met);
}

TEST(ClockTest, AWaitEndsWhenItsConditionHolds) {
  FakeClock clock;
  absl::Mutex mu;
  bool woken = false;
  bool met = false;
  std::thread waiter([&] {
    absl::MutexLock lock(&mu);
    met = clock.AwaitUntil(mu, absl::Condition(&woken), clock.MonotonicMillis() + 60'000);
  });
  while (clock.waiters() == 0) std::this_thread::yield();
  {
    absl::MutexLock lock(&mu);
    woken = true;
  }
  waiter.join();
  EXPECT_TRUE(met);
}

TEST(ClockTest, TheSystemClocksDeadlineIsMonotonic) {
  const SystemClock* clock = SystemClock::Get();
  absl::Mutex mu;
  absl::MutexLock lock(&mu);
  const bool never = false;
  const int64_t start = clock->MonotonicMillis();
  EXPECT_FALSE(clock->AwaitUntil(mu, absl::Condition(&never), start + 20));
  EXPECT_GE(clock->MonotonicMillis(), start + 20);
}

}  // namespace
}  // namespace bamctl
