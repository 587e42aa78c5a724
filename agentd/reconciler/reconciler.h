#ifndef BAMCTL_AGENTD_RECONCILER_RECONCILER_H_
#define BAMCTL_AGENTD_RECONCILER_RECONCILER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "agentd/launcher/launcher.h"
#include "agentd/reconciler/interfaces.h"
#include "agentd/state/state_file.h"
#include "common/clock.h"
#include "proto/controller.pb.h"
#include "proto/status.pb.h"
#include "roles/driver/render_context.h"
#include "roles/driver/service_plan.h"

namespace bamctl {

struct ReconcilerOptions {
  std::string node;
  std::string root_dir;    // prefix of every host path (RenderContext::root)
  std::string state_dir;   // holds agent.state
  std::string log_dir;     // <service>.log per service
  std::string hosts_file;  // kept when the plan asks; "" = never touched
  std::string agent_version = "0.1.0";
  // Patch the stock copy of a shipped file the install lacks (tests only:
  // on a host a missing file means a broken install).
  bool fall_back_to_stock = false;

  int64_t backoff_initial_ms = 500;
  int64_t backoff_max_ms = 60'000;
  double backoff_jitter = 0.2;  // +-20%: agents restarting together spread out
  // An exit this soon after start is a quick failure; this many in a row is
  // a crash loop. A process that stays up this long resets the backoff.
  int64_t quick_exit_ms = 10'000;
  int crash_loop_after = 5;
  int64_t resync_ms = 5'000;  // drift checks, dependency waits
  int64_t init_step_timeout_ms = 600'000;
  uint64_t log_max_bytes = 64ull << 20;
  int log_keep = 5;
  size_t max_notices = 20;
};

// The outcome of offering a plan from the controller.
struct PlanVerdict {
  bool accepted = false;
  bool changed = false;
  std::string reason;  // why refused
};

// What the loop hands the controller stream after a pass.
struct CommandResult {
  std::string command_id;
  bool ok = false;
  std::string message;
};

// Turns the node's plan into running role processes and keeps them so. The
// agent's loop thread owns it: Offer*, Pass and Report are not thread-safe
// with each other. Level-triggered: each Pass compares the plan with what it
// observes (files on disk, live processes, probe samples) and acts; events
// (a new plan, an exit, a probe change, a timer) only make the loop run a
// pass sooner.
class Reconciler {
 public:
  Reconciler(ReconcilerOptions options, Launcher* launcher, const Clock* clock, HealthView* health,
             Executor* executor, Preflight* preflight, const SecretSource* secrets,
             std::function<void()> wake);
  ~Reconciler();

  // Loads the state file and adopts the processes it names that still run.
  // Never fails on a damaged file: that becomes a notice.
  void Start();

  // A plan from the controller. Refused when it is for another node or
  // older than the plan held; the refusal is also kept as a notice.
  PlanVerdict OfferPlan(const v1::PlanUpdate& update);
  // An operator command: restart a service, or run preflight now.
  void OfferCommand(const v1::Command& command);
  void SetClockOffset(std::optional<int64_t> offset_ms);

  // One reconcile pass. Returns when the next pass is due at the latest
  // (ms since the epoch).
  int64_t Pass();

  v1::NodeReport Report() const;
  // Results of commands finished since the last call.
  std::vector<CommandResult> TakeCommandResults();
  // Processes to watch for exit: wake the loop when one ends.
  std::vector<ProcessId> WatchedProcesses() const;
  int64_t plan_version() const { return state_.plan_version(); }

  // Per-pass facts for metrics.
  struct ServiceMetrics {
    std::string name;
    v1::Phase phase = v1::PHASE_UNSPECIFIED;
    bool up = false;
    uint32_t restarts = 0;
    int last_exit_code = -1;
    bool config_current = true;
  };
  std::vector<ServiceMetrics> Metrics() const;

 private:
  struct Service;
  struct Completion {
    std::string service;
    absl::Status status;
  };

  void Notice(std::string text);
  void SaveState();
  void SyncHosts();
  // Writes the node's files that differ from the plan; notices hand edits.
  absl::Status SyncFiles(const std::vector<ServicePlan>& services);
  void SyncDirectoriesAndRemovals(const ServicePlan& plan);
  void ReconcileService(Service& s, int64_t now);
  bool RestartsFreely(const Service& s) const;
  void ObserveExit(Service& s, int64_t now);
  bool DependenciesMet(Service& s);
  bool PreflightPasses(Service& s);
  // Runs the next unfinished init step; true when all are done.
  bool RunInitSteps(Service& s, int64_t now);
  void LaunchService(Service& s, int64_t now);
  void BeginStop(Service& s, bool then_forget);
  void ScheduleRetry(Service& s, int64_t now, bool quick);
  void UpdateHealth(Service& s);
  void UpdateProbeTargets();
  int64_t JitteredBackoff(int quick_failures);
  std::string LogPath(const std::string& service) const;
  std::string MarkerValue(const std::string& service) const;

  ReconcilerOptions options_;
  Launcher* launcher_;
  const Clock* clock_;
  HealthView* health_;
  Executor* executor_;
  Preflight* preflight_;
  const SecretSource* secrets_;
  std::function<void()> wake_;
  StateFile state_file_;

  v1::AgentState state_;  // plan + per-service identities, as persisted
  bool state_dirty_ = false;
  std::map<std::string, std::unique_ptr<Service>> services_;
  std::map<std::string, std::string> written_;  // path -> sha256 of what we wrote
  std::deque<std::string> notices_;
  std::vector<v1::PreflightCheck> node_checks_;
  std::optional<int64_t> clock_offset_ms_;
  std::string render_error_;
  std::vector<CommandResult> command_results_;
  std::mt19937_64 rng_;

  mutable absl::Mutex mu_;  // completions arrive from executor threads
  std::vector<Completion> completions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_RECONCILER_RECONCILER_H_
