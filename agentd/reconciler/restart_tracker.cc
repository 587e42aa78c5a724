#include "agentd/reconciler/restart_tracker.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace bamctl {

std::string FormatDuration(int64_t ms) {
  if (ms < 1000) return absl::StrCat(ms, "ms");
  return absl::StrCat(absl::SixDigits(static_cast<double>(ms) / 1000.0), "s");
}

void RestartTracker::OnExit(int64_t now_ms, int64_t ran_ms) {
  Schedule(now_ms, ran_ms < policy_->quick_exit_ms);
}

void RestartTracker::OnStartFailure(int64_t now_ms) { Schedule(now_ms, /*quick=*/true); }

void RestartTracker::OnHealthy(int64_t ran_ms) {
  if (ran_ms >= policy_->quick_exit_ms) quick_failures_ = 0;
}

void RestartTracker::Schedule(int64_t now_ms, bool quick) {
  quick_failures_ = quick ? quick_failures_ + 1 : 0;
  // The first retry after a failure waits the initial backoff; each quick
  // failure in a row doubles it.
  next_start_ms_ = now_ms + Backoff(std::max(0, quick_failures_ - 1));
}

int64_t RestartTracker::Backoff(int doublings) const {
  double delay =
      static_cast<double>(policy_->backoff_initial_ms) * std::pow(2.0, std::min(doublings, 30));
  delay = std::min(delay, static_cast<double>(policy_->backoff_max_ms));
  const double spread = 1.0 - policy_->backoff_jitter + 2.0 * policy_->backoff_jitter * random_();
  return static_cast<int64_t>(delay * spread);
}

std::string RestartTracker::Describe(int64_t now_ms, const std::string& last) const {
  return absl::StrCat(
      crash_looping() ? absl::StrCat(quick_failures_, " quick failures in a row; ") : "",
      "last: ", last, "; next start in ",
      FormatDuration(std::max<int64_t>(0, next_start_ms_ - now_ms)));
}

}  // namespace bamctl
