#ifndef BAMCTL_AGENTD_RECONCILER_SERVICE_RUNNER_H_
#define BAMCTL_AGENTD_RECONCILER_SERVICE_RUNNER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "agentd/hostfs/host_filesystem.h"
#include "agentd/launcher/launcher.h"
#include "agentd/reconciler/interfaces.h"
#include "agentd/reconciler/launch_spec.h"
#include "agentd/reconciler/service.h"

namespace bamctl {

// The answer to a controller command, handed to the stream after a pass.
struct CommandResult {
  std::string command_id;
  bool ok = false;
  std::string message;
  std::string output;  // what a query printed (a peer view)
};

// A stop that finished on an executor thread.
struct StopCompletion {
  std::string service;
  absl::Status status;
};

// Runs one service's processes: init steps, the launch, the stop (off the
// loop), and the verdict of its probes. Moves the service's Lifecycle and
// sets what it reports; the reconciler decides when to call what.
class ServiceRunner {
 public:
  struct Hooks {
    std::function<void(std::string)> notice;
    std::function<void(CommandResult)> command_result;
    std::function<void()> state_changed;  // something the state file keeps
    std::function<void()> wake;           // a stop finished
  };

  struct Limits {
    int64_t init_step_timeout_ms = 600'000;
    uint64_t log_max_bytes = 64ull << 20;  // a role's log is rotated past this
    int log_keep = 5;
  };

  ServiceRunner(AgentPaths paths, Limits limits, Launcher* launcher, Executor* executor,
                HealthView* health, HostFilesystem* fs, Hooks hooks);

  // The process is gone: keeps its exit code, schedules the next start.
  void ObserveExit(Service& s, int64_t now);
  // Runs the next unfinished init step; true when all are done.
  bool RunInitSteps(Service& s, int64_t now);
  // Starts the role process (kStarting) or records why it could not.
  void Launch(Service& s, int64_t now, int64_t now_wall);
  // Stops the process on the executor after its pre-stop commands: `then`
  // is kRestarting (start again) or kStopping (forget). The result arrives
  // through TakeStopCompletions; an error when a required pre-stop command
  // failed and the process was left running.
  void BeginStop(Service& s, ServiceState then);
  // kStarting -> kRunning once every probe passed after the start; the
  // reported phase, health and reason.
  void UpdateHealth(Service& s);
  std::vector<StopCompletion> TakeStopCompletions();
  // Runs the service's peer view (`nodetool status`) on the executor as
  // the service's user, bounded, and answers `command_id` with what it
  // printed (at most kMaxQueryOutputBytes). One runs at a time per
  // service: ids that come meanwhile share its answer.
  void QueryPeerView(const Service& s, const std::string& command_id);
  // Answers of finished queries (from executor threads).
  std::vector<CommandResult> TakeQueryResults();

  static constexpr uint64_t kMaxQueryOutputBytes = 64 * 1024;
  static constexpr std::chrono::seconds kQueryTimeout{30};

  const AgentPaths& paths() const { return paths_; }

 private:
  // An init step or launch failed: kExited, backoff, reported failed.
  void FailStart(Service& s, int64_t now, std::string failure);
  // Runs a helper to its end, bounded by `timeout` (then stopped); "" when
  // it exited 0, else what went wrong. On an executor thread.
  // `what` names the command in that ("the pre-stop command").
  std::string RunBounded(const LaunchSpec& command, std::chrono::milliseconds timeout,
                         absl::string_view what = "the pre-stop command");
  // Hands a finished stop to the loop and wakes it.
  void Complete(StopCompletion completion);

  const AgentPaths paths_;
  const Limits limits_;
  Launcher* launcher_;
  Executor* executor_;
  HealthView* health_;
  HostFilesystem* fs_;
  Hooks hooks_;

  absl::Mutex mu_;  // completions arrive from executor threads
  std::vector<StopCompletion> completions_ ABSL_GUARDED_BY(mu_);
  // Queries in flight by service, with the ids waiting for their answer.
  std::map<std::string, std::vector<std::string>> queries_ ABSL_GUARDED_BY(mu_);
  std::vector<CommandResult> query_results_ ABSL_GUARDED_BY(mu_);
};

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_RECONCILER_SERVICE_RUNNER_H_
