#ifndef BAMCTL_CONTROLLER_ROLLOUT_ROLLING_RESTART_H_
#define BAMCTL_CONTROLLER_ROLLOUT_ROLLING_RESTART_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "controller/cluster/desired_state.h"
#include "controller/rollout/planner.h"
#include "controller/rollout/stopwatches.h"
#include "controller/rollout/targets.h"
#include "controller/rollout/task_group.h"
#include "controller/rollout/zookeeper_sync.h"
#include "controller/store/store.h"
#include "proto/controller.pb.h"

namespace bamctl {

// Where commands go: the agent streams (AgentHub in the server).
class CommandSender {
 public:
  virtual ~CommandSender() = default;
  // False when the node's agent is not connected.
  virtual bool SendCommand(const std::string& node, const v1::Command& command) = 0;
};

// One service's share of a rolling restart: its plan, and the role it was
// planned for.
struct ServicePart {
  std::string role;
  RolloutPlan plan;
};

// One kind of operation: the rolling restart of one service, or of every
// service a version left restart pending (service group by service group
// in dependency order, each planned as its own restart would be), step by
// step. Start plans it (PlanRollout over the instances and their status,
// the ZooKeeper modes as the servers report them) and stores it; Advance
// moves one stored operation on: a pending step waits for the cluster's
// disruption budget (the spec's max_nodes_disrupted, shared by every
// operation), then writes "restarting", its command ids and old pids, then
// sends restart commands; a restarting step is done when every instance
// runs a new process, healthy (for ZooKeeper, the ensemble is whole again;
// for Cassandra, every other node's gossip sees it up; for BAM analyzers,
// every analyzer is in the task group and the restarted one no longer
// holds the tasks: a standby took them over), and fails past its health
// timeout.
//
// Every state change is written before it is acted on, so a controller
// killed at any point resumes at the step it was on; agents answer a
// command id they have carried out without restarting again. Deadlines,
// pauses and resends are on the monotonic clock (Stopwatches); records
// (started_ms, finished_ms) are wall time.
//
// Start and Advance are not reentrant: the engine calls them under its
// operations lock. OnCommandResult is thread-safe. Owns nothing it is given.
class RollingRestart {
 public:
  struct Options {
    int64_t resend_after_ms = 5000;  // a command without an answer
  };

  RollingRestart(Store* store, DesiredState* state, TargetResolver* targets,
                 const ZooKeeperEnsemble* zookeeper, TaskGroupSource* task_groups,
                 CommandSender* sender, const Clock* clock, Stopwatches* watches, Options options)
      : store_(store),
        state_(state),
        targets_(targets),
        zookeeper_(zookeeper),
        task_groups_(task_groups),
        sender_(sender),
        clock_(clock),
        watches_(watches),
        options_(options) {}

  // Plans `request` against the current status; unless dry_run, stores it
  // running and returns it as stored. An empty role with pending_only
  // means every pending service; single masters are then left pending
  // (Operation.left_pending) unless allow_downtime. Refusals: as
  // PlanRollout (with their RolloutRefusal), InvalidArgument for
  // --on-failure=continue on a role with a quorum and for a batch larger
  // than the disruption budget, FailedPrecondition when nothing is to
  // restart (kNeedsDowntime when only single masters are pending),
  // AlreadyExists while another operation restarts one of its services.
  absl::StatusOr<v1::Operation> Start(const v1::RollingRestartRequest& request);

  // One pass over the running operation `op`, which it updates and saves.
  // `active` is every unfinished operation, `op` among them, as the pass
  // leaves them (their restarting steps count against the budget).
  void Advance(v1::Operation& op, const std::vector<v1::Operation>& active);

  // Forgets the commands and views of operations not in `active` (every
  // unfinished one): those that ended without their step settling, as an
  // abort ends them.
  void Retain(const std::vector<v1::Operation>& active);

  // `node`'s answer to a restart command. Kept only when that command was
  // sent to that node and is still awaited; anything else (another node's
  // command id, an unknown or answered id) is refused with the reason,
  // keeps nothing, and changes no step.
  absl::Status OnCommandResult(const std::string& node, const v1::CommandResult& result);

 private:
  // An agent's message is kept up to this size; the rest is cut, so a
  // result cannot grow the operation record or the logs without bound.
  static constexpr size_t kMaxResultMessageBytes = 1024;
  // A peer view's output (nodetool status) is kept up to this size, the
  // most an agent sends.
  static constexpr size_t kMaxViewOutputBytes = 64 * 1024;

