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

}  // namespace
}  // namespace bamctl
