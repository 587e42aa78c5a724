// desired-state apply, get, history, diff and rollback: the versions of the
// cluster spec stored by the controller.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bamctl/cli.h"
#include "bamctl/commands.h"
#include "bamctl/output.h"
#include "bamctl/table.h"

namespace bamctl {
namespace {

using Stub = Controller::Stub;

// What an apply or rollback changed: the spec diff and the nodes whose plan
// differs. Nothing for an unchanged result.
void PrintChange(const v1::ApplyResponse& response, std::ostream& out) {
  if (response.unchanged()) return;
  out << Lines(response.spec_diff());
  out << "changed nodes: "
      << (response.changed_nodes().empty() ? "none" : absl::StrJoin(response.changed_nodes(), ", "))
      << "\n";
}

// The spec file named by -f, checked before anything is sent; nullopt after
// telling `in.err` why it cannot be sent.
std::optional<std::string> SpecText(const Invocation& in) {
  absl::StatusOr<std::string> text = ReadSpecFile(*in.args.Get("file"));
  if (!text.ok()) {
    in.err << "bamctl: " << text.status().message() << "\n";
    return std::nullopt;
  }
  return *std::move(text);
}

int Apply(const Invocation& in) {
  const std::string file = *in.args.Get("file");
  std::optional<std::string> text = SpecText(in);
  if (!text) return kExitFailed;
  v1::ApplyRequest request;
  request.set_spec_text(*std::move(text));
  request.set_file_name(file);
  request.set_dry_run(in.args.Has("dry-run"));
  if (std::optional<int64_t> expected = in.args.Int("expected-version")) {
    request.set_expected_version(*expected);
  }
  request.set_author(in.context.user);
  request.set_comment(in.args.Get("message").value_or(""));
  request.set_rollout(in.args.Has("rollout"));
  Controller controller(in.controller, in.command, in.context);
  v1::ApplyResponse response;
  grpc::Status status = controller.Call([&](Stub* stub, grpc::ClientContext* call) {
    return stub->ApplyDesiredState(call, request, &response);
  });
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    // The message is the spec's diagnostics, FILE:LINE:COLUMN first, as
    // offline validate prints them: pass them on untouched for editors.
    in.err << Lines(status.error_message()) << "bamctl: " << file
           << " was not applied: the controller found errors in it\n";
    return kExitFailed;
  }
  if (!status.ok()) return controller.Fail(status, in.err);

  for (const std::string& warning : response.warnings()) in.err << Lines(warning);
  PrintChange(response, in.out);
  if (response.dry_run()) {
    if (response.unchanged()) {
      in.out << "dry run: unchanged (version " << response.version() << ")\n";
    } else {
      in.out << "dry run: would be version " << response.version() + 1 << "\n";
    }
  } else if (response.unchanged()) {
    in.out << "unchanged (version " << response.version() << ")\n";
  } else {
    in.out << "applied version " << response.version() << "\n";
    if (response.rollout_operation() > 0) {
      in.out << "operation " << response.rollout_operation()
             << " will rolling-restart what this version leaves restart pending, once every "
                "agent holds it (bamctl op show "
             << response.rollout_operation() << ")\n";
    }
  }
  return kExitOk;
}

int Get(const Invocation& in) {
  v1::GetDesiredStateRequest request;
  request.set_version(in.args.Int("version").value_or(0));  // 0: the current version
  Controller controller(in.controller, in.command, in.context);
  v1::GetDesiredStateResponse response;
  grpc::Status status = controller.Call([&](Stub* stub, grpc::ClientContext* call) {
    return stub->GetDesiredState(call, request, &response);
  });
  if (!status.ok()) return controller.Fail(status, in.err);
  if (*in.args.Get("output") == "yaml") {
    // Exactly the text that was applied, so `get > FILE` round-trips.
    in.out << response.spec_text();
    return kExitOk;
  }
  return PrintJson(response, in.out);
}

int History(const Invocation& in) {
  v1::ListVersionsRequest request;
  request.set_limit(static_cast<int32_t>(in.args.Int("limit").value_or(0)));
  Controller controller(in.controller, in.command, in.context);
  v1::ListVersionsResponse response;
  grpc::Status status = controller.Call([&](Stub* stub, grpc::ClientContext* call) {
    return stub->ListVersions(call, request, &response);
  });
  if (!status.ok()) return controller.Fail(status, in.err);
  if (*in.args.Get("output") == "json") return PrintJson(response, in.out);
  TextTable table({"VERSION", "CREATED", "AUTHOR", "ROLLBACK-OF", "HASH", "COMMENT"});
  for (const v1::VersionInfo& v : response.versions()) {
    table.AddRow({absl::StrCat(v.version()), FormatTimeMs(v.created_ms()), v.author(),
                  VersionCell(v.rollback_of()), v.content_hash().substr(0, 12), v.comment()});
  }
  in.out << table.Render();
  return kExitOk;
}

int Diff(const Invocation& in) {
  const std::string file = *in.args.Get("file");
  std::optional<std::string> text = SpecText(in);
  if (!text) return kExitFailed;
  v1::DiffRequest request;
  request.set_spec_text(*std::move(text));
  request.set_file_name(file);
  Controller controller(in.controller, in.command, in.context);
  v1::DiffResponse response;
  grpc::Status status = controller.Call(
      [&](Stub* stub, grpc::ClientContext* call) { return stub->Diff(call, request, &response); });
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    in.err << Lines(status.error_message()) << "bamctl: cannot diff " << file
           << ": the controller found errors in it\n";
    return kExitFailed;
  }
  if (!status.ok()) return controller.Fail(status, in.err);

