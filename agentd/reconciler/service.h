#ifndef BAMCTL_AGENTD_RECONCILER_SERVICE_H_
#define BAMCTL_AGENTD_RECONCILER_SERVICE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agentd/launcher/launcher.h"
#include "agentd/reconciler/lifecycle.h"
#include "agentd/reconciler/restart_tracker.h"
#include "proto/status.pb.h"
#include "roles/driver/service_plan.h"

namespace bamctl {

// One service of the node as the agent sees it: what the plan wants, the
// process that runs it, and what the agent reports. Owned by the
// reconcile loop. Times are monotonic ms unless named *_wall_ms.
struct Service {
  Service(std::string service_name, const RestartPolicy* policy, RestartTracker::Random random)
      : name(std::move(service_name)), backoff(policy, std::move(random)) {}

  std::string name;
  ServicePlan plan;
  bool in_plan = false;
  std::string desired_hash;

  Lifecycle life;
  RestartTracker backoff;

  // The role process while life.HasProcess() (started or adopted).
  std::optional<ProcessId> proc;
  std::string running_hash;  // the files it was started with; "" unknown
  int64_t started_ms = 0;
  int64_t started_wall_ms = 0;
  // A process of this service ran before: the next start is a restart.
  bool has_run = false;

  uint32_t restarts = 0;
  int last_exit_code = -1;
  std::string last_failure;  // why the last run or start ended

  // An init step in flight (namenode -format).
  std::optional<ProcessId> init_proc;
  std::string init_name;
  std::string init_marker;
  int64_t init_started_ms = 0;

  // Restart commands received, answered when the new process starts.
  bool restart_requested = false;
  std::vector<std::string> restart_commands;

  // What the agent reports.
  std::vector<v1::PreflightCheck> checks;
  v1::Phase phase = v1::PHASE_PENDING;
  v1::Health health = v1::HEALTH_UNKNOWN;
  std::string reason;

  void Show(v1::Phase p, v1::Health h, std::string why = "") {
    phase = p;
    health = h;
    reason = std::move(why);
  }
};

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_RECONCILER_SERVICE_H_
