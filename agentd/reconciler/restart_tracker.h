#ifndef BAMCTL_AGENTD_RECONCILER_RESTART_TRACKER_H_
#define BAMCTL_AGENTD_RECONCILER_RESTART_TRACKER_H_

#include <cstdint>
#include <functional>
#include <string>

namespace bamctl {

struct RestartPolicy {
  int64_t backoff_initial_ms = 500;
  int64_t backoff_max_ms = 60'000;
  double backoff_jitter = 0.2;  // +-20%: agents restarting together spread out
  // An exit this soon after start is a quick failure; this many in a row is
  // a crash loop. A process that stays up (and healthy) this long resets
  // the count.
  int64_t quick_exit_ms = 10'000;
  int crash_loop_after = 5;
};

// When a service that ended may start again, and whether it crash-loops:
// randomized, capped, exponential backoff (Mesos, osquery), one small unit
// as Nomad's restarts.go. Times are monotonic milliseconds.
class RestartTracker {
 public:
  // Uniform in [0, 1); injected so tests get exact delays.
  using Random = std::function<double()>;

  RestartTracker(const RestartPolicy* policy, Random random)
      : policy_(policy), random_(std::move(random)) {}

  // The process ended after running `ran_ms`: a quick failure when under
  // quick_exit_ms. Schedules the next start.
  void OnExit(int64_t now_ms, int64_t ran_ms);
  // A launch or an init step failed: a quick failure.
  void OnStartFailure(int64_t now_ms);
  // The process has run healthy for `ran_ms`: past quick_exit_ms it counts
  // as stable, and the backoff starts over.
  void OnHealthy(int64_t ran_ms);
  // Start now (a requested restart of a stopped service; a stop that was a
  // restart).
  void StartNow(int64_t now_ms) { next_start_ms_ = now_ms; }

  bool MayStart(int64_t now_ms) const { return now_ms >= next_start_ms_; }
  int64_t next_start_ms() const { return next_start_ms_; }
  int quick_failures() const { return quick_failures_; }
  bool crash_looping() const { return quick_failures_ >= policy_->crash_loop_after; }

  // Why the service waits, in words: "5 quick failures in a row; last:
  // LAST; next start in 2s".
  std::string Describe(int64_t now_ms, const std::string& last) const;

 private:
  void Schedule(int64_t now_ms, bool quick);
  int64_t Backoff(int doublings) const;

  const RestartPolicy* policy_;
  Random random_;
  int quick_failures_ = 0;
  int64_t next_start_ms_ = 0;
};

// "850ms", "2.5s".
std::string FormatDuration(int64_t ms);

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_RECONCILER_RESTART_TRACKER_H_
