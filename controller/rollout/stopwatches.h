#ifndef BAMCTL_CONTROLLER_ROLLOUT_STOPWATCHES_H_
#define BAMCTL_CONTROLLER_ROLLOUT_STOPWATCHES_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"

namespace bamctl {

// How long persisted things have been going on (a restarting step, an
// auto-rollout's wait), measured on the monotonic clock, so a wall clock
// step neither fails nor prolongs a deadline.
//
// Monotonic readings mean nothing to another process (or after a reboot),
// so what survives a controller restart is the elapsed time the caller
// persists with every save (RolloutStep.elapsed_ms, AutoRollout.waited_ms).
// The first time this process asks about a key, its watch starts credited
// with that persisted time: a resumed deadline counts on from the last
// save, and the time no controller was running is not counted (nobody
// watched the step then; failing it for that time would be a guess, and
// wall time, which could measure it, may have stepped). Thread-safe.
class Stopwatches {
 public:
  explicit Stopwatches(const Clock* clock) : clock_(clock) {}

  // Milliseconds `key` has been running. The first call for a key (in this
  // process) starts its watch, credited with `persisted_ms`.
  int64_t Elapsed(const std::string& key, int64_t persisted_ms = 0);
  // Starts `key` again from zero (a new step, a new pause).
  void Restart(const std::string& key);
  // Drops `key` (finished; a later Elapsed starts it again).
  void Forget(const std::string& key);

 private:
  const Clock* clock_;
  absl::Mutex mu_;
  std::map<std::string, int64_t> started_ ABSL_GUARDED_BY(mu_);  // key -> monotonic start
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_ROLLOUT_STOPWATCHES_H_
