#ifndef BAMCTL_CONTROLLER_ROLLOUT_ENGINE_H_
#define BAMCTL_CONTROLLER_ROLLOUT_ENGINE_H_

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "controller/cluster/desired_state.h"
#include "controller/rollout/planner.h"
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

// A ZooKeeper four-letter word ("srvr", "mntr") sent to host:port.
using FourLetterWord = std::function<absl::StatusOr<std::string>(
    const std::string& host, uint32_t port, const std::string& word)>;

// Runs rolling restarts as persisted operations: each step sends restart
// commands to the agents of one batch and waits until every restarted
// instance is back (a new process, healthy, and for ZooKeeper: the leader
// reports every follower synced) before the next. Every state change is
// written to the store before it is acted on, so a controller killed at
// any point resumes the operation at the step it was on; agents answer a
// command id they have carried out without restarting again.
class RolloutEngine {
 public:
  struct Options {
    std::chrono::milliseconds tick{250};
    std::chrono::milliseconds resend_after{5000};  // commands without an answer
  };

  RolloutEngine(Store* store, DesiredState* state, CommandSender* sender, const Clock* clock,
                FourLetterWord four_letter_word, Options options);
  ~RolloutEngine();

  void Start();  // resumes running operations; ticks on a thread
  void Stop();

  absl::StatusOr<v1::Operation> StartRollingRestart(const v1::RollingRestartRequest& request);
  // Stores an auto-rollout for `version`: once every agent holds it, a
  // rolling restart (--pending) of each service it left restart pending.
  absl::StatusOr<int64_t> RequestPendingRollout(int64_t version, const std::string& author);
  absl::StatusOr<v1::Operation> Control(const v1::ControlOperationRequest& request);
  void OnCommandResult(const std::string& node, const v1::CommandResult& result);

  // One round over the running operations (the thread's body; tests call
  // it directly).
  void Tick();

 private:
  struct Target {
    std::string service;
    RestartSafety safety;
    std::vector<Instance> instances;
    std::map<std::string, Probe> zookeeper_probe;  // node -> its client-port probe
  };
  absl::StatusOr<Target> Resolve(const std::string& role, const v1::GetStatusResponse& status);
  absl::StatusOr<v1::Operation> StartLocked(const v1::RollingRestartRequest& request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(ops_mu_);
  void Advance(v1::Operation& op);
  void AdvanceAuto(v1::Operation& op) ABSL_EXCLUSIVE_LOCKS_REQUIRED(ops_mu_);
  // The leader's mntr reports every follower synced.
  bool EnsembleSynced(const Target& target, std::string* why);

  Store* store_;
  DesiredState* state_;
  CommandSender* sender_;
  const Clock* clock_;
  FourLetterWord four_letter_word_;
  Options options_;
  std::thread thread_;

  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, v1::CommandResult> results_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> sent_ms_ ABSL_GUARDED_BY(mu_);
  absl::Mutex ops_mu_;  // one writer of operations at a time (tick vs. RPCs)
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_ROLLOUT_ENGINE_H_