  in.out << Lines(response.spec_diff());
  std::vector<std::string> nodes;
  for (const v1::NodeDiff& node : response.nodes()) {
    nodes.push_back(node.node());
    for (const v1::FileDiff& f : node.files()) in.out << Lines(f.diff());
  }
  // Differences are the answer, not a failure: exit 0 either way.
  if (response.spec_diff().empty() && nodes.empty()) {
    in.out << "no differences from version " << response.current_version() << "\n";
  } else {
    in.out << "compared with version " << response.current_version() << ": files change on "
           << (nodes.empty() ? "no node" : absl::StrJoin(nodes, ", ")) << "\n";
  }
  return kExitOk;
}

int Rollback(const Invocation& in) {
  const int64_t target = in.args.ArgNumber("VERSION");
  v1::RollbackRequest request;
  request.set_version(target);
  if (std::optional<int64_t> expected = in.args.Int("expected-version")) {
    request.set_expected_version(*expected);
  }
  request.set_author(in.context.user);
  Controller controller(in.controller, in.command, in.context);
  v1::ApplyResponse response;
  grpc::Status status = controller.Call([&](Stub* stub, grpc::ClientContext* call) {
    return stub->Rollback(call, request, &response);
  });
  if (!status.ok()) return controller.Fail(status, in.err);
  PrintChange(response, in.out);
  if (response.unchanged()) {
    in.out << "unchanged (version " << response.version() << ")\n";
  } else {
    in.out << "applied version " << response.version() << " (rollback to version " << target
           << ")\n";
  }
  return kExitOk;
}

FlagSpec FileFlag(const std::string& help) {
  return {.name = "file", .short_name = "-f", .value_name = "FILE", .help = help, .required = true};
}

FlagSpec ExpectedVersionFlag() {
  return {.name = "expected-version",
          .kind = FlagKind::kInt,
          .value_name = "N",
          .help = "refuse unless N is still the current version",
          .min = 0};
}

FlagSpec LimitFlag() {
  return {.name = "limit",
          .kind = FlagKind::kInt,
          .value_name = "N",
          .help = "at most N, newest first (default: the controller's)",
          .min = 1,
          .max = INT32_MAX};
}

}  // namespace

std::vector<Command> DesiredStateCommands() {
  return {
      {.path = "desired-state apply",
       .summary = "Validate, compile and store a spec as the next version.",
       .details = "Prints warnings, the spec diff, the nodes whose plan changes and the new\n"
                  "version. With --rollout (or auto_rolling_restart in the spec), roles the\n"
                  "new version leaves restart pending get rolling restarts once every agent\n"
                  "holds it.",
       .flags = {FileFlag("the cluster spec (YAML, UTF-8)"),
                 {.name = "dry-run",
                  .kind = FlagKind::kSwitch,
                  .help = "check and show the change, store nothing"},
                 {.name = "message",
                  .short_name = "-m",
                  .value_name = "MESSAGE",
                  .help = "a comment stored with the version"},
                 ExpectedVersionFlag(),
                 {.name = "rollout",
                  .kind = FlagKind::kSwitch,
                  .help = "rolling-restart what the new version leaves restart pending"}},
       .remote = true,
       .run = Apply},
      {.path = "desired-state get",
       .summary = "The current (or version N's) spec as applied.",
       .details = "json adds the version, author, comment and the effective spec.",
       .flags = {{.name = "version",
                  .kind = FlagKind::kInt,
                  .value_name = "N",
                  .help = "this version instead of the current one",
                  .min = 1},
                 OutputFlag({"yaml", "json"})},
       .remote = true,
       .run = Get},
      {.path = "desired-state history",
       .summary = "The stored versions, newest first.",
       .flags = {LimitFlag(), OutputFlag({"table", "json"})},
       .remote = true,
       .run = History},
      {.path = "desired-state diff",
       .summary = "What applying a spec would change: the spec and each node's files.",
       .flags = {FileFlag("the cluster spec to compare (YAML, UTF-8)")},
       .remote = true,
       .run = Diff},
      {.path = "desired-state rollback",
       .summary = "Store a new version equal to version VERSION.",
       .args = {{.name = "VERSION",
                 .help = "the version to restore (a number >= 1)",
                 .number = true}},
       .flags = {ExpectedVersionFlag()},
       .remote = true,
       .run = Rollback},
  };
}

}  // namespace bamctl
