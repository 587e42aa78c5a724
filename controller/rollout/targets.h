#ifndef BAMCTL_CONTROLLER_ROLLOUT_TARGETS_H_
#define BAMCTL_CONTROLLER_ROLLOUT_TARGETS_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
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
  // The BAM analyzers' coordination servers, where their task group is
  // (analyzers only; from their ZooKeeper dependency).
  std::vector<ZooKeeperServer> coordination;
};

// A service a version left restart pending, with one of its roles (the
// planner takes a role) and its group.
struct PendingService {
  std::string service;
  std::string role;
  ServiceGroup group = ServiceGroup::kBam;
};

// The status `status` reports for `service` on `node`, or nullptr; sets
// `*connected` (when given) to whether that node's agent is connected.
const v1::RoleStatus* FindRole(const v1::GetStatusResponse& status, const std::string& node,
                               const std::string& service, bool* connected);

// What roles and services are in the current desired state: which service
// serves a role, its restart rules and probes, where its instances run.
// Reads the desired state's cached plans; does not own `state`.
// Thread-safe.
class TargetResolver {
 public:
  explicit TargetResolver(DesiredState* state) : state_(state) {}

  // The service that serves `role` with every instance, each with what
  // `status` reports of it. InvalidArgument for an unknown role;
  // FailedPrecondition before the first apply.
  absl::StatusOr<Target> Resolve(const std::string& role, const v1::GetStatusResponse& status);
  // Every instance of `service`, whichever roles each serves. Where the
  // instances' restart rules differ, the ordered one (BAM analyzers') holds
  // for all. InvalidArgument when no node runs it.
  absl::StatusOr<Target> ResolveService(const std::string& service,
                                        const v1::GetStatusResponse& status);

  // Every service `status` reports restart pending on a node of the current
  // plans, once each, in the order a whole-cluster rollout restarts them
  // (OrderServices: by service group, dependencies first).
  absl::StatusOr<std::vector<PendingService>> PendingServices(const v1::GetStatusResponse& status);

 private:
  using Described = std::shared_ptr<const std::vector<ServiceDescription>>;
  // The services of one node of `current`: names, roles, probes, restart
  // rules, from DescribeNode (no file is rendered). Kept per version: a
  // restarting step resolves its service every tick, and a node's
  // descriptions change only with its plan.
  absl::StatusOr<Described> ServicesOf(const std::shared_ptr<const DesiredState::Current>& current,
                                       const v1::NodePlan& plan);
  // The instances of the services `wanted` picks on the nodes
  // `node_wanted` picks, node by node in spec order.
  absl::StatusOr<Target> Collect(const std::function<bool(const v1::NodePlan&)>& node_wanted,
                                 const std::function<bool(const ServiceDescription&)>& wanted,
                                 const v1::GetStatusResponse& status);

  DesiredState* state_;
  absl::Mutex mu_;
  std::shared_ptr<const DesiredState::Current> described_for_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Described> described_ ABSL_GUARDED_BY(mu_);  // by node
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_ROLLOUT_TARGETS_H_
