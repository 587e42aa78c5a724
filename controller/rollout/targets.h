#ifndef BAMCTL_CONTROLLER_ROLLOUT_TARGETS_H_
#define BAMCTL_CONTROLLER_ROLLOUT_TARGETS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controller/cluster/desired_state.h"
#include "controller/rollout/planner.h"
#include "controller/rollout/zookeeper_sync.h"
#include "proto/controller.pb.h"
#include "roles/driver/service_plan.h"

namespace bamctl {

// One service of the desired state, as a rolling restart sees it.
struct Target {
  std::string service;  // the process restarted: "zookeeper", "bam", ...
  RestartSafety safety;
  std::vector<Instance> instances;  // every instance, spec order, with status
  // node -> where it answers four-letter words (ZooKeeper only).
  std::map<std::string, ZooKeeperServer> zookeeper;
};

// A service a version left restart pending, with one of its roles (the
// planner takes a role).
struct PendingService {
  std::string service;
  std::string role;
};

// The status `status` reports for `service` on `node`, or nullptr; sets
// `*connected` (when given) to whether that node's agent is connected.
const v1::RoleStatus* FindRole(const v1::GetStatusResponse& status, const std::string& node,
                               const std::string& service, bool* connected);

// What roles and services are in the current desired state: which service
// serves a role, its restart rules and probes, where its instances run.
// Reads the desired state's cached plans; does not own `state`.
class TargetResolver {
 public:
  explicit TargetResolver(DesiredState* state) : state_(state) {}

  // The service that serves `role` with every instance, each with what
  // `status` reports of it. InvalidArgument for an unknown role;
  // FailedPrecondition before the first apply.
  absl::StatusOr<Target> Resolve(const std::string& role, const v1::GetStatusResponse& status);

  // Every service `status` reports restart pending on a node of the current
  // plans, once each, in the order status lists them.
  absl::StatusOr<std::vector<PendingService>> PendingServices(const v1::GetStatusResponse& status);

 private:
  // The services of one node: names, roles, probes, restart rules, from
  // DescribeNode (no file is rendered).
  static absl::StatusOr<std::vector<ServiceDescription>> ServicesOf(const v1::NodePlan& plan);

  DesiredState* state_;
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_ROLLOUT_TARGETS_H_
