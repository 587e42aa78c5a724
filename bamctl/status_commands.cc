// status, nodes and events: what the controller knows of the cluster now.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bamctl/cli.h"
#include "bamctl/commands.h"
#include "bamctl/output.h"
#include "bamctl/table.h"
#include "proto/enum_text.h"

namespace bamctl {
namespace {

using Stub = Controller::Stub;

// The PLAN cell: whether the node holds the plan the desired version has for
// it. "same plan" when it got that plan under an earlier version that
// planned the same (APPLIED < DESIRED, nothing to do); "outdated" when it
// holds another plan; "-" when no agent reported or the controller predates
// holds_desired_plan.
std::string PlanCell(const v1::NodeStatus& node) {
  if (node.applied_version() == 0 || !node.has_holds_desired_plan()) return "-";
  if (!node.holds_desired_plan()) return "outdated";
  return node.applied_version() == node.desired_version() ? "current" : "same plan";
}

int Status(const Invocation& in) {
  Controller controller(in.controller, in.command, in.context);
  v1::GetStatusResponse response;
  grpc::Status status = controller.Call([&](Stub* stub, grpc::ClientContext* call) {
    return stub->GetStatus(call, v1::GetStatusRequest(), &response);
  });
  if (!status.ok()) return controller.Fail(status, in.err);
  // Scripts wait on the exit code (`until bamctl status; do ...`), in
  // either output format.
  const int code = response.converged() ? kExitOk : kExitFailed;
  if (*in.args.Get("output") == "json") {
    PrintJson(response, in.out);
    return code;
  }
  TextTable table({"NODE", "CONNECTED", "DESIRED", "APPLIED", "PLAN", "ROLE", "PHASE", "HEALTH",
                   "PID", "RESTARTS", "REASON"});
  int converged_nodes = 0;
  std::vector<std::string> same_plan;
  for (const v1::NodeStatus& node : response.nodes()) {
    if (node.converged()) ++converged_nodes;
    const std::string connected = node.connected() ? "yes" : "no";
    const std::string desired = VersionCell(node.desired_version());
    const std::string applied = VersionCell(node.applied_version());
    const std::string plan = PlanCell(node);
    if (plan == "same plan") {
      same_plan.push_back(absl::StrCat(node.node(), " (version ", node.applied_version(), ")"));
    }
    if (node.roles().empty()) {
      // Still one row, so a node that never reported is visible.
      table.AddRow({node.node(), connected, desired, applied, plan, "", "", "", "", "",
                    !node.reason().empty()
                        ? node.reason()
                        : (node.connected() ? "no roles reported" : "agent not connected")});
    }
    for (const v1::RoleStatus& role : node.roles()) {
      // A node-level reason (e.g. an old plan) explains rows that look healthy.
      const std::string reason =
          !role.reason().empty() || node.converged() ? role.reason() : node.reason();
      table.AddRow({node.node(), connected, desired, applied, plan, role.service(),
                    EnumText(role.phase()), EnumText(role.health()),
                    role.pid() > 0 ? absl::StrCat(role.pid()) : "-", absl::StrCat(role.restarts()),
                    reason});
    }
  }
  in.out << table.Render();
  // What the table cannot hold: host problems, pending restarts, and what
  // agents did on their own (restored a file, refused a plan).
  std::vector<std::string> pending;
  for (const v1::NodeStatus& node : response.nodes()) {
    for (const v1::PreflightCheck& check : node.preflight()) {
      if (check.severity() == v1::SEVERITY_OK) continue;
      in.out << node.node() << ": preflight " << EnumText(check.severity()) << ": "
             << check.message() << "\n";
    }
    for (const v1::RoleStatus& role : node.roles()) {
      if (role.restart_pending()) pending.push_back(absl::StrCat(node.node(), "/", role.service()));
    }
    const int shown = std::min(node.notices_size(), 3);
    for (int i = node.notices_size() - shown; i < node.notices_size(); ++i) {
      in.out << node.node() << ": " << node.notices(i) << "\n";
    }
  }
  if (!pending.empty()) {
    in.out << "restart pending (running with older config): " << absl::StrJoin(pending, ", ")
           << "\n";
  }
  if (!same_plan.empty()) {
    in.out << "same plan: version " << response.desired_version()
           << " did not change the plan these nodes hold from an earlier version: "
           << absl::StrJoin(same_plan, ", ") << "\n";
  }
  if (response.desired_version() == 0) {
    in.out << "no desired state applied yet: not converged\n";
  } else {
    // The epoch shows once a controller took the cluster back (1 until then).
    in.out << "desired version " << response.desired_version()
           << (response.epoch() > 1 ? absl::StrCat(" (epoch ", response.epoch(), ")") : "") << ": "
           << (response.converged() ? "converged" : "not converged") << " (" << converged_nodes
           << " of " << response.nodes_size() << " nodes converged)\n";
  }
  return code;
}

int Nodes(const Invocation& in) {
  Controller controller(in.controller, in.command, in.context);
  v1::ListNodesResponse response;
  grpc::Status status = controller.Call([&](Stub* stub, grpc::ClientContext* call) {
    return stub->ListNodes(call, v1::ListNodesRequest(), &response);
  });
  if (!status.ok()) return controller.Fail(status, in.err);
  if (*in.args.Get("output") == "json") return PrintJson(response, in.out);
  TextTable table({"NODE", "ADDRESS", "CONNECTED", "LAST-SEEN", "AGENT", "DESIRED", "APPLIED",
                   "PLAN", "CONVERGED", "ROLES"});
  for (const v1::NodeStatus& node : response.nodes()) {
    table.AddRow({node.node(), node.address(), node.connected() ? "yes" : "no",
                  FormatTimeMs(node.last_seen_ms()), node.agent_version(),
                  VersionCell(node.desired_version()), VersionCell(node.applied_version()),
                  PlanCell(node), node.converged() ? "yes" : "no",
                  absl::StrJoin(node.roles(), ",", [](std::string* s, const v1::RoleStatus& r) {
                    s->append(r.service());
                  })});
  }
  in.out << table.Render();
  return kExitOk;
}

int Events(const Invocation& in) {
  v1::ListEventsRequest request;
  request.set_limit(static_cast<int32_t>(in.args.Int("limit").value_or(0)));
  Controller controller(in.controller, in.command, in.context);
  v1::ListEventsResponse response;
  grpc::Status status = controller.Call([&](Stub* stub, grpc::ClientContext* call) {
    return stub->ListEvents(call, request, &response);
  });
  if (!status.ok()) return controller.Fail(status, in.err);
  if (*in.args.Get("output") == "json") return PrintJson(response, in.out);
  TextTable table({"ID", "TIME", "KIND", "ACTOR", "NODE", "MESSAGE"});
  for (const v1::Event& e : response.events()) {
    table.AddRow({absl::StrCat(e.id()), FormatTimeMs(e.time_ms()), e.kind(), e.actor(), e.node(),
                  e.message()});
  }
  in.out << table.Render();
  return kExitOk;
}

}  // namespace

std::vector<Command> StatusCommands() {
  return {
      {.path = "status",
       .summary = "Per node and role: desired vs. applied version and plan, phase, health.",
       .details = "PLAN says whether the node holds the desired version's plan: current, same\n"
                  "plan (an earlier version planned the same for it; nothing to do), outdated.\n"
                  "Exit 0 when the cluster has converged, 1 when not.",
       .flags = {OutputFlag({"table", "json"})},
       .remote = true,
       .run = Status},
      {.path = "nodes",
       .summary = "The nodes, their agents and whether each converged.",
       .flags = {OutputFlag({"table", "json"})},
       .remote = true,
       .run = Nodes},
      {.path = "events",
       .summary = "What happened in the cluster, newest first.",
       .flags = {{.name = "limit",
                  .kind = FlagKind::kInt,
                  .value_name = "N",
                  .help = "at most N events (default 100)",
                  .min = 1,
                  .max = INT32_MAX},
                 OutputFlag({"table", "json"})},
       .remote = true,
       .run = Events},
  };
}

}  // namespace bamctl
