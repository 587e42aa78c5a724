// rolling-restart and op list, show, watch, pause, resume, abort: the
// controller's long-running operations.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bamctl/cli.h"
#include "bamctl/commands.h"
#include "bamctl/output.h"
#include "bamctl/table.h"
#include "proto/enum_text.h"
#include "proto/operation_util.h"

namespace bamctl {
namespace {

using Stub = Controller::Stub;

int Done(const v1::Operation& op) {
  return static_cast<int>(
      std::count_if(op.steps().begin(), op.steps().end(),
                    [](const v1::RolloutStep& s) { return s.state() == v1::STEP_STATE_DONE; }));
}

bool Finished(const v1::Operation& op) {
  return op.state() == v1::OPERATION_STATE_SUCCEEDED || op.state() == v1::OPERATION_STATE_FAILED ||
         op.state() == v1::OPERATION_STATE_ABORTED;
}

// An auto-rollout in words: its version, what it waits for, and the
// rolling restarts it started (each an operation of its own: `op show ID`).
void PrintAutoRollout(const v1::Operation& op, std::ostream& out) {
  if (op.id() > 0) out << "operation " << op.id() << ": ";
  out << "auto-rollout of version " << op.version() << ", " << EnumText(op.state()) << "\n";
  if (op.state() == v1::OPERATION_STATE_WAITING) {
    out << "waiting for every agent to hold version " << op.version() << " ("
        << op.auto_rollout().waited_ms() / 1000 << " s of " << op.health_timeout_ms() / 1000
        << " s)\n";
  }
  if (op.auto_rollout().children_size() == 0) {
    out << "no rolling restart started yet\n";
  } else {
    TextTable table({"OPERATION", "SERVICE", "ROLE", "STARTED"});
    for (const v1::AutoRollout::Child& c : op.auto_rollout().children()) {
      table.AddRow(
          {absl::StrCat(c.operation_id()), c.service(), c.role(), FormatTimeMs(c.started_ms())});
    }
    out << table.Render();
  }
  if (!op.reason().empty()) out << op.reason() << "\n";
}

// "zookeeper (service zookeeper)", or for a rollout of everything pending
// "everything pending (zookeeper, cassandra)".
std::string Subject(const v1::Operation& op) {
  if (op.role().empty()) {
    return absl::StrCat("everything pending (", absl::StrJoin(StepServices(op), ", "), ")");
  }
  return absl::StrCat(op.role(), " (service ", op.service(), ")");
}

// The operation in words: checks, the ordered steps with their state.
void PrintOperation(const v1::Operation& op, std::ostream& out) {
  if (op.kind() == v1::OPERATION_KIND_AUTO_ROLLOUT) {
    PrintAutoRollout(op, out);
    return;
  }
  if (op.id() > 0) out << "operation " << op.id() << ": ";
  out << "rolling restart of " << Subject(op) << ", " << EnumText(op.state()) << "\n";
  out << "order: " << op.order() << "\n";
  if (op.force()) out << "forced: hosts already unhealthy do not hold its steps back\n";
  for (const v1::PreCheckResult& c : op.checks()) {
    out << "check " << (c.ok() ? "ok    " : "FAILED") << " " << c.name() << ": " << c.detail()
        << "\n";
  }
  if (!op.forced().empty()) out << "forced past: " << op.forced() << "\n";
  if (op.left_pending_size() > 0) {
    out << "left pending: " << absl::StrJoin(op.left_pending(), ", ") << "\n";
  }
  TextTable table({"STEP", "SERVICE", "NODES", "STATE", "MESSAGE"});
  for (const v1::RolloutStep& s : op.steps()) {
    table.AddRow({absl::StrCat(s.index()), StepService(op, s), absl::StrJoin(s.nodes(), ","),
                  EnumText(s.state()), s.message()});
  }
  out << table.Render();
  if (!op.reason().empty()) out << op.reason() << "\n";
}

// One line of `op watch`: a progress bar, the state and the first step not
// done.
std::string ProgressLine(const v1::Operation& op) {
  if (op.kind() == v1::OPERATION_KIND_AUTO_ROLLOUT) {
    std::vector<std::string> children;
    for (const v1::AutoRollout::Child& c : op.auto_rollout().children()) {
      children.push_back(absl::StrCat(c.service(), " (operation ", c.operation_id(), ")"));
    }
    return absl::StrCat("auto-rollout of version ", op.version(), ", ", EnumText(op.state()),
                        children.empty() ? "" : "; started: ", absl::StrJoin(children, ", "));
  }
  const int done = Done(op);
  const int total = std::max(1, op.steps_size());
  constexpr int kWidth = 20;
  const int filled = done * kWidth / total;
  std::string line =
      absl::StrCat("[", std::string(filled, '#'), std::string(kWidth - filled, '.'), "] ", done,
                   "/", op.steps_size(), " steps, ", EnumText(op.state()));
  for (const v1::RolloutStep& s : op.steps()) {
    if (s.state() == v1::STEP_STATE_DONE) continue;
    absl::StrAppend(&line, "; step ", s.index(), " (", StepService(op, s), " on ",
                    absl::StrJoin(s.nodes(), ","), ") ", EnumText(s.state()),
                    s.message().empty() ? "" : ": ", s.message());
    break;
  }
  return line;
}

int RollingRestart(const Invocation& in) {
  v1::RollingRestartRequest request;
  request.set_role(in.args.Arg("ROLE"));
  if (request.role().empty() && !in.args.Has("pending")) {
    return UsageError(in.err,
                      "rolling-restart needs ROLE, or --pending without one to restart "
                      "everything the current version left restart pending",
                      in.command);
  }
  if (std::optional<std::string> nodes = in.args.Get("nodes")) {
    for (absl::string_view n : absl::StrSplit(*nodes, ',', absl::SkipEmpty())) {
      request.add_nodes(std::string(n));
    }
  }
  if (std::optional<int64_t> batch = in.args.Int("batch-size")) {
    request.set_batch_size(static_cast<int32_t>(*batch));
  }
  request.set_health_timeout_ms(in.args.Millis("health-timeout"));
  request.set_pause_between_ms(in.args.Millis("pause-between"));
  request.set_allow_downtime(in.args.Has("allow-downtime"));
  request.set_force(in.args.Has("force"));
  request.set_pending_only(in.args.Has("pending"));
  request.set_dry_run(in.args.Has("dry-run"));
  request.set_author(in.context.user);
  request.set_continue_on_failure(*in.args.Get("on-failure") == "continue");
  Controller controller(in.controller, in.command, in.context);
  v1::Operation op;
  grpc::Status status = controller.Call([&](Stub* stub, grpc::ClientContext* call) {
    return stub->StartRollingRestart(call, request, &op);
  });
  if (!status.ok()) return controller.Fail(status, in.err);
  if (*in.args.Get("output") == "json") return PrintJson(op, in.out);
  PrintOperation(op, in.out);
  if (request.dry_run()) {
    in.out << "dry run: nothing was restarted\n";
  } else {
    in.out << "started; follow it with: bamctl op watch " << op.id() << "\n";
  }
  return kExitOk;
}

int List(const Invocation& in) {
  Controller controller(in.controller, in.command, in.context);
  v1::ListOperationsResponse response;
  grpc::Status status = controller.Call([&](Stub* stub, grpc::ClientContext* call) {
    return stub->ListOperations(call, v1::ListOperationsRequest(), &response);
  });
  if (!status.ok()) return controller.Fail(status, in.err);
  if (*in.args.Get("output") == "json") return PrintJson(response, in.out);
  TextTable table({"ID", "OPERATION", "STATE", "PROGRESS", "CREATED", "AUTHOR", "REASON"});
  for (const v1::Operation& op : response.operations()) {
    const bool auto_rollout = op.kind() == v1::OPERATION_KIND_AUTO_ROLLOUT;
    table.AddRow(
        {absl::StrCat(op.id()),
         auto_rollout
             ? absl::StrCat("auto-rollout of v", op.version())
             : absl::StrCat("restart ", op.role().empty() ? "everything pending" : op.role()),
         EnumText(op.state()),
         auto_rollout ? absl::StrCat(op.auto_rollout().children_size(), " restarts started")
                      : absl::StrCat(Done(op), "/", op.steps_size(), " steps"),
         FormatTimeMs(op.created_ms()), op.author(), op.reason()});
  }
  in.out << table.Render();
  return kExitOk;
}

// Fetches operation ID of the command line into `op`.
grpc::Status GetOperation(const Controller& controller, const Invocation& in, v1::Operation* op) {
  v1::GetOperationRequest request;
  request.set_id(in.args.ArgNumber("ID"));
  return controller.Call(
      [&](Stub* stub, grpc::ClientContext* call) { return stub->GetOperation(call, request, op); });
}

int Show(const Invocation& in) {
  Controller controller(in.controller, in.command, in.context);
  v1::Operation op;
  if (grpc::Status status = GetOperation(controller, in, &op); !status.ok()) {
    return controller.Fail(status, in.err);
  }
  if (*in.args.Get("output") == "json") return PrintJson(op, in.out);
  PrintOperation(op, in.out);
  return kExitOk;
}

// A line per change until the operation ends, polling every --interval
// through the context's clock; the exit code says how it ended.
int Watch(const Invocation& in) {
  const int64_t interval_ms = in.args.Millis("interval");
  const int64_t every_ms = interval_ms > 0 ? interval_ms : 1000;
  Controller controller(in.controller, in.command, in.context);
  v1::Operation op;
  std::string last;
  while (true) {
    if (grpc::Status status = GetOperation(controller, in, &op); !status.ok()) {
      return controller.Fail(status, in.err);
    }
    std::string line = ProgressLine(op);
    if (line != last) in.out << line << std::endl;
    last = std::move(line);
    if (Finished(op)) break;
    in.context.clock->SleepMillis(every_ms);
  }
  if (!op.reason().empty()) in.out << op.reason() << "\n";
  return op.state() == v1::OPERATION_STATE_SUCCEEDED ? kExitOk : kExitFailed;
}

ArgSpec IdArg() { return {.name = "ID", .help = "the operation's id (a number)", .number = true}; }

// pause, resume, abort: `action` sent to the controller.
Command Control(v1::OperationAction action, std::string summary) {
  const std::string verb = EnumText(action);
  return {.path = absl::StrCat("op ", verb),
          .summary = std::move(summary),
          .args = {IdArg()},
          .remote = true,
          .run = [action](const Invocation& in) {
            v1::ControlOperationRequest request;
            request.set_id(in.args.ArgNumber("ID"));
            request.set_action(action);
            request.set_author(in.context.user);
            Controller controller(in.controller, in.command, in.context);
            v1::Operation op;
            grpc::Status status = controller.Call([&](Stub* stub, grpc::ClientContext* call) {
              return stub->ControlOperation(call, request, &op);
            });
            if (!status.ok()) return controller.Fail(status, in.err);
            in.out << "operation " << op.id() << " is " << EnumText(op.state()) << "\n";
            return kExitOk;
          }};
}

FlagSpec DurationFlag(std::string name, std::string help) {
  return {.name = std::move(name),
          .kind = FlagKind::kDuration,
          .value_name = "DURATION",
          .help = std::move(help)};
}

FlagSpec Switch(std::string name, std::string help) {
  return {.name = std::move(name), .kind = FlagKind::kSwitch, .help = std::move(help)};
}

}  // namespace

std::vector<Command> OperationCommands() {
  std::vector<Command> commands = {
      {.path = "rolling-restart",
       .summary = "Restart a role across the cluster without losing a quorum.",
       .details =
           "ZooKeeper followers one at a time and the leader last, Cassandra one node at a\n"
           "time, each step waiting until the restarted instances are healthy. Refused (with\n"
           "the reasons) when a member of the group is unhealthy, unless --force; namenode\n"
           "and jobtracker need --allow-downtime. A failed step stops the operation\n"
           "(--on-failure continue goes on, for roles without a quorum only).\n"
           "Without ROLE, --pending restarts everything the current version left pending as\n"
           "one operation: ZooKeeper, Cassandra, HDFS, MapReduce, then BAM. A step starts\n"
           "only while the hosts with a role down, across every operation, stay within the\n"
           "spec's max_nodes_disrupted (default 1).",
       .args = {{.name = "ROLE",
                 .help = "the role to restart (e.g. zookeeper); none with --pending: every "
                         "pending service",
                 .optional = true}},
       .flags = {{.name = "nodes", .value_name = "a,b", .help = "only these nodes"},
                 {.name = "batch-size",
                  .kind = FlagKind::kInt,
                  .value_name = "N",
                  .help = "instances restarted at once, where the role allows",
                  .min = 1,
                  .max = 1000},
                 DurationFlag("health-timeout", "how long a step may wait for health (5m)"),
                 DurationFlag("pause-between", "wait between steps (30s)"),
                 Switch("allow-downtime", "allow roles that cannot restart without downtime"),
                 Switch("force", "start although a pre-check failed"),
                 Switch("pending", "only instances running an older config"),
                 {.name = "on-failure",
                  .kind = FlagKind::kChoice,
                  .help = "what a failed step does (default stop)",
                  .choices = {"stop", "continue"},
                  .default_value = "stop"},
                 Switch("dry-run", "print the order and every pre-check; restart nothing"),
                 OutputFlag({"table", "json"})},
       .remote = true,
       .run = RollingRestart},
      {.path = "op list",
       .summary = "The operations (rolling restarts), newest first.",
       .flags = {OutputFlag({"table", "json"})},
       .remote = true,
       .run = List},
      {.path = "op show",
       .summary = "One operation: its checks and steps.",
       .args = {IdArg()},
       .flags = {OutputFlag({"table", "json"})},
       .remote = true,
       .run = Show},
      {.path = "op watch",
       .summary = "Follow an operation to its end; exit 1 unless it succeeded.",
       .details = "A restarted controller resumes running operations.",
       .args = {IdArg()},
       .flags = {DurationFlag("interval", "time between polls (default 1s)")},
       .remote = true,
       .run = Watch},
  };
  commands.push_back(Control(v1::OPERATION_ACTION_PAUSE, "Pause an operation after its step."));
  commands.push_back(Control(v1::OPERATION_ACTION_RESUME, "Resume a paused operation."));
  commands.push_back(Control(v1::OPERATION_ACTION_ABORT, "Stop an operation for good."));
  return commands;
}

}  // namespace bamctl
