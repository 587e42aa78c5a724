#ifndef BAMCTL_TESTS_UTIL_SAMPLER_H_
#define BAMCTL_TESTS_UTIL_SAMPLER_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>
#include <utility>

namespace bamctl::testing {

// Calls `sample` on its own thread, then every `period`, until Stop() or
// destruction: a test's watcher (ports sampled while a rollout runs) that
// is stopped and joined however the test ends, a failed ASSERT included.
class Sampler {
 public:
  Sampler(std::chrono::milliseconds period, std::function<void()> sample)
      : thread_([this, period, sample = std::move(sample)] {
          while (!stop_) {
            sample();
            std::this_thread::sleep_for(period);
          }
        }) {}
  ~Sampler() { Stop(); }
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // Waits for the sample under way; none starts after.
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: started once stop_ exists
};

}  // namespace bamctl::testing

#endif  // BAMCTL_TESTS_UTIL_SAMPLER_H_
