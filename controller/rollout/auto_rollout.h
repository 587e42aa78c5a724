#ifndef BAMCTL_CONTROLLER_ROLLOUT_AUTO_ROLLOUT_H_
#define BAMCTL_CONTROLLER_ROLLOUT_AUTO_ROLLOUT_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "controller/cluster/desired_state.h"
#include "controller/rollout/stopwatches.h"
#include "controller/rollout/targets.h"
#include "controller/store/store.h"
#include "proto/controller.pb.h"

namespace bamctl {

// One kind of operation: the auto-rollout of a version (apply --rollout, or
// the spec's auto_rolling_restart). It waits until every agent holds its
// version, then starts one rolling restart of everything the version left
// restart pending (`rolling-restart --pending` without a role: service
// group by service group, within the disruption budget), recorded in its
// AutoRollout message (the services, the operation id). It ends when that
// child ends:
//   - superseded (aborted) when a newer version is applied;
//   - single masters (the planner's kNeedsDowntime) are left to an
//     operator, and a child that failed or was aborted is not started
//     again; both are named in the reason ("left pending: ...");
//   - other refusals (a member unhealthy, an operator's restart running)
//     are retried until the wait (Operation.health_timeout_ms, on the
//     monotonic clock) is over, then it fails.
// Records from before (one child per service) are followed the same way.
// Not reentrant: the engine calls it under its operations lock. Owns
// nothing it is given.
class AutoRollout {
 public:
  // Starts a rolling restart (the engine's RollingRestart::Start); a fake
  // in tests.
  using StartChild =
      std::function<absl::StatusOr<v1::Operation>(const v1::RollingRestartRequest& request)>;

  AutoRollout(Store* store, DesiredState* state, TargetResolver* targets, const Clock* clock,
              Stopwatches* watches, StartChild start_child)
      : store_(store),
        state_(state),
        targets_(targets),
        clock_(clock),
        watches_(watches),
        start_child_(std::move(start_child)) {}

  // Stores a waiting auto-rollout of `version`; returns its id.
  absl::StatusOr<int64_t> Request(int64_t version, const std::string& author);

  // One pass over the waiting auto-rollout `op`, which it updates and saves.
  void Advance(v1::Operation& op);

 private:
  // What one round found.
  struct Round {
    std::vector<std::string> left;     // pending, and no child will restart it
    std::vector<std::string> blocked;  // refused for now; retried
    bool in_progress = false;          // a child runs
    bool started = false;              // a child was started now
  };
  // Starts (or checks on) the child of each pending service.
  Round StartChildren(v1::Operation& op, const std::vector<PendingService>& pending);

  Store* store_;
  DesiredState* state_;
  TargetResolver* targets_;
  const Clock* clock_;
  Stopwatches* watches_;
  StartChild start_child_;
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_ROLLOUT_AUTO_ROLLOUT_H_
