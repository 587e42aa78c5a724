#ifndef BAMCTL_COMMON_CLOCK_H_
#define BAMCTL_COMMON_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "absl/synchronization/mutex.h"

namespace bamctl {

// Time as the program sees it, in two kinds (as Envoy's TimeSource):
//  - wall time (NowMillis) for display and records: it may step;
//  - monotonic time (MonotonicMillis) for intervals, backoff and deadlines:
//    it never steps, so setting the host clock shifts none of them.
// Logic takes a Clock* and waits through it, so tests drive time by hand
// (FakeClock) instead of sleeping.
class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t NowMillis() const = 0;
  // Milliseconds since an arbitrary fixed point (boot, for the real clock).
  virtual int64_t MonotonicMillis() const = 0;

  // With `mu` held: blocks until `cond` holds or MonotonicMillis() reaches
  // `deadline_ms`, releasing `mu` while it waits (absl::Mutex::Await).
  // Returns whether `cond` holds. A FakeClock's deadline passes when the
  // test advances it.
  virtual bool AwaitUntil(absl::Mutex& mu, const absl::Condition& cond,
                          int64_t deadline_ms) const = 0;

  // Blocks until MonotonicMillis() reaches now + `ms`.
  void SleepMillis(int64_t ms) const;
};

// The real clock: CLOCK_REALTIME and CLOCK_MONOTONIC.
class SystemClock : public Clock {
 public:
  int64_t NowMillis() const override;
  int64_t MonotonicMillis() const override;
  bool AwaitUntil(absl::Mutex& mu, const absl::Condition& cond, int64_t deadline_ms) const override;
  // A process-wide instance (stateless, so sharing it is safe).
  static const SystemClock* Get();
};

// A clock that moves only when told to. Thread-safe. Waiters notice an
// advance within a millisecond of real time (they poll the fake time while
// they wait, because absl::Mutex re-checks a condition only when the mutex is
// released, and the clock cannot take every waiter's mutex safely).
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t now_ms = 1'700'000'000'000) : wall_ms_(now_ms) {}
  int64_t NowMillis() const override { return wall_ms_.load(); }
  int64_t MonotonicMillis() const override { return mono_ms_.load(); }
  bool AwaitUntil(absl::Mutex& mu, const absl::Condition& cond, int64_t deadline_ms) const override;

  // Time passes: both clocks move.
  void AdvanceMillis(int64_t ms) {
    wall_ms_ += ms;
    mono_ms_ += ms;
  }
  // The wall clock is set (a step, as ntpdate or an operator does); the
  // monotonic clock does not move.
  void SetMillis(int64_t ms) { wall_ms_ = ms; }
  // How many threads wait in AwaitUntil now: a test advances the clock once
  // the loop it drives is parked.
  int waiters() const { return waiters_.load(); }

 private:
  std::atomic<int64_t> wall_ms_;
  std::atomic<int64_t> mono_ms_{1'000'000};
  mutable std::atomic<int> waiters_{0};
};

}  // namespace bamctl

#endif  // BAMCTL_COMMON_CLOCK_H_
