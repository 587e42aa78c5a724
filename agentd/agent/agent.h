#ifndef BAMCTL_AGENTD_AGENT_AGENT_H_
#define BAMCTL_AGENTD_AGENT_AGENT_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "agentd/agent/agent_metrics.h"
#include "agentd/agent/host_preflight.h"
#include "agentd/client/controller_client.h"
#include "agentd/launcher/launcher.h"
#include "agentd/probes/probe_scheduler.h"
#include "agentd/reconciler/reconciler.h"
#include "prometheus/exposer.h"
#include "prometheus/registry.h"
#include "roles/driver/file_sources.h"

namespace bamctl {

struct AgentOptions {
  ReconcilerOptions reconciler;
  std::string controller;      // host:port
  std::string metrics_listen;  // "" = no /metrics
  std::chrono::milliseconds probe_interval{2000};
  std::chrono::milliseconds probe_timeout{2000};
  std::chrono::milliseconds heartbeat{5000};
};

// Runs tasks on their own threads (stops wait out a grace period); joins
// them all before it goes away.
class ThreadExecutor : public Executor {
 public:
  ~ThreadExecutor() override;
  void Run(std::function<void()> task) override;

 private:
  struct Task {
    std::thread thread;
    bool done = false;
  };
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Task>> tasks_ ABSL_GUARDED_BY(mu_);
};

// bam-agentd: the reconcile loop on its own thread, woken by plans and
// commands from the controller stream, process exits (pidfd), probe
// verdict changes and timers. Stopping the agent never stops the roles.
class Agent {
 public:
  explicit Agent(AgentOptions options);
  ~Agent();

  // Binds /metrics (an error names the address), adopts what runs, starts
  // the loop and the controller stream.
  absl::Status Start();
  void Stop();

 private:
  void Wake();
  void Loop();
  void SyncWatchers(const std::vector<ProcessId>& ids);

  const AgentOptions options_;
  ProcessLauncher launcher_;
  FileSecretSource secrets_;
  HostPreflight preflight_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<AgentMetrics> metrics_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::unique_ptr<ProbeScheduler> probes_;
  std::unique_ptr<Reconciler> reconciler_;
  std::unique_ptr<ControllerClient> client_;
  // Declared last, destroyed first: its tasks call into the reconciler.
  std::unique_ptr<ThreadExecutor> executor_;

  struct Watcher {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> stop;
  };
  std::map<pid_t, Watcher> watchers_;  // loop thread only
  std::thread loop_;

  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<v1::PlanUpdate> plans_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::Command> commands_ ABSL_GUARDED_BY(mu_);
};

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_AGENT_AGENT_H_
