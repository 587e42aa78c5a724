#ifndef BAMCTL_CONTROLLER_ROLLOUT_PLANNER_H_
#define BAMCTL_CONTROLLER_ROLLOUT_PLANNER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "roles/driver/service_plan.h"

namespace bamctl {

// What an operator asks for: `bamctl rolling-restart ROLE ...`.
struct RolloutRequest {
  std::string role;                  // a role name: zookeeper, cassandra, bam-receiver, ...
  std::vector<std::string> nodes{};  // only these; empty: every node running the role
  int batch_size = 1;
  bool allow_downtime = false;
  bool force = false;         // start although a pre-check fails
  bool pending_only = false;  // only instances marked restart pending
  // BAM analyzers in a task group: it was read (the instances say who holds
  // the tasks), and why it could not be when it could not. The "task holder
  // known" check is made only then.
  bool task_group_read = false;
  std::string task_group_error{};
};

// One instance of the service, as the controller sees it now.
struct Instance {
  std::string node;
  std::string address;
  bool connected = false;
  bool healthy = false;
  bool restart_pending = false;
  std::string zookeeper_mode;  // "leader", "follower", ...; "" unknown
  bool task_holder = false;    // the BAM analyzer holding the scheduled tasks
  std::string task_member;     // its member id in the analyzers' task group; "" none
};

// A condition checked before starting, with its current result.
struct PreCheck {
  std::string name;
  bool ok = false;
  std::string detail;
};

struct RolloutPlan {
  std::string service;  // the process restarted: "zookeeper", "bam", ...
  RestartSafety safety;
  std::vector<std::vector<std::string>> batches;  // node names, in order
  std::vector<PreCheck> checks;
  // Why a check failing did not stop the plan (--force), or "".
  std::string forced;
};

// Why PlanRollout refused, for callers that act on the reason rather than
// show it: the auto-rollout leaves a service that needs downtime to an
// operator but retries one whose group is not healthy yet. Carried as a
// payload of the refusal's status, so it survives Annotate and never
// depends on the message's wording.
enum class RolloutRefusal {
  kNone,            // not a planner refusal: OK, or an error from elsewhere
  kInvalidRequest,  // cannot be planned as asked: unknown node, batch too large
  kNeedsDowntime,   // a single master; only with allow_downtime (force does not do)
  kPreCheckFailed,  // a pre-check failed (group unhealthy, no single leader); force overrides
};

// The refusal `status` carries; kNone for OK and for other errors.
RolloutRefusal RolloutRefusalOf(const absl::Status& status);

// Orders the restarts of `service` (whose restart rules are `safety`)
// across `instances` (every instance in the cluster, in spec order) so that
// no quorum is lost: ZooKeeper followers one at a time and the leader last
// (the leader as the servers report it), Cassandra one node at a time, BAM
// analyzers standby before the task holder (a pre-check: exactly one holds
// the tasks, as their task group says), the rest in batches of
// `batch_size`, never past what the group tolerates; single masters only
// with allow_downtime. Fails FailedPrecondition when the service needs
// downtime and not `allow_downtime` (kNeedsDowntime), or a pre-check fails
// and not `force` (kPreCheckFailed, naming every failed check);
// InvalidArgument for a request that cannot be planned (kInvalidRequest).
// Every refusal carries its RolloutRefusal (see RolloutRefusalOf).
absl::StatusOr<RolloutPlan> PlanRollout(const RolloutRequest& request, const std::string& service,
                                        const RestartSafety& safety,
                                        const std::vector<Instance>& instances);

// The largest batch `safety`'s group tolerates with `members` instances.
int MaxBatch(const RestartSafety& safety, int members);

// `status` refused for `why`, so RolloutRefusalOf(result) == why.
absl::Status WithRefusal(RolloutRefusal why, absl::Status status);

// The service groups a whole-cluster rollout goes through, in this order:
// what the others depend on first. A service's group comes from its roles.
enum class ServiceGroup { kZooKeeper, kCassandra, kHdfs, kMapReduce, kBam };
ServiceGroup GroupOf(const ServiceDescription& service);
// "zookeeper", "cassandra", "hdfs", "mapreduce", "bam".
const char* GroupName(ServiceGroup group);

// The order a rollout of several services takes: by service group, and a
// service never before one it depends on (depends_on among `services`;
// dependencies on services not in the list are ignored), ties in canonical
// role order. `services` may name a service more than once (one entry per
// node): their dependencies are joined. Internal on a dependency cycle,
// which no driver declares.
absl::StatusOr<std::vector<std::string>> OrderServices(
    const std::vector<ServiceDescription>& services);

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_ROLLOUT_PLANNER_H_
