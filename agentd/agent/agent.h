#ifndef BAMCTL_AGENTD_AGENT_AGENT_H_
#define BAMCTL_AGENTD_AGENT_AGENT_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "agentd/agent/agent_metrics.h"
#include "agentd/client/controller_client.h"
#include "agentd/hostfs/host_filesystem.h"
#include "agentd/hostfs/secret_files.h"
#include "agentd/launcher/exit_watcher.h"
#include "agentd/launcher/launcher.h"
#include "agentd/preflight/host_preflight.h"
#include "agentd/preflight/preflight.h"
#include "agentd/probes/probe_scheduler.h"
#include "agentd/reconciler/reconciler.h"
#include "agentd/state/state_file.h"
#include "common/sd_notify.h"
#include "prometheus/exposer.h"
#include "prometheus/registry.h"
#include "roles/driver/file_sources.h"
#include "roles/driver/render_context.h"

namespace bamctl {

struct AgentOptions {
  ReconcilerOptions reconciler;
  std::string controller;      // host:port
  std::string metrics_listen;  // "" = no /metrics
  std::chrono::milliseconds probe_interval{2000};
  std::chrono::milliseconds probe_timeout{2000};
  std::chrono::milliseconds heartbeat{5000};
  // The node's TLS credentials for the controller stream; null: plaintext.
  // Not owned; must outlive the agent.
  NodeCredentialSource* credentials = nullptr;
  // systemd's notify socket (READY after the first pass, STATUS, WATCHDOG
  // from the loop); null: none. Not owned; must outlive the agent.
  SystemdNotifier* notifier = nullptr;
};

// Runs slow tasks (a stop waits out its grace period) on a small fixed
// pool of threads, started when first needed; joins them before it goes.
class PoolExecutor : public Executor {
 public:
  explicit PoolExecutor(int threads) : max_threads_(threads) {}
  ~PoolExecutor() override;
  void Run(std::function<void()> task) override;

 private:
  void Work();

  const int max_threads_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  int idle_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_;  // guarded by mu_ for growth
};

// What the agent acts through. Agent::ForHost gives the real ones; tests
// give fakes (a launcher that records, a clock moved by hand, state in
// memory, a controller link the test drives). None is owned unless said.
struct AgentDeps {
  // Launcher, clock, state store, filesystem, preflight and secrets, handed
  // on to the reconciler; its health view and executor are the agent's own
  // (the probe scheduler and the stop pool) and are filled in by Start.
  ReconcilerDeps host;
  ProbeScheduler::RunFn run_probe;
  // Makes the link to the controller; not called when options.controller
  // is empty.
  std::function<std::unique_ptr<ControllerLink>(ControllerLink::Callbacks)> connect;
  // Makes the exit watcher around a callback that wakes the loop.
  std::function<std::unique_ptr<ExitWatcher>(std::function<void()>)> watch_exits;
};

// bam-agentd: the reconcile loop on its own thread, woken by plans and
// commands from the controller stream, process exits (pidfd), probe
// verdict changes and timers. Stopping the agent never stops the roles.
// Threads: the loop, the exit watcher, the probe workers, the controller
// stream's, and stops in flight (bounded by the executor's pool).
class Agent {
 public:
  Agent(AgentOptions options, AgentDeps deps);
  ~Agent();

  // Binds /metrics (an error names the address), adopts what runs, starts
  // the loop and the controller stream.
  absl::Status Start();
  void Stop();

  // One reconcile pass with what has arrived (plans, commands), then the
  // report, watchers and metrics; returns when the next pass is due
  // (monotonic ms). The loop thread runs it; tests may call it directly
  // instead of Start()ing the loop.
  int64_t RunOnce();

 private:
  void Wake();
  void Loop();
  // One line for `systemctl status`: the plan, the roles by phase, the
  // controller link.
  std::string StatusLine() const;

  const AgentOptions options_;
  AgentDeps deps_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<AgentMetrics> metrics_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::unique_ptr<ProbeScheduler> probes_;
  std::unique_ptr<HealthView> health_;  // probes_, with the metrics kept to its probes
  std::unique_ptr<Reconciler> reconciler_;
  std::unique_ptr<ControllerLink> link_;
  std::atomic<bool> connected_{false};
  std::unique_ptr<ExitWatcher> exits_;
  // Declared last, destroyed first: its tasks call into the reconciler.
  std::unique_ptr<PoolExecutor> executor_;
  std::thread loop_;

  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<v1::PlanUpdate> plans_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::Command> commands_ ABSL_GUARDED_BY(mu_);
};

// The agent's collaborators on a real host, owned here.
class HostAgentParts {
 public:
  explicit HostAgentParts(const AgentOptions& options);
  AgentDeps Deps();

 private:
  ProcessLauncher launcher_;
  RealHostFilesystem fs_;
  StateFile state_;
  SafeSecretSource secrets_;
  HostPreflight preflight_;
  ControllerClient::Options client_options_;
};

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_AGENT_AGENT_H_
