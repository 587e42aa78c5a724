#include "common/clock.h"

#include <chrono>

#include "absl/time/time.h"

namespace bamctl {

void Clock::SleepMillis(int64_t ms) const {
  absl::Mutex mu;
  absl::MutexLock lock(&mu);
  const bool never = false;
  AwaitUntil(mu, absl::Condition(&never), MonotonicMillis() + ms);
}

int64_t SystemClock::NowMillis() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t SystemClock::MonotonicMillis() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool SystemClock::AwaitUntil(absl::Mutex& mu, const absl::Condition& cond,
                             int64_t deadline_ms) const {
  // A relative timeout, re-measured on the monotonic clock after each wake,
  // so a wall clock step neither shortens nor stretches the wait.
  while (!cond.Eval()) {
    const int64_t left = deadline_ms - MonotonicMillis();
    if (left <= 0) return false;
    if (mu.AwaitWithTimeout(cond, absl::Milliseconds(left))) return true;
  }
  return true;
}

const SystemClock* SystemClock::Get() {
  static const SystemClock* clock = new SystemClock();
  return clock;
}

bool FakeClock::AwaitUntil(absl::Mutex& mu, const absl::Condition& cond,
                           int64_t deadline_ms) const {
  ++waiters_;
  bool met = cond.Eval();
  while (!met && MonotonicMillis() < deadline_ms) {
    met = mu.AwaitWithTimeout(cond, absl::Milliseconds(1));
  }
  --waiters_;
  return met;
}

}  // namespace bamctl
