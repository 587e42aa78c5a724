#ifndef BAMCTL_COMMON_CLOCK_H_
#define BAMCTL_COMMON_CLOCK_H_

#include <atomic>
#include <cstdint>

namespace bamctl {

// Wall-clock time as the program sees it. Logic takes a Clock* so tests can
// set and advance time by hand instead of sleeping.
class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t NowMillis() const = 0;
};

// The real clock.
class SystemClock : public Clock {
 public:
  int64_t NowMillis() const override;
  // A process-wide instance (stateless, so sharing it is safe).
  static const SystemClock* Get();
};

// A clock that moves only when told to. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t now_ms = 1'700'000'000'000) : now_ms_(now_ms) {}
  int64_t NowMillis() const override { return now_ms_.load(); }
  void AdvanceMillis(int64_t ms) { now_ms_ += ms; }
  void SetMillis(int64_t ms) { now_ms_ = ms; }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace bamctl

#endif  // BAMCTL_COMMON_CLOCK_H_
