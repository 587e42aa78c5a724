#ifndef BAMCTL_AGENTD_PROBES_PROBE_SCHEDULER_H_
#define BAMCTL_AGENTD_PROBES_PROBE_SCHEDULER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "agentd/reconciler/interfaces.h"
#include "common/clock.h"

namespace bamctl {

// Runs every probe on its own interval with a small fixed pool of threads
// and a timer per probe (the time it is next due), however many probes the
// plan has: the agent's thread count does not grow with the cluster. A
// probe that hangs until its timeout holds one worker; the others go on,
// and nothing waits for it, least of all the reconcile loop. A change of a
// probe's verdict wakes the loop. Times are the clock's monotonic ms.
class ProbeScheduler : public HealthView {
 public:
  using RunFn = std::function<ProbeResult(const Probe&, std::chrono::milliseconds)>;
  // Called after every probe run (for metrics); from a worker thread.
  using SampleFn =
      std::function<void(const std::string& group, const Probe& probe, const ProbeSample& sample)>;

  struct Options {
    std::chrono::milliseconds interval{2000};
    std::chrono::milliseconds timeout{2000};
    int workers = 2;  // one probe may hang without delaying the rest
  };

  ProbeScheduler(Options options, const Clock* clock, RunFn run, SampleFn on_sample,
                 std::function<void()> wake);
  ~ProbeScheduler() override;

  void SetTargets(const std::map<std::string, std::vector<Probe>>& targets) override;
  std::vector<std::optional<ProbeSample>> Samples(const std::string& group) const override;

 private:
  struct Entry {
    std::string group;
    Probe probe;
    std::optional<ProbeSample> latest;
    int64_t due_ms = 0;
    bool running = false;
    bool retired = false;  // left the targets; a run in flight is dropped
  };
  void Work();
  // The idle entry due first, if any.
  std::shared_ptr<Entry> NextDue() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  const Clock* clock_;
  const RunFn run_;
  const SampleFn on_sample_;
  const std::function<void()> wake_;

  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  // Keyed by group, then by the probe's identity (kind, host, port, path).
  std::map<std::string, std::vector<std::pair<std::string, std::shared_ptr<Entry>>>> groups_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> workers_;
};

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_PROBES_PROBE_SCHEDULER_H_
