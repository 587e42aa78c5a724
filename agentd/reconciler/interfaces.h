#ifndef BAMCTL_AGENTD_RECONCILER_INTERFACES_H_
#define BAMCTL_AGENTD_RECONCILER_INTERFACES_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agentd/preflight/preflight.h"
#include "roles/driver/service_plan.h"
#include "roles/probe/probe_runner.h"

namespace bamctl {

// One probe outcome with when it was taken, so a result from before a
// restart never counts for the new process.
struct ProbeSample {
  ProbeResult result;
  int64_t at_ms = 0;
  double latency_ms = 0;
};

// Probe results, produced off the reconcile loop (a hung probe must never
// block it). The reconciler says what to probe; the view keeps the latest
// sample of each probe.
class HealthView {
 public:
  virtual ~HealthView() = default;
  // Replaces the set of probe groups. Groups (and their probes) that stay
  // the same keep their results and schedule.
  virtual void SetTargets(const std::map<std::string, std::vector<Probe>>& targets) = 0;
  // The latest sample per probe of `group`, in SetTargets order; nullopt for
  // a probe that has not answered yet.
  virtual std::vector<std::optional<ProbeSample>> Samples(const std::string& group) const = 0;
};

// Runs slow work (stopping a process waits up to its grace period) off the
// loop. Tests run it inline.
class Executor {
 public:
  virtual ~Executor() = default;
  virtual void Run(std::function<void()> task) = 0;
};

class InlineExecutor : public Executor {
 public:
  void Run(std::function<void()> task) override { task(); }
};

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_RECONCILER_INTERFACES_H_
