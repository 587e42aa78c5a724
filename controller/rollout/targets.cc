#include "controller/rollout/targets.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "roles/render/node_renderer.h"
#include "roles/spec/role_kind.h"

namespace bamctl {
namespace {

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

const v1::RoleStatus* FindRole(const v1::GetStatusResponse& status, const std::string& node,
                               const std::string& service, bool* connected) {
  for (const v1::NodeStatus& n : status.nodes()) {
    if (n.node() != node) continue;
    if (connected != nullptr) *connected = n.connected();
    for (const v1::RoleStatus& r : n.roles()) {
      if (r.service() == service) return &r;
    }
  }
  return nullptr;
}

absl::StatusOr<std::vector<ServiceDescription>> TargetResolver::ServicesOf(
    const v1::NodePlan& plan) {
  // Restart rules and probes come from the plan alone: no file is rendered.
  return Annotate(DescribeNode(plan), absl::StrCat("the services of ", plan.node()));
}

absl::StatusOr<Target> TargetResolver::Resolve(const std::string& role,
                                               const v1::GetStatusResponse& status) {
  if (!ParseRoleName(role)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown role \"", role, "\"; valid roles: ", ValidRoleNamesForError()));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const DesiredState::Current> current, state_->CurrentPlans());
  if (current->version == 0) {
    return absl::FailedPreconditionError("no desired state has been applied yet");
  }
  Target target;
  for (const v1::NodePlan& plan : current->plans) {
    if (!Contains({plan.roles().begin(), plan.roles().end()}, role)) continue;
    ASSIGN_OR_RETURN(std::vector<ServiceDescription> services, ServicesOf(plan));
    for (const ServiceDescription& s : services) {
      if (!Contains(s.roles, role)) continue;
      target.service = s.name;
      target.safety = s.restart;
      Instance in;
      in.node = plan.node();
      in.address = plan.address();
      const v1::RoleStatus* r = FindRole(status, plan.node(), s.name, &in.connected);
      in.healthy = r != nullptr && r->health() == v1::HEALTH_HEALTHY;
      in.restart_pending = r != nullptr && r->restart_pending();
      for (const Probe& p : s.probes) {
        if (p.kind == Probe::Kind::kZooKeeper) target.zookeeper[plan.node()] = {p.host, p.port};
      }
      target.instances.push_back(in);
    }
  }
  return target;
}

absl::StatusOr<std::vector<PendingService>> TargetResolver::PendingServices(
    const v1::GetStatusResponse& status) {
  ASSIGN_OR_RETURN(std::shared_ptr<const DesiredState::Current> current, state_->CurrentPlans());
  std::vector<PendingService> pending;
  for (const v1::NodeStatus& n : status.nodes()) {
    const v1::NodePlan* plan = current->Find(n.node());
    if (plan == nullptr) continue;
    for (const v1::RoleStatus& r : n.roles()) {
      if (!r.restart_pending()) continue;
      if (std::any_of(pending.begin(), pending.end(),
                      [&](const PendingService& p) { return p.service == r.service(); })) {
        continue;
      }
      ASSIGN_OR_RETURN(std::vector<ServiceDescription> services, ServicesOf(*plan));
      for (const ServiceDescription& s : services) {
        if (s.name == r.service() && !s.roles.empty()) pending.push_back({s.name, s.roles[0]});
      }
    }
  }
  return pending;
}

}  // namespace bamctl
