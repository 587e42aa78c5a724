#include "controller/rollout/stopwatches.h"

namespace bamctl {

int64_t Stopwatches::Elapsed(const std::string& key, int64_t persisted_ms) {
  const int64_t now = clock_->MonotonicMillis();
  absl::MutexLock lock(&mu_);
  // try_emplace keeps the start of a watch already running.
  return now - started_.try_emplace(key, now - persisted_ms).first->second;
}

void Stopwatches::Restart(const std::string& key) {
  const int64_t now = clock_->MonotonicMillis();
  absl::MutexLock lock(&mu_);
  started_[key] = now;
}

void Stopwatches::Forget(const std::string& key) {
  absl::MutexLock lock(&mu_);
  started_.erase(key);
}

}  // namespace bamctl
