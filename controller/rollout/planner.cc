#include "controller/rollout/planner.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "roles/spec/role_kind.h"

namespace bamctl {
namespace {

constexpr char kRefusalUrl[] = "bamctl/rollout-refusal";

constexpr std::pair<RolloutRefusal, const char*> kRefusalNames[] = {
    {RolloutRefusal::kInvalidRequest, "invalid-request"},
    {RolloutRefusal::kNeedsDowntime, "needs-downtime"},
    {RolloutRefusal::kPreCheckFailed, "pre-check-failed"},
};

absl::Status Refuse(RolloutRefusal why, absl::Status status) {
  return WithRefusal(why, std::move(status));
}

// Where a role sorts: its group, then its canonical position.
std::pair<int, int> RoleRank(const std::string& role) {
  const std::optional<RoleKind> kind = ParseRoleName(role);
  if (!kind) return {static_cast<int>(ServiceGroup::kBam) + 1, 0};
  const auto kinds = AllRoleKinds();
  const int position =
      static_cast<int>(std::find(kinds.begin(), kinds.end(), *kind) - kinds.begin());
  ServiceGroup group = ServiceGroup::kBam;
  switch (*kind) {
    case RoleKind::kZooKeeper:
      group = ServiceGroup::kZooKeeper;
      break;
    case RoleKind::kCassandra:
      group = ServiceGroup::kCassandra;
      break;
    case RoleKind::kNameNode:
    case RoleKind::kSecondaryNameNode:
    case RoleKind::kDataNode:
      group = ServiceGroup::kHdfs;
      break;
    case RoleKind::kJobTracker:
    case RoleKind::kTaskTracker:
      group = ServiceGroup::kMapReduce;
      break;
    case RoleKind::kBamReceiver:
    case RoleKind::kBamAnalyzer:
    case RoleKind::kBamDashboard:
      group = ServiceGroup::kBam;
      break;
  }
  return {static_cast<int>(group), position};
}

std::pair<int, int> ServiceRank(const ServiceDescription& service) {
  std::pair<int, int> rank{static_cast<int>(ServiceGroup::kBam) + 1, 0};
  for (const std::string& role : service.roles) rank = std::min(rank, RoleRank(role));
  return rank;
}

}  // namespace

absl::Status WithRefusal(RolloutRefusal why, absl::Status status) {
  for (const auto& [refusal, name] : kRefusalNames) {
    if (refusal == why) status.SetPayload(kRefusalUrl, absl::Cord(name));
  }
  return status;
}

ServiceGroup GroupOf(const ServiceDescription& service) {
  const int group = ServiceRank(service).first;
  return group > static_cast<int>(ServiceGroup::kBam) ? ServiceGroup::kBam
                                                      : static_cast<ServiceGroup>(group);
}

const char* GroupName(ServiceGroup group) {
  switch (group) {
    case ServiceGroup::kZooKeeper:
      return "zookeeper";
    case ServiceGroup::kCassandra:
      return "cassandra";
    case ServiceGroup::kHdfs:
      return "hdfs";
    case ServiceGroup::kMapReduce:
      return "mapreduce";
    case ServiceGroup::kBam:
      return "bam";
  }
  return "bam";
}

absl::StatusOr<std::vector<std::string>> OrderServices(
    const std::vector<ServiceDescription>& services) {
  // Each service once: its rank and what it waits for among the others.
  std::map<std::string, std::pair<int, int>> rank;
  std::map<std::string, std::set<std::string>> needs;
  for (const ServiceDescription& s : services) {
    auto [it, fresh] = rank.emplace(s.name, ServiceRank(s));
    if (!fresh) it->second = std::min(it->second, ServiceRank(s));
    needs[s.name];
  }
  for (const ServiceDescription& s : services) {
    for (const Dependency& d : s.depends_on) {
      if (d.service != s.name && rank.contains(d.service)) needs[s.name].insert(d.service);
    }
  }
  // Kahn's algorithm, taking the lowest-ranked ready service each time.
  std::vector<std::string> order;
  while (!needs.empty()) {
    const std::string* next = nullptr;
    for (const auto& [name, waits_for] : needs) {
      if (!waits_for.empty()) continue;
      if (next == nullptr || std::tie(rank[name], name) < std::tie(rank[*next], *next)) {
        next = &name;
      }
    }
    if (next == nullptr) {
      std::vector<std::string> left;
      left.reserve(needs.size());
      for (const auto& entry : needs) left.push_back(entry.first);
      return absl::InternalError(absl::StrCat("the services ", absl::StrJoin(left, ", "),
                                              " depend on each other in a cycle"));
    }
    const std::string done = *next;
    order.push_back(done);
    needs.erase(done);
    for (auto& entry : needs) entry.second.erase(done);
  }
  return order;
}

RolloutRefusal RolloutRefusalOf(const absl::Status& status) {
  const auto payload = status.GetPayload(kRefusalUrl);  // absl::optional
  if (!payload) return RolloutRefusal::kNone;
  for (const auto& [refusal, name] : kRefusalNames) {
    if (*payload == name) return refusal;
  }
  return RolloutRefusal::kNone;
}

int MaxBatch(const RestartSafety& safety, int members) {
  switch (safety.order) {
    case RestartSafety::Order::kFollowersBeforeLeader:
      // A ZooKeeper ensemble of n keeps its quorum with (n-1)/2 down; the
      // leader still goes last and alone.
      return std::max(1, std::min(safety.max_unavailable, (members - 1) / 2));
    case RestartSafety::Order::kOneAtATimeDrainFirst:
    case RestartSafety::Order::kStandbyBeforeActive:
    case RestartSafety::Order::kSingleInstanceDowntime:
      return 1;
    case RestartSafety::Order::kAnyOrder:
      return std::max(1, members);
  }
  return 1;
}

absl::StatusOr<RolloutPlan> PlanRollout(const RolloutRequest& request, const std::string& service,
                                        const RestartSafety& safety,
                                        const std::vector<Instance>& instances) {
  if (instances.empty()) {
    return Refuse(RolloutRefusal::kInvalidRequest,
                  absl::InvalidArgumentError(
                      absl::StrCat("no node runs role ", request.role, " in the desired state")));
  }
  std::set<std::string> known;
  for (const Instance& i : instances) known.insert(i.node);
  for (const std::string& n : request.nodes) {
    if (known.count(n) == 0) {
      std::vector<std::string> names(known.begin(), known.end());
      return Refuse(RolloutRefusal::kInvalidRequest,
                    absl::InvalidArgumentError(
                        absl::StrCat("node ", n, " does not run role ", request.role,
                                     "; nodes that do: ", absl::StrJoin(names, ", "))));
    }
  }
  if (request.batch_size < 1) {
    return Refuse(RolloutRefusal::kInvalidRequest,
                  absl::InvalidArgumentError("--batch-size must be at least 1"));
  }
  const int cap = MaxBatch(safety, static_cast<int>(instances.size()));
  if (request.batch_size > cap) {
    return Refuse(
        RolloutRefusal::kInvalidRequest,
        absl::InvalidArgumentError(absl::StrCat(
            "--batch-size ", request.batch_size, " would take ", request.batch_size, " of ",
            instances.size(), " ", service, " instances down at once; at most ", cap, " keeps the ",
            safety.group.empty() ? service : safety.group, " group available")));
  }

  RolloutPlan plan;
  plan.service = service;
  plan.safety = safety;

  // Pre-checks: the whole group healthy, since the restart takes one more
  // member away; downtime only when asked for.
  std::vector<std::string> unhealthy;
  for (const Instance& i : instances) {
    if (!i.connected) {
      unhealthy.push_back(absl::StrCat(i.node, " (agent not connected)"));
    } else if (!i.healthy) {
      unhealthy.push_back(absl::StrCat(i.node, " (not healthy)"));
    }
  }
  plan.checks.push_back(
      {"group healthy", unhealthy.empty(),
       unhealthy.empty()
           ? absl::StrCat("all ", instances.size(), " ", service, " instances are healthy")
           : absl::StrCat("not healthy: ", absl::StrJoin(unhealthy, ", "))});
  if (safety.requires_downtime_flag) {
    // Not a pre-check --force skips: the downtime is certain, not a risk.
    if (!request.allow_downtime) {
      return Refuse(RolloutRefusal::kNeedsDowntime,
                    absl::FailedPreconditionError(
                        absl::StrCat(service,
                                     " has a single instance (no HA in Hadoop 1.x): restarting it "
                                     "means downtime; pass --allow-downtime")));
    }
    plan.checks.push_back({"downtime allowed", true, "--allow-downtime given"});
  }

  // Which instances, in spec order.
  std::vector<const Instance*> chosen;
  for (const Instance& i : instances) {
    if (!request.nodes.empty() &&
        std::find(request.nodes.begin(), request.nodes.end(), i.node) == request.nodes.end()) {
      continue;
    }
    if (request.pending_only && !i.restart_pending) continue;
    chosen.push_back(&i);
  }

  // Order.
  const Instance* last = nullptr;
  if (safety.order == RestartSafety::Order::kFollowersBeforeLeader) {
    int leaders = 0;
    for (const Instance& i : instances) {
      if (i.zookeeper_mode == "leader") ++leaders;
    }
    std::string modes;
    for (const Instance& i : instances) {
      absl::StrAppend(&modes, modes.empty() ? "" : ", ", i.node, " ",
                      i.zookeeper_mode.empty() ? "unknown" : i.zookeeper_mode);
    }
    plan.checks.push_back({"one leader", leaders == 1,
                           absl::StrCat(leaders == 1 ? "" : "expected exactly one leader; ",
                                        "servers report: ", modes)});
    for (const Instance* i : chosen) {
      if (i->zookeeper_mode == "leader") last = i;
    }
  } else if (safety.order == RestartSafety::Order::kStandbyBeforeActive) {
    // The tasks move only when their holder leaves the group: it goes
    // last, after every standby is back.
    int holders = 0;
    std::string members;
    for (const Instance& i : instances) {
      holders += i.task_holder ? 1 : 0;
      absl::StrAppend(&members, members.empty() ? "" : ", ", i.node, " ",
                      i.task_member.empty() ? "not a member" : i.task_member,
                      i.task_holder ? " (holds the tasks)" : "");
    }
    if (request.task_group_read) {
      plan.checks.push_back(
          {"task holder known", holders == 1,
           !request.task_group_error.empty()
               ? absl::StrCat("cannot read the analyzers' task group: ", request.task_group_error)
               : absl::StrCat(
                     holders == 1 ? "" : "expected exactly one analyzer holding the tasks; ",
                     "the task group has: ", members)});
    }
    for (const Instance* i : chosen) {
      if (i->task_holder) last = i;
    }
  }
  std::vector<std::string> batch;
  const int size = (safety.order == RestartSafety::Order::kAnyOrder ||
                    safety.order == RestartSafety::Order::kFollowersBeforeLeader)
                       ? request.batch_size
                       : 1;
  for (const Instance* i : chosen) {
    if (i == last) continue;
    batch.push_back(i->node);
    if (static_cast<int>(batch.size()) == size) plan.batches.push_back(std::exchange(batch, {}));
  }
  if (!batch.empty()) plan.batches.push_back(batch);
  if (last != nullptr) plan.batches.push_back({last->node});  // alone, at the end

  std::vector<std::string> failed;
  for (const PreCheck& c : plan.checks) {
    if (!c.ok) failed.push_back(absl::StrCat(c.name, ": ", c.detail));
  }
  if (!failed.empty()) {
    if (!request.force) {
      return Refuse(RolloutRefusal::kPreCheckFailed,
                    absl::FailedPreconditionError(absl::StrCat("refusing to restart ", request.role,
                                                               ": ", absl::StrJoin(failed, "; "),
                                                               " (--force starts anyway)")));
    }
    plan.forced = absl::StrJoin(failed, "; ");
  }
  return plan;
}

}  // namespace bamctl