  // A peer view is asked again this often until it shows the restarted
  // instances up (gossip needs a round or two after a start).
  static constexpr int64_t kPeerViewEveryMs = 1000;

  // Forgets the commands of `step` of `op`, which has ended, and its views.
  void Settle(const v1::Operation& op, const v1::RolloutStep& step);
  // Sends what has no answer yet and no visible effect; false (after
  // failing the step) when an agent answered with an error.
  bool SendCommands(v1::Operation& op, v1::RolloutStep& step, const v1::GetStatusResponse& status,
                    const std::function<void(const std::string&)>& fail_step);
  // Why `step` may not start yet for the cluster's disruption budget, or
  // "": the hosts other operations are restarting, and (unless the
  // operation was forced) hosts with a role not healthy, together with the
  // step's own, may number at most the spec's max_nodes_disrupted. Hosts
  // the operation's own failed steps left behind do not count when it was
  // asked to continue past failures.
  std::string OverBudget(const v1::Operation& op, const v1::RolloutStep& step,
                         const std::vector<v1::Operation>& active,
                         const v1::GetStatusResponse& status);
  // Plans each service of `request`: the role asked for, or every pending
  // service in dependency order, whose single masters (without
  // --allow-downtime) go to `left` instead.
  absl::StatusOr<std::vector<ServicePart>> PlanParts(const v1::RollingRestartRequest& request,
                                                     const v1::GetStatusResponse& status,
                                                     int max_nodes_disrupted,
                                                     std::vector<std::string>* left);
  // Marks each analyzer of `target` with its place in the task group;
  // returns why the group could not be read, or "" (also for targets that
  // are not analyzers in a group).
  std::string ReadTaskGroup(Target& target);
  // Analyzers: why `step` may not start yet (another analyzer is not in the
  // task group, so the tasks would have nowhere to go), or "".
  std::string TaskGroupNotReady(const v1::Operation& op, const v1::RolloutStep& step,
                                const v1::GetStatusResponse& status);
  // Why `step` is not done yet, or "".
  std::string Waiting(const v1::Operation& op, const v1::RolloutStep& step,
                      const v1::GetStatusResponse& status);
  // Services with a peer view (Cassandra): why some other instance of
  // `target` does not see every instance `step` restarted up and normal
  // yet, or "". Asks each other instance's agent for its view
  // (COMMAND_KIND_PEER_VIEW, `nodetool status`) once the step's own
  // instances are healthy, and again every kPeerViewEveryMs until it shows
  // them up; a view that did is not asked again. Without --force an
  // instance that cannot be asked (down, not connected) keeps the step
  // waiting; with it, that instance is passed over.
  std::string PeersSeeUp(const v1::Operation& op, const v1::RolloutStep& step,
                         const Target& target);

  Store* store_;
  DesiredState* state_;
  TargetResolver* targets_;
  const ZooKeeperEnsemble* zookeeper_;
  TaskGroupSource* task_groups_;
  CommandSender* sender_;
  const Clock* clock_;
  Stopwatches* watches_;
  Options options_;

  absl::Mutex mu_;
  // Commands sent and not yet settled, by id: to which node, when last
  // (monotonic), and its answer once it came (agents answer on their
  // stream's thread). Entries go when their step ends, so the map holds at
  // most the commands of the steps in flight.
  struct SentCommand {
    std::string node;
    int64_t sent_ms = 0;
    std::optional<v1::CommandResult> answer;
    int64_t operation = 0;
  };
  std::map<std::string, SentCommand> sent_ ABSL_GUARDED_BY(mu_);
  // The peer views of restarting steps, by step key and the node asked:
  // the last command sent for it, its answer, and whether a view already
  // showed the step's instances up. Entries go when their step ends.
  struct PeerView {
    std::string command_id;
    int64_t sent_ms = 0;
    std::optional<v1::CommandResult> answer;
    bool seen_up = false;
    int64_t operation = 0;
  };
  std::map<std::pair<std::string, std::string>, PeerView> views_ ABSL_GUARDED_BY(mu_);
  uint64_t views_asked_ ABSL_GUARDED_BY(mu_) = 0;  // makes each view's command id new
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_ROLLOUT_ROLLING_RESTART_H_
