#ifndef BAMCTL_BENCH_TIMING_H_
#define BAMCTL_BENCH_TIMING_H_

// Wall-clock percentiles of a repeated call, for the benchmarks.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <vector>

namespace bamctl::bench {

struct Stats {
  double p50_ms, p90_ms, p99_ms;
};

// Runs `f` `runs` times and returns the percentiles of its wall time.
template <typename F>
Stats Measure(int runs, F&& f) {
  std::vector<double> ms;
  ms.reserve(runs);
  for (int i = 0; i < runs; ++i) {
    auto start = std::chrono::steady_clock::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))];
  };
  return {at(0.50), at(0.90), at(0.99)};
}

}  // namespace bamctl::bench

#endif  // BAMCTL_BENCH_TIMING_H_
