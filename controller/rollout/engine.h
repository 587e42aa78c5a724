#ifndef BAMCTL_CONTROLLER_ROLLOUT_ENGINE_H_
#define BAMCTL_CONTROLLER_ROLLOUT_ENGINE_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "controller/cluster/desired_state.h"
#include "controller/rollout/auto_rollout.h"
#include "controller/rollout/rolling_restart.h"
#include "controller/rollout/stopwatches.h"
#include "controller/rollout/targets.h"
#include "controller/rollout/task_group.h"
#include "controller/rollout/zookeeper_sync.h"
#include "controller/store/store.h"
#include "proto/controller.pb.h"

namespace bamctl {

// Runs the persisted operations: rolling restarts (RollingRestart) and
// auto-rollouts (AutoRollout), one pass over every unfinished operation per
// tick, on its own thread. The loop waits through the injected clock, so a
// FakeClock drives it in tests; every interval and deadline is monotonic.
// RPCs (start, control) and the loop take one lock, so one writer changes
// operations at a time. A new engine on the same store resumes what the
// last one left running.
class RolloutEngine : public PendingRollouts {
 public:
  struct Options {
    std::chrono::milliseconds tick{250};
    std::chrono::milliseconds resend_after{5000};  // commands without an answer
    // Where the BAM analyzers' task group is read; null: ZooKeeper itself
    // (ZooKeeperTaskGroups). Not owned.
    TaskGroupSource* task_groups = nullptr;
  };

  // Does not own its arguments; they outlive the engine. `four_letter_word`
  // reaches ZooKeeper servers (srvr, mntr).
  RolloutEngine(Store* store, DesiredState* state, CommandSender* sender, const Clock* clock,
                FourLetterWord four_letter_word, Options options);
  ~RolloutEngine() override;

  // Starts the loop thread: a pass now (resuming running operations), then
  // one per tick or when woken. Stop joins it; Start again resumes (an HA
  // controller runs the engine only while it leads).
  void Start();
  void Stop();
  // Wakes the loop for a pass now (an answer arrived, an operation started).
  void TriggerNow();

  // Plans and (unless dry run) starts a rolling restart; see
  // RollingRestart::Start for the refusals.
  absl::StatusOr<v1::Operation> StartRollingRestart(const v1::RollingRestartRequest& request);
  // Stores an auto-rollout for `version` (see AutoRollout).
  absl::StatusOr<int64_t> RequestPendingRollout(int64_t version,
                                                const std::string& author) override;
  // Pause, resume or abort.
  absl::StatusOr<v1::Operation> Control(const v1::ControlOperationRequest& request);
  // `node`'s answer to a command sent to it; refused (NotFound) for a
  // command not sent to that node or not awaited. Thread-safe.
  absl::Status OnCommandResult(const std::string& node, const v1::CommandResult& result);

  // One pass over the unfinished operations (the loop's body; tests call it
  // directly instead of Start).
  void Tick();
  // Passes run so far: a test that advances a FakeClock waits for the next.
  int64_t PassesForTest() const { return passes_.load(); }

 private:
  Store* store_;
  const Clock* clock_;
  Options options_;
  // The collaborators, in the order they need each other.
  TargetResolver targets_;
  ZooKeeperEnsemble zookeeper_;
  std::unique_ptr<ZooKeeperTaskGroups> own_task_groups_;  // when Options gives none
  Stopwatches watches_;
  RollingRestart restarts_;
  AutoRollout auto_rollouts_;

  std::thread thread_;
  std::atomic<int64_t> passes_{0};
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  absl::Mutex ops_mu_;  // one writer of operations at a time (tick vs. RPCs)
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_ROLLOUT_ENGINE_H_
