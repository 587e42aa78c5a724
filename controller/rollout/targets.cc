#include "controller/rollout/targets.h"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string_view>
#include <utility>

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

absl::StatusOr<TargetResolver::Described> TargetResolver::ServicesOf(
    const std::shared_ptr<const DesiredState::Current>& current, const v1::NodePlan& plan) {
  absl::MutexLock lock(&mu_);
  if (described_for_ != current) {  // a new version: new plans
    described_.clear();
    described_for_ = current;
  }
  if (auto it = described_.find(plan.node()); it != described_.end()) return it->second;
  // Restart rules and probes come from the plan alone: no file is rendered.
  ASSIGN_OR_RETURN(std::vector<ServiceDescription> services,
                   Annotate(DescribeNode(plan), absl::StrCat("the services of ", plan.node())));
  Described kept = std::make_shared<const std::vector<ServiceDescription>>(std::move(services));
  described_[plan.node()] = kept;
  return kept;
}

absl::StatusOr<Target> TargetResolver::Collect(
    const std::function<bool(const v1::NodePlan&)>& node_wanted,
    const std::function<bool(const ServiceDescription&)>& wanted,
    const v1::GetStatusResponse& status) {
  ASSIGN_OR_RETURN(std::shared_ptr<const DesiredState::Current> current, state_->CurrentPlans());
  if (current->version == 0) {
    return absl::FailedPreconditionError("no desired state has been applied yet");
  }
  // Each node's status by name, once: looking each plan's node up in the
  // list would make a resolve quadratic in the cluster's size.
  std::map<std::string_view, const v1::NodeStatus*> reported;
  for (const v1::NodeStatus& n : status.nodes()) reported.emplace(n.node(), &n);
  Target target;
  for (const v1::NodePlan& plan : current->plans) {
    if (!node_wanted(plan)) continue;  // not described: cheaper
    auto node_status = reported.find(plan.node());
    ASSIGN_OR_RETURN(Described services, ServicesOf(current, plan));
    for (const ServiceDescription& s : *services) {
      if (!wanted(s)) continue;
      // Where instances differ (a BAM receiver beside analyzers), the rule
      // with an order of its own wins: it is the stricter.
      if (target.instances.empty() || target.safety.order == RestartSafety::Order::kAnyOrder) {
        target.service = s.name;
        target.safety = s.restart;
      }
      Instance in;
      in.node = plan.node();
      in.address = plan.address();
      const v1::RoleStatus* r = nullptr;
      if (node_status != reported.end()) {
        in.connected = node_status->second->connected();
        for (const v1::RoleStatus& role : node_status->second->roles()) {
          if (role.service() == s.name) r = &role;
        }
      }
      in.healthy = r != nullptr && r->health() == v1::HEALTH_HEALTHY;
      in.restart_pending = r != nullptr && r->restart_pending();
      for (const Probe& p : s.probes) {
        if (p.kind == Probe::Kind::kZooKeeper) target.zookeeper[plan.node()] = {p.host, p.port};
      }
      if (s.restart.order == RestartSafety::Order::kStandbyBeforeActive &&
          target.coordination.empty()) {
        for (const Dependency& d : s.depends_on) {
          if (d.service != "zookeeper") continue;
          for (const Probe& p : d.probes) target.coordination.push_back({p.host, p.port});
        }
      }
      target.instances.push_back(in);
    }
  }
  return target;
}

absl::StatusOr<Target> TargetResolver::Resolve(const std::string& role,
                                               const v1::GetStatusResponse& status) {
  if (!ParseRoleName(role)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown role \"", role, "\"; valid roles: ", ValidRoleNamesForError()));
  }
  return Collect(
      [&](const v1::NodePlan& plan) {
        return Contains({plan.roles().begin(), plan.roles().end()}, role);
      },
      [&](const ServiceDescription& s) { return Contains(s.roles, role); }, status);
}

absl::StatusOr<Target> TargetResolver::ResolveService(const std::string& service,
                                                      const v1::GetStatusResponse& status) {
  ASSIGN_OR_RETURN(Target target,
                   Collect([](const v1::NodePlan&) { return true; },
                           [&](const ServiceDescription& s) { return s.name == service; }, status));
  if (target.instances.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no node runs service ", service, " in the desired state"));
  }
  return target;
}

absl::StatusOr<std::vector<PendingService>> TargetResolver::PendingServices(
    const v1::GetStatusResponse& status) {
  ASSIGN_OR_RETURN(std::shared_ptr<const DesiredState::Current> current, state_->CurrentPlans());
  // The descriptions of every pending service, from each node it is
  // pending on (a BAM analyzer depends on more than a receiver).
  std::vector<ServiceDescription> described;
  std::map<std::string, PendingService> pending;
  for (const v1::NodeStatus& n : status.nodes()) {
    const v1::NodePlan* plan = current->Find(n.node());
    if (plan == nullptr) continue;
    Described services;
    for (const v1::RoleStatus& r : n.roles()) {
      if (!r.restart_pending()) continue;
      if (services == nullptr) {
        ASSIGN_OR_RETURN(services, ServicesOf(current, *plan));
      }
      for (const ServiceDescription& s : *services) {
        if (s.name != r.service() || s.roles.empty()) continue;
        described.push_back(s);
        pending.emplace(s.name, PendingService{s.name, s.roles[0], GroupOf(s)});
      }
    }
  }
  ASSIGN_OR_RETURN(std::vector<std::string> order, OrderServices(described));
  std::vector<PendingService> ordered;
  ordered.reserve(order.size());
  for (const std::string& name : order) ordered.push_back(pending.at(name));
  return ordered;
}

}  // namespace bamctl
