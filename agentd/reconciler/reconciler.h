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

#include "agentd/hostfs/host_filesystem.h"
#include "agentd/launcher/launcher.h"
#include "agentd/reconciler/file_sync.h"
#include "agentd/reconciler/host_policy.h"
#include "agentd/reconciler/interfaces.h"
#include "agentd/reconciler/restart_tracker.h"
#include "agentd/reconciler/service.h"
#include "agentd/reconciler/service_runner.h"
#include "agentd/state/state_file.h"
#include "common/clock.h"
#include "proto/controller.pb.h"
#include "proto/status.pb.h"
#include "roles/driver/render_context.h"

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

  RestartPolicy restart;
  int64_t resync_ms = 5'000;  // drift checks, dependency waits
  ServiceRunner::Limits limits;
  size_t max_notices = 20;
  // The host's limits on plans (agentd.conf); nullopt checks nothing
  // (unit tests of other behaviour).
  std::optional<HostPolicy> policy;
};

// What the reconciler acts through; each is an interface so unit tests
// give it fakes. None is owned.
struct ReconcilerDeps {
  Launcher* launcher = nullptr;
  const Clock* clock = nullptr;
  HealthView* health = nullptr;
  Executor* executor = nullptr;
  Preflight* preflight = nullptr;
  const SecretSource* secrets = nullptr;
  StateStore* state = nullptr;
  HostFilesystem* fs = nullptr;
  // Uniform in [0, 1) for backoff jitter; empty: a seeded generator.
  RestartTracker::Random random;
};

// The outcome of offering a plan from the controller.
struct PlanVerdict {
  bool accepted = false;
  bool changed = false;
  std::string reason;  // why refused
};

// Turns the node's plan into running role processes and keeps them so. The
// agent's loop thread owns it: Offer*, Pass and Report are not thread-safe
// with each other. Level-triggered: each Pass compares the plan with what it
// observes (files on disk, live processes, probe samples) and acts; events
// (a new plan, an exit, a probe change, a timer) only make the loop run a
// pass sooner. Its parts: FileSync (files), ServiceRunner (processes),
// Service with its Lifecycle and RestartTracker (one service's state).
class Reconciler {
 public:
  Reconciler(ReconcilerOptions options, ReconcilerDeps deps, std::function<void()> wake);
  ~Reconciler();

  // Loads the stored state and adopts the processes it names that still
  // run. Never fails on damaged state: that becomes a notice.
  void Start();

  // A plan from the controller. Plans are ordered by (epoch, version): a
  // higher epoch wins whatever its version (a controller that took the
  // cluster back), within an epoch a lower version is refused. Also refused:
  // a plan for another node, or for another cluster than the one the first
  // accepted plan named (its cluster_name is pinned in the state file).
  // A refused plan changes nothing; the refusal is kept as a notice.
  PlanVerdict OfferPlan(const v1::PlanUpdate& update);
  // An operator command: restart a service, run preflight now, or take a
  // service's peer view (answered from an executor thread).
  void OfferCommand(const v1::Command& command);
  void SetClockOffset(std::optional<int64_t> offset_ms);

  // One reconcile pass. Returns when the next pass is due at the latest
  // (the clock's monotonic ms).
  int64_t Pass();

  v1::NodeReport Report() const;
  // Results of commands finished since the last call.
  std::vector<CommandResult> TakeCommandResults();
  // Processes to watch for exit: wake the loop when one ends.
  std::vector<ProcessId> WatchedProcesses() const;
  int64_t plan_version() const { return state_.plan_version(); }
  int64_t plan_epoch() const { return state_.plan_epoch(); }

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
  void Notice(std::string text);
  // COMMAND_KIND_PEER_VIEW: refused unless the service runs here and has a
  // peer view; the view runs on the executor.
  void OfferPeerView(const v1::Command& command);
  void SaveState();
  void SyncHosts();
  std::unique_ptr<Service> NewService(const std::string& name);
  void ApplyStopCompletions(int64_t now);
  // Renders the plan and syncs the host's files; false when it cannot.
  bool RenderAndSync(std::vector<ServicePlan>* rendered);
  absl::StatusOr<std::vector<ServicePlan>> Render(const v1::NodePlan& plan) const;
  // OK when `services` of `plan` are within options_.policy.
  // The plan's secret files against the host policy, before rendering
  // reads them as root.
  absl::Status CheckSecrets(const v1::NodePlan& plan) const;
  absl::Status CheckPolicy(const v1::NodePlan& plan,
                           const std::vector<ServicePlan>& services) const;
  void UpdateServices(std::vector<ServicePlan> rendered, int64_t now);
  void ReconcileService(Service& s, int64_t now);
  bool RestartsFreely(const Service& s) const;
  bool DependenciesMet(Service& s);
  bool PreflightPasses(Service& s);
  void UpdateProbeTargets();

  ReconcilerOptions options_;
  ReconcilerDeps deps_;
  std::function<void()> wake_;
  std::mt19937_64 rng_;
  FileSync files_;
  ServiceRunner runner_;

  v1::AgentState state_;  // plan + per-service identities, as persisted
  bool state_dirty_ = false;
  std::map<std::string, std::unique_ptr<Service>> services_;
  std::deque<std::string> notices_;
  std::vector<v1::PreflightCheck> node_checks_;
  std::optional<int64_t> clock_offset_ms_;
  std::string render_error_;
  bool plan_unsaved_ = false;  // the held plan is not yet in the state file
  std::vector<CommandResult> command_results_;
};

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_RECONCILER_RECONCILER_H_
