#ifndef BAMCTL_AGENTD_PROBES_PROBE_SCHEDULER_H_
#define BAMCTL_AGENTD_PROBES_PROBE_SCHEDULER_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "agentd/reconciler/interfaces.h"
#include "common/clock.h"

namespace bamctl {

// Runs each probe on its own thread and schedule, so a probe that hangs
// until its timeout delays nothing else, least of all the reconcile loop.
// A change of a probe's verdict wakes the loop.
class ProbeScheduler : public HealthView {
 public:
  using RunFn = std::function<ProbeResult(const Probe&, std::chrono::milliseconds)>;
  // Called after every probe run (for metrics); from a probe thread.
  using SampleFn =
      std::function<void(const std::string& group, const Probe& probe, const ProbeSample& sample)>;

  struct Options {
    std::chrono::milliseconds interval{2000};
    std::chrono::milliseconds timeout{2000};
  };

  ProbeScheduler(Options options, const Clock* clock, RunFn run, SampleFn on_sample,
                 std::function<void()> wake);
  ~ProbeScheduler() override;

  void SetTargets(const std::map<std::string, std::vector<Probe>>& targets) override;
  std::vector<std::optional<ProbeSample>> Samples(const std::string& group) const override;

 private:
  struct Worker {
    std::string group;
    Probe probe;
    std::optional<ProbeSample> latest;  // guarded by mu_
    bool stop = false;                  // guarded by mu_
    bool done = false;                  // guarded by mu_
    std::thread thread;
  };
  void Loop(Worker* w);
  void JoinFinished();

  const Options options_;
  const Clock* clock_;
  const RunFn run_;
  const SampleFn on_sample_;
  const std::function<void()> wake_;

  mutable absl::Mutex mu_;
  // Keyed by group, then by the probe's identity (kind, host, port, path).
  std::map<std::string, std::vector<std::pair<std::string, std::unique_ptr<Worker>>>> groups_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Worker>> retired_ ABSL_GUARDED_BY(mu_);
};

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_PROBES_PROBE_SCHEDULER_H_
