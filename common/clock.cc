#include "common/clock.h"

#include <chrono>

namespace bamctl {

int64_t SystemClock::NowMillis() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const SystemClock* SystemClock::Get() {
  static const SystemClock* clock = new SystemClock();
  return clock;
}

}  // namespace bamctl
