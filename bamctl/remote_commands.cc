#include "bamctl/remote_commands.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bamctl/cli.h"
#include "bamctl/flags.h"
#include "bamctl/table.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "proto/enum_text.h"

namespace bamctl {
namespace {

using Stub = v1::ClusterService::StubInterface;

// The remote commands by their words after "bamctl".
enum class Command {
  kApply,
  kGet,
  kHistory,
  kDiff,
  kRollback,
  kStatus,
  kNodes,
  kEvents,
  kRollingRestart,
  kOp,
};

std::optional<Command> FindCommand(const std::vector<std::string>& args) {
  if (args.empty()) return std::nullopt;
  if (args[0] == "desired-state" && args.size() >= 2) {
    const std::string& verb = args[1];
    if (verb == "apply") return Command::kApply;
    if (verb == "get") return Command::kGet;
    if (verb == "history") return Command::kHistory;
    if (verb == "diff") return Command::kDiff;
    if (verb == "rollback") return Command::kRollback;
    return std::nullopt;
  }
  if (args[0] == "status") return Command::kStatus;
  if (args[0] == "nodes") return Command::kNodes;
  if (args[0] == "events") return Command::kEvents;
  if (args[0] == "rolling-restart") return Command::kRollingRestart;
  if (args[0] == "op") return Command::kOp;
  return std::nullopt;
}

// `text` ending in exactly one newline unless empty, so server text (diffs,
// diagnostics) prints as whole lines whatever its ending.
std::string Lines(absl::string_view text) {
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  return text.empty() ? std::string() : absl::StrCat(text, "\n");
}

std::string FormatTimeMs(int64_t ms) {
  if (ms <= 0) return "-";
  // UTC, so the output does not depend on the terminal's time zone.
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

std::string VersionCell(int64_t version) { return version > 0 ? absl::StrCat(version) : "-"; }

// A JSON string literal for UTF-8 `text` (RFC 8259 escaping).
std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

// Proto3 JSON with field names as in the .proto, every field printed.
// Note the proto3 mapping prints 64-bit integers as strings.
absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  if (auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
      !status.ok()) {
    return absl::InternalError(absl::StrCat("cannot print JSON: ", status.ToString()));
  }
  return Lines(json);
}

int PrintJson(const google::protobuf::Message& message, std::ostream& out, std::ostream& err) {
  absl::StatusOr<std::string> json = ToJson(message);
  if (!json.ok()) {
    err << "bamctl: " << json.status().message() << "\n";
    return kExitFailed;
  }
  out << *json;
  return kExitOk;
}

// `desired-state get -o json`: the version and its metadata as JSON numbers
// and strings at top level (scripts read "version"; proto JSON would make it
// a string), the effective spec as a nested object.
absl::StatusOr<std::string> DesiredStateJson(const v1::GetDesiredStateResponse& state) {
  absl::StatusOr<std::string> spec = ToJson(state.effective_spec());
  if (!spec.ok()) return spec.status();
  // Indent the nested object; JSON strings hold no raw newlines, so this
  // touches only layout.
  const std::string nested = absl::StrReplaceAll(absl::StripSuffix(*spec, "\n"), {{"\n", "\n  "}});
  const std::vector<std::string> fields = {
      absl::StrCat("\"version\": ", state.version()),
      absl::StrCat("\"spec_text\": ", JsonString(state.spec_text())),
      absl::StrCat("\"author\": ", JsonString(state.author())),
      absl::StrCat("\"comment\": ", JsonString(state.comment())),
      absl::StrCat("\"created_ms\": ", state.created_ms()),
      absl::StrCat("\"rollback_of\": ", state.rollback_of()),
      absl::StrCat("\"effective_spec\": ", nested),
  };
  return absl::StrCat("{\n  ", absl::StrJoin(fields, ",\n  "), "\n}\n");
}

// The controller one command talks to: where it is (for messages), the stub,
// and the deadline of each call.
class Controller {
 public:
  Controller(std::string address, const RemoteContext& context)
      : address_(std::move(address)),
        stub_(context.make_stub(address_)),
        timeout_(context.rpc_timeout) {
    if (stub_ == nullptr) std::abort();  // a factory that returns no stub is a bug
  }

  // Runs one call with a fresh ClientContext carrying the deadline.
  grpc::Status Call(absl::FunctionRef<grpc::Status(Stub*, grpc::ClientContext*)> rpc) const {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
    return rpc(stub_.get(), &context);
  }

  // Tells `err` in words why the call for `what` (a command name) failed;
  // returns kExitFailed.
  int Fail(absl::string_view what, const grpc::Status& status, std::ostream& err) const {
    const std::string& message = status.error_message();
    switch (status.error_code()) {
      case grpc::StatusCode::UNAVAILABLE:
        err << "bamctl: cannot reach the controller at " << address_ << ": " << message
            << "; is bam-controller running?\n";
        break;
      case grpc::StatusCode::DEADLINE_EXCEEDED:
        err << "bamctl: " << what << ": the controller at " << address_ << " did not answer within "
            << absl::FormatDuration(timeout_) << "\n";
        break;
      case grpc::StatusCode::UNIMPLEMENTED:
        err << "bamctl: " << what << ": the controller at " << address_
            << " does not support this command; is it older than bamctl? (" << message << ")\n";
        break;
      // The controller's own refusals say what is wrong in words.
      case grpc::StatusCode::INVALID_ARGUMENT:
      case grpc::StatusCode::FAILED_PRECONDITION:
      case grpc::StatusCode::NOT_FOUND:
      case grpc::StatusCode::ALREADY_EXISTS:
      case grpc::StatusCode::OUT_OF_RANGE:
        err << "bamctl: " << what << ": " << Lines(message);
        break;
      default:
        err << "bamctl: " << what << ": the controller at " << address_ << " failed: "
            << absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())) << ": "
            << Lines(message);
    }
    return kExitFailed;
  }

 private:
  std::string address_;
  std::unique_ptr<Stub> stub_;
  absl::Duration timeout_;
};

// A remote command's command line, checked, and its controller's address.
struct Invocation {
  Flags flags;
  std::string address;
};

// Parses args[start..] with `names`/`short_names`/`switches` plus
// --controller, allowing at most `max_positional` positional words, and picks
// the controller (--controller, else the context's default). The error is a
// usage error's message.
absl::StatusOr<Invocation> Parse(const std::vector<std::string>& args, size_t start,
                                 std::vector<std::string> names,
                                 const std::map<std::string, std::string>& short_names,
                                 const std::vector<std::string>& switches, size_t max_positional,
                                 const RemoteContext& context) {
  names.emplace_back("controller");
  absl::StatusOr<Flags> flags = ParseFlags(args, start, names, short_names, switches);
  if (!flags.ok()) return flags.status();
  if (flags->positional.size() > max_positional) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument \"", flags->positional[max_positional], "\""));
  }
  Invocation invocation{*std::move(flags), ""};
  invocation.address = invocation.flags.Get("controller").value_or(context.default_controller);
  const std::string command =
      args[0] == "desired-state" ? absl::StrCat(args[0], " ", args[1]) : args[0];
  if (invocation.address.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        command, " needs the controller's address: pass --controller=HOST:PORT or set ",
        "BAMCTL_CONTROLLER=HOST:PORT"));
  }
  if (invocation.address.find(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("controller address \"", invocation.address, "\": want HOST:PORT"));
  }
  return invocation;
}

// "table" (the default) or "json" from -o; a usage error's message otherwise.
absl::StatusOr<bool> WantJson(const Flags& flags) {
  const std::string format = flags.Get("output").value_or("table");
  if (format != "table" && format != "json") {
    return absl::InvalidArgumentError(
        absl::StrCat("-o ", format, ": valid formats are table, json"));
  }
  return format == "json";
}

// What an apply or rollback changed: the spec diff and the nodes whose plan
// differs. Nothing for an unchanged result.
void PrintChange(const v1::ApplyResponse& response, std::ostream& out) {
  if (response.unchanged()) return;
  out << Lines(response.spec_diff());
  out << "changed nodes: "
      << (response.changed_nodes().empty() ? "none" : absl::StrJoin(response.changed_nodes(), ", "))
      << "\n";
}

int ApplyCommand(const std::vector<std::string>& args, const RemoteContext& context,
                 std::ostream& out, std::ostream& err) {
  absl::StatusOr<Invocation> inv =
      Parse(args, 2, {"file", "message", "expected-version"}, {{"-f", "file"}, {"-m", "message"}},
            {"dry-run", "rollout"}, 0, context);
  if (!inv.ok()) return UsageError(err, inv.status().message());
  std::optional<std::string> file = inv->flags.Get("file");
  if (!file) return UsageError(err, "desired-state apply needs -f FILE");
  absl::StatusOr<std::optional<int64_t>> expected =
      IntFlag(inv->flags, "expected-version", 0, INT64_MAX);
  if (!expected.ok()) return UsageError(err, expected.status().message());
  absl::StatusOr<std::string> text = ReadFile(*file);
  if (!text.ok()) {
    err << "bamctl: " << text.status().message() << "\n";
    return kExitFailed;
  }

  v1::ApplyRequest request;
  request.set_spec_text(*std::move(text));
  request.set_file_name(*file);
  request.set_dry_run(inv->flags.Has("dry-run"));
  if (*expected) request.set_expected_version(**expected);
  request.set_author(context.user);
  request.set_comment(inv->flags.Get("message").value_or(""));
  request.set_rollout(inv->flags.Has("rollout"));
  Controller controller(inv->address, context);
  v1::ApplyResponse response;
  grpc::Status status = controller.Call([&](Stub* stub, grpc::ClientContext* call) {
    return stub->ApplyDesiredState(call, request, &response);
  });
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    // The message is the spec's diagnostics, FILE:LINE:COLUMN first, as
    // offline validate prints them: pass them on untouched for editors.
    err << Lines(status.error_message()) << "bamctl: " << *file
        << " was not applied: the controller found errors in it\n";
    return kExitFailed;
  }
  if (!status.ok()) return controller.Fail("desired-state apply", status, err);

  for (const std::string& warning : response.warnings()) err << Lines(warning);
  PrintChange(response, out);
  if (response.dry_run()) {
    if (response.unchanged()) {
      out << "dry run: unchanged (version " << response.version() << ")\n";
    } else {
      out << "dry run: would be version " << response.version() + 1 << "\n";
    }
  } else if (response.unchanged()) {
    out << "unchanged (version " << response.version() << ")\n";
  } else {
    out << "applied version " << response.version() << "\n";
    if (response.rollout_operation() > 0) {
      out << "operation " << response.rollout_operation()
          << " will rolling-restart what this version leaves restart pending, once every agent "
             "holds it (bamctl op show "
          << response.rollout_operation() << ")\n";
    }
  }
  return kExitOk;
}

int GetCommand(const std::vector<std::string>& args, const RemoteContext& context,
               std::ostream& out, std::ostream& err) {
  absl::StatusOr<Invocation> inv =
      Parse(args, 2, {"version", "output"}, {{"-o", "output"}}, {}, 0, context);
  if (!inv.ok()) return UsageError(err, inv.status().message());
  absl::StatusOr<std::optional<int64_t>> version = IntFlag(inv->flags, "version", 1, INT64_MAX);
  if (!version.ok()) return UsageError(err, version.status().message());
  const std::string format = inv->flags.Get("output").value_or("yaml");
  if (format != "yaml" && format != "json") {
    return UsageError(err, absl::StrCat("-o ", format, ": valid formats are yaml, json"));
  }

  v1::GetDesiredStateRequest request;
  request.set_version(version->value_or(0));  // 0: the current version
  Controller controller(inv->address, context);
  v1::GetDesiredStateResponse response;
  grpc::Status status = controller.Call([&](Stub* stub, grpc::ClientContext* call) {
    return stub->GetDesiredState(call, request, &response);
  });
  if (!status.ok()) return controller.Fail("desired-state get", status, err);
  if (format == "yaml") {
    // Exactly the text that was applied, so `get > FILE` round-trips.
    out << response.spec_text();
    return kExitOk;
  }
  absl::StatusOr<std::string> json = DesiredStateJson(response);
  if (!json.ok()) {
    err << "bamctl: " << json.status().message() << "\n";
    return kExitFailed;
  }
  out << *json;
  return kExitOk;
}

// The flags the list commands (history, events) share.
struct ListInvocation {
  std::string address;
  int32_t limit = 0;  // 0: the controller's default
  bool json = false;
};

absl::StatusOr<ListInvocation> ParseList(const std::vector<std::string>& args, size_t start,
                                         const RemoteContext& context) {
  absl::StatusOr<Invocation> inv =
      Parse(args, start, {"limit", "output"}, {{"-o", "output"}}, {}, 0, context);
  if (!inv.ok()) return inv.status();
  absl::StatusOr<std::optional<int64_t>> limit = IntFlag(inv->flags, "limit", 1, INT32_MAX);
  if (!limit.ok()) return limit.status();
  absl::StatusOr<bool> json = WantJson(inv->flags);
  if (!json.ok()) return json.status();
  return ListInvocation{inv->address, static_cast<int32_t>(limit->value_or(0)), *json};
}

int HistoryCommand(const std::vector<std::string>& args, const RemoteContext& context,
                   std::ostream& out, std::ostream& err) {
  absl::StatusOr<ListInvocation> inv = ParseList(args, 2, context);
  if (!inv.ok()) return UsageError(err, inv.status().message());
  const bool json = inv->json;

  v1::ListVersionsRequest request;
  request.set_limit(inv->limit);
  Controller controller(inv->address, context);
  v1::ListVersionsResponse response;
  grpc::Status status = controller.Call([&](Stub* stub, grpc::ClientContext* call) {
    return stub->ListVersions(call, request, &response);
  });
  if (!status.ok()) return controller.Fail("desired-state history", status, err);
  if (json) return PrintJson(response, out, err);
  TextTable table({"VERSION", "CREATED", "AUTHOR", "ROLLBACK-OF", "HASH", "COMMENT"});
  for (const v1::VersionInfo& v : response.versions()) {
    table.AddRow({absl::StrCat(v.version()), FormatTimeMs(v.created_ms()), v.author(),
                  VersionCell(v.rollback_of()), v.content_hash().substr(0, 12), v.comment()});
  }
  out << table.Render();
  return kExitOk;
}

int DiffCommand(const std::vector<std::string>& args, const RemoteContext& context,
                std::ostream& out, std::ostream& err) {
  absl::StatusOr<Invocation> inv = Parse(args, 2, {"file"}, {{"-f", "file"}}, {}, 0, context);
  if (!inv.ok()) return UsageError(err, inv.status().message());
  std::optional<std::string> file = inv->flags.Get("file");
  if (!file) return UsageError(err, "desired-state diff needs -f FILE");
  absl::StatusOr<std::string> text = ReadFile(*file);
  if (!text.ok()) {
    err << "bamctl: " << text.status().message() << "\n";
    return kExitFailed;
  }

  v1::DiffRequest request;
  request.set_spec_text(*std::move(text));
  request.set_file_name(*file);
  Controller controller(inv->address, context);
  v1::DiffResponse response;
  grpc::Status status = controller.Call(
      [&](Stub* stub, grpc::ClientContext* call) { return stub->Diff(call, request, &response); });
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    err << Lines(status.error_message()) << "bamctl: cannot diff " << *file
        << ": the controller found errors in it\n";
    return kExitFailed;
  }
  if (!status.ok()) return controller.Fail("desired-state diff", status, err);

  out << Lines(response.spec_diff());
  std::vector<std::string> nodes;
  for (const v1::NodeDiff& node : response.nodes()) {
    nodes.push_back(node.node());
    for (const v1::FileDiff& f : node.files()) out << Lines(f.diff());
  }
  // Differences are the answer, not a failure: exit 0 either way.
  if (response.spec_diff().empty() && nodes.empty()) {
    out << "no differences from version " << response.current_version() << "\n";
  } else {
    out << "compared with version " << response.current_version() << ": files change on "
        << (nodes.empty() ? "no node" : absl::StrJoin(nodes, ", ")) << "\n";
  }
  return kExitOk;
}

int RollbackCommand(const std::vector<std::string>& args, const RemoteContext& context,
                    std::ostream& out, std::ostream& err) {
  absl::StatusOr<Invocation> inv = Parse(args, 2, {"expected-version"}, {}, {}, 1, context);
  if (!inv.ok()) return UsageError(err, inv.status().message());
  int64_t target = 0;
  if (inv->flags.positional.empty() || !absl::SimpleAtoi(inv->flags.positional[0], &target) ||
      target < 1) {
    return UsageError(err, "desired-state rollback needs the VERSION to restore (a number >= 1)");
  }
  absl::StatusOr<std::optional<int64_t>> expected =
      IntFlag(inv->flags, "expected-version", 0, INT64_MAX);
  if (!expected.ok()) return UsageError(err, expected.status().message());

  v1::RollbackRequest request;
  request.set_version(target);
  if (*expected) request.set_expected_version(**expected);
  request.set_author(context.user);
  Controller controller(inv->address, context);
  v1::ApplyResponse response;
  grpc::Status status = controller.Call([&](Stub* stub, grpc::ClientContext* call) {
    return stub->Rollback(call, request, &response);
  });
  if (!status.ok()) return controller.Fail("desired-state rollback", status, err);
  PrintChange(response, out);
  if (response.unchanged()) {
    out << "unchanged (version " << response.version() << ")\n";
  } else {
    out << "applied version " << response.version() << " (rollback to version " << target << ")\n";
  }
  return kExitOk;
}

int StatusCommand(const std::vector<std::string>& args, const RemoteContext& context,
                  std::ostream& out, std::ostream& err) {
  absl::StatusOr<Invocation> inv = Parse(args, 1, {"output"}, {{"-o", "output"}}, {}, 0, context);
  if (!inv.ok()) return UsageError(err, inv.status().message());
  absl::StatusOr<bool> json = WantJson(inv->flags);
  if (!json.ok()) return UsageError(err, json.status().message());

  Controller controller(inv->address, context);
  v1::GetStatusResponse response;
  grpc::Status status = controller.Call([&](Stub* stub, grpc::ClientContext* call) {
    return stub->GetStatus(call, v1::GetStatusRequest(), &response);
  });
  if (!status.ok()) return controller.Fail("status", status, err);
  // Scripts wait on the exit code (`until bamctl status; do ...`), in
  // either output format.
  const int code = response.converged() ? kExitOk : kExitFailed;
  if (*json) {
    int printed = PrintJson(response, out, err);
    return printed == kExitOk ? code : printed;
  }
  TextTable table({"NODE", "CONNECTED", "DESIRED", "APPLIED", "ROLE", "PHASE", "HEALTH", "PID",
                   "RESTARTS", "REASON"});
  int converged_nodes = 0;
  for (const v1::NodeStatus& node : response.nodes()) {
    if (node.converged()) ++converged_nodes;
    const std::string connected = node.connected() ? "yes" : "no";
    const std::string desired = VersionCell(node.desired_version());
    const std::string applied = VersionCell(node.applied_version());
    if (node.roles().empty()) {
      // Still one row, so a node that never reported is visible.
      table.AddRow({node.node(), connected, desired, applied, "", "", "", "", "",
                    !node.reason().empty()
                        ? node.reason()
                        : (node.connected() ? "no roles reported" : "agent not connected")});
    }
    for (const v1::RoleStatus& role : node.roles()) {
      // A node-level reason (e.g. an old plan) explains rows that look healthy.
      const std::string reason =
          !role.reason().empty() || node.converged() ? role.reason() : node.reason();
      table.AddRow({node.node(), connected, desired, applied, role.service(),
                    EnumText(role.phase()), EnumText(role.health()),
                    role.pid() > 0 ? absl::StrCat(role.pid()) : "-", absl::StrCat(role.restarts()),
                    reason});
    }
  }
  out << table.Render();
  // What the table cannot hold: host problems, pending restarts, and what
  // agents did on their own (restored a file, refused a plan).
  std::vector<std::string> pending;
  for (const v1::NodeStatus& node : response.nodes()) {
    for (const v1::PreflightCheck& check : node.preflight()) {
      if (check.severity() == v1::SEVERITY_OK) continue;
      out << node.node() << ": preflight " << EnumText(check.severity()) << ": " << check.message()
          << "\n";
    }
    for (const v1::RoleStatus& role : node.roles()) {
      if (role.restart_pending()) pending.push_back(absl::StrCat(node.node(), "/", role.service()));
    }
    const int shown = std::min(node.notices_size(), 3);
    for (int i = node.notices_size() - shown; i < node.notices_size(); ++i) {
      out << node.node() << ": " << node.notices(i) << "\n";
    }
  }
  if (!pending.empty()) {
    out << "restart pending (running with older config): " << absl::StrJoin(pending, ", ") << "\n";
  }
  if (response.desired_version() == 0) {
    out << "no desired state applied yet: not converged\n";
  } else {
    out << "desired version " << response.desired_version() << ": "
        << (response.converged() ? "converged" : "not converged") << " (" << converged_nodes
        << " of " << response.nodes_size() << " nodes converged)\n";
  }
  return code;
}

int NodesCommand(const std::vector<std::string>& args, const RemoteContext& context,
                 std::ostream& out, std::ostream& err) {
  absl::StatusOr<Invocation> inv = Parse(args, 1, {"output"}, {{"-o", "output"}}, {}, 0, context);
  if (!inv.ok()) return UsageError(err, inv.status().message());
  absl::StatusOr<bool> json = WantJson(inv->flags);
  if (!json.ok()) return UsageError(err, json.status().message());

  Controller controller(inv->address, context);
  v1::ListNodesResponse response;
  grpc::Status status = controller.Call([&](Stub* stub, grpc::ClientContext* call) {
    return stub->ListNodes(call, v1::ListNodesRequest(), &response);
  });
  if (!status.ok()) return controller.Fail("nodes", status, err);
  if (*json) return PrintJson(response, out, err);
  TextTable table({"NODE", "ADDRESS", "CONNECTED", "LAST-SEEN", "AGENT", "DESIRED", "APPLIED",
                   "CONVERGED", "ROLES"});
  for (const v1::NodeStatus& node : response.nodes()) {
    table.AddRow({node.node(), node.address(), node.connected() ? "yes" : "no",
                  FormatTimeMs(node.last_seen_ms()), node.agent_version(),
                  VersionCell(node.desired_version()), VersionCell(node.applied_version()),
                  node.converged() ? "yes" : "no",
                  absl::StrJoin(node.roles(), ",", [](std::string* s, const v1::RoleStatus& r) {
                    s->append(r.service());
                  })});
  }
  out << table.Render();
  return kExitOk;
}

int EventsCommand(const std::vector<std::string>& args, const RemoteContext& context,
                  std::ostream& out, std::ostream& err) {
  absl::StatusOr<ListInvocation> inv = ParseList(args, 1, context);
  if (!inv.ok()) return UsageError(err, inv.status().message());
  const bool json = inv->json;

  v1::ListEventsRequest request;
  request.set_limit(inv->limit);
  Controller controller(inv->address, context);
  v1::ListEventsResponse response;
  grpc::Status status = controller.Call([&](Stub* stub, grpc::ClientContext* call) {
    return stub->ListEvents(call, request, &response);
  });
  if (!status.ok()) return controller.Fail("events", status, err);
  if (json) return PrintJson(response, out, err);
  TextTable table({"ID", "TIME", "KIND", "ACTOR", "NODE", "MESSAGE"});
  for (const v1::Event& e : response.events()) {
    table.AddRow({absl::StrCat(e.id()), FormatTimeMs(e.time_ms()), e.kind(), e.actor(), e.node(),
                  e.message()});
  }
  out << table.Render();
  return kExitOk;
}

// "5m", "30s", "1h30m" as milliseconds; a usage error's message otherwise.
absl::StatusOr<int64_t> DurationFlagMs(const Flags& flags, const std::string& name) {
  std::optional<std::string> text = flags.Get(name);
  if (!text) return 0;
  absl::Duration d;
  if (!absl::ParseDuration(*text, &d) || d < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " ", *text, ": want a duration such as 30s, 5m or 1h"));
  }
  return absl::ToInt64Milliseconds(d);
}

int Done(const v1::Operation& op) {
  return op.steps().empty()
             ? 0
             : static_cast<int>(std::count_if(
                   op.steps().begin(), op.steps().end(),
                   [](const v1::RolloutStep& s) { return s.state() == v1::STEP_STATE_DONE; }));
}

// The operation in words: checks, the ordered steps with their state.
void PrintOperation(const v1::Operation& op, std::ostream& out) {
  if (op.id() > 0) out << "operation " << op.id() << ": ";
  out << "rolling restart of " << op.role() << " (service " << op.service() << "), "
      << EnumText(op.state()) << "\n";
  out << "order: " << op.order() << "\n";
  for (const v1::PreCheckResult& c : op.checks()) {
    out << "check " << (c.ok() ? "ok    " : "FAILED") << " " << c.name() << ": " << c.detail()
        << "\n";
  }
  if (!op.forced().empty()) out << "forced past: " << op.forced() << "\n";
  TextTable table({"STEP", "NODES", "STATE", "MESSAGE"});
  for (const v1::RolloutStep& s : op.steps()) {
    table.AddRow(
        {absl::StrCat(s.index()), absl::StrJoin(s.nodes(), ","), EnumText(s.state()), s.message()});
  }
  out << table.Render();
  if (!op.reason().empty()) out << op.reason() << "\n";
}

bool Finished(const v1::Operation& op) {
  return op.state() == v1::OPERATION_STATE_SUCCEEDED || op.state() == v1::OPERATION_STATE_FAILED ||
         op.state() == v1::OPERATION_STATE_ABORTED;
}

int RollingRestartCommand(const std::vector<std::string>& args, const RemoteContext& context,
                          std::ostream& out, std::ostream& err) {
  absl::StatusOr<Invocation> inv = Parse(
      args, 1, {"nodes", "batch-size", "health-timeout", "pause-between", "on-failure", "output"},
      {{"-o", "output"}}, {"allow-downtime", "force", "pending", "dry-run"}, 1, context);
  if (!inv.ok()) return UsageError(err, inv.status().message());
  if (inv->flags.positional.empty()) {
    return UsageError(err, "rolling-restart needs the ROLE to restart (e.g. zookeeper)");
  }
  absl::StatusOr<bool> json = WantJson(inv->flags);
  if (!json.ok()) return UsageError(err, json.status().message());
  absl::StatusOr<std::optional<int64_t>> batch = IntFlag(inv->flags, "batch-size", 1, 1000);
  if (!batch.ok()) return UsageError(err, batch.status().message());
  absl::StatusOr<int64_t> timeout = DurationFlagMs(inv->flags, "health-timeout");
  if (!timeout.ok()) return UsageError(err, timeout.status().message());
  absl::StatusOr<int64_t> pause = DurationFlagMs(inv->flags, "pause-between");
  if (!pause.ok()) return UsageError(err, pause.status().message());

  v1::RollingRestartRequest request;
  request.set_role(inv->flags.positional[0]);
  if (std::optional<std::string> nodes = inv->flags.Get("nodes")) {
    for (absl::string_view n : absl::StrSplit(*nodes, ',', absl::SkipEmpty())) {
      request.add_nodes(std::string(n));
    }
  }
  if (*batch) request.set_batch_size(static_cast<int32_t>(**batch));
  request.set_health_timeout_ms(*timeout);
  request.set_pause_between_ms(*pause);
  request.set_allow_downtime(inv->flags.Has("allow-downtime"));
  request.set_force(inv->flags.Has("force"));
  request.set_pending_only(inv->flags.Has("pending"));
  request.set_dry_run(inv->flags.Has("dry-run"));
  request.set_author(context.user);
  const std::string on_failure = inv->flags.Get("on-failure").value_or("stop");
  if (on_failure != "stop" && on_failure != "continue") {
    return UsageError(err, absl::StrCat("--on-failure ", on_failure, ": stop or continue"));
  }
  request.set_continue_on_failure(on_failure == "continue");
  Controller controller(inv->address, context);
  v1::Operation op;
  grpc::Status status = controller.Call([&](Stub* stub, grpc::ClientContext* call) {
    return stub->StartRollingRestart(call, request, &op);
  });
  if (!status.ok()) return controller.Fail("rolling-restart", status, err);
  if (*json) return PrintJson(op, out, err);
  PrintOperation(op, out);
  if (request.dry_run()) {
    out << "dry run: nothing was restarted\n";
  } else {
    out << "started; follow it with: bamctl op watch " << op.id() << "\n";
  }
  return kExitOk;
}

int OpCommand(const std::vector<std::string>& args, const RemoteContext& context, std::ostream& out,
              std::ostream& err) {
  const std::string verb = args.size() >= 2 ? args[1] : "";
  const std::vector<std::string> verbs = {"list", "show", "watch", "pause", "resume", "abort"};
  if (std::find(verbs.begin(), verbs.end(), verb) == verbs.end()) {
    return UsageError(err, absl::StrCat("op needs one of: ", absl::StrJoin(verbs, ", ")));
  }
  absl::StatusOr<Invocation> inv =
      Parse(args, 2, {"output", "interval"}, {{"-o", "output"}}, {}, 1, context);
  if (!inv.ok()) return UsageError(err, inv.status().message());
  absl::StatusOr<bool> json = WantJson(inv->flags);
  if (!json.ok()) return UsageError(err, json.status().message());
  Controller controller(inv->address, context);

  if (verb == "list") {
    v1::ListOperationsResponse response;
    grpc::Status status = controller.Call([&](Stub* stub, grpc::ClientContext* call) {
      return stub->ListOperations(call, v1::ListOperationsRequest(), &response);
    });
    if (!status.ok()) return controller.Fail("op list", status, err);
    if (*json) return PrintJson(response, out, err);
    TextTable table({"ID", "ROLE", "STATE", "STEPS", "CREATED", "AUTHOR", "REASON"});
    for (const v1::Operation& op : response.operations()) {
      table.AddRow({absl::StrCat(op.id()), op.role(), EnumText(op.state()),
                    absl::StrCat(Done(op), "/", op.steps_size()), FormatTimeMs(op.created_ms()),
                    op.author(), op.reason()});
    }
    out << table.Render();
    return kExitOk;
  }

  int64_t id = 0;
  if (inv->flags.positional.empty() || !absl::SimpleAtoi(inv->flags.positional[0], &id) || id < 1) {
    return UsageError(err, absl::StrCat("op ", verb, " needs the operation ID (a number)"));
  }
  if (std::optional<v1::OperationAction> action = EnumFromText<v1::OperationAction>(verb)) {
    v1::ControlOperationRequest request;
    request.set_id(id);
    request.set_action(*action);
    request.set_author(context.user);
    v1::Operation op;
    grpc::Status status = controller.Call([&](Stub* stub, grpc::ClientContext* call) {
      return stub->ControlOperation(call, request, &op);
    });
    if (!status.ok()) return controller.Fail(absl::StrCat("op ", verb), status, err);
    out << "operation " << op.id() << " is " << EnumText(op.state()) << "\n";
    return kExitOk;
  }

  auto get = [&](v1::Operation* op) {
    v1::GetOperationRequest request;
    request.set_id(id);
    return controller.Call([&](Stub* stub, grpc::ClientContext* call) {
      return stub->GetOperation(call, request, op);
    });
  };
  v1::Operation op;
  if (grpc::Status status = get(&op); !status.ok()) {
    return controller.Fail(absl::StrCat("op ", verb), status, err);
  }
  if (verb == "show") {
    if (*json) return PrintJson(op, out, err);
    PrintOperation(op, out);
    return kExitOk;
  }
  // watch: a line per change until the operation ends; the exit code says
  // how it ended.
  absl::StatusOr<int64_t> interval = DurationFlagMs(inv->flags, "interval");
  if (!interval.ok()) return UsageError(err, interval.status().message());
  const absl::Duration every = absl::Milliseconds(*interval > 0 ? *interval : 1000);
  std::string last;
  while (true) {
    const int done = Done(op);
    const int total = std::max(1, op.steps_size());
    const int width = 20;
    const int filled = done * width / total;
    std::string line =
        absl::StrCat("[", std::string(filled, '#'), std::string(width - filled, '.'), "] ", done,
                     "/", op.steps_size(), " steps, ", EnumText(op.state()));
    for (const v1::RolloutStep& s : op.steps()) {
      if (s.state() == v1::STEP_STATE_DONE) continue;
      absl::StrAppend(&line, "; step ", s.index(), " (", absl::StrJoin(s.nodes(), ","), ") ",
                      EnumText(s.state()), s.message().empty() ? "" : ": ", s.message());
      break;
    }
    if (line != last) out << line << std::endl;
    last = line;
    if (Finished(op)) break;
    absl::SleepFor(every);
    if (grpc::Status status = get(&op); !status.ok()) {
      return controller.Fail("op watch", status, err);
    }
  }
  if (!op.reason().empty()) out << op.reason() << "\n";
  return op.state() == v1::OPERATION_STATE_SUCCEEDED ? kExitOk : kExitFailed;
}

}  // namespace

std::unique_ptr<v1::ClusterService::StubInterface> NewInsecureClusterStub(
    const std::string& address) {
  return v1::ClusterService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

RemoteContext RemoteContextFromEnvironment() {
  RemoteContext context;
  if (const char* controller = std::getenv("BAMCTL_CONTROLLER")) {
    context.default_controller = controller;
  }
  if (const char* user = std::getenv("USER"); user != nullptr && *user != '\0') {
    context.user = user;
  }
  return context;
}

bool IsRemoteCommand(const std::vector<std::string>& args) { return FindCommand(args).has_value(); }

int RunRemoteCommand(const std::vector<std::string>& args, const RemoteContext& context,
                     std::ostream& out, std::ostream& err) {
  std::optional<Command> command = FindCommand(args);
  if (!command) return UsageError(err, "not a remote command");
  switch (*command) {
    case Command::kApply:
      return ApplyCommand(args, context, out, err);
    case Command::kGet:
      return GetCommand(args, context, out, err);
    case Command::kHistory:
      return HistoryCommand(args, context, out, err);
    case Command::kDiff:
      return DiffCommand(args, context, out, err);
    case Command::kRollback:
      return RollbackCommand(args, context, out, err);
    case Command::kStatus:
      return StatusCommand(args, context, out, err);
    case Command::kNodes:
      return NodesCommand(args, context, out, err);
    case Command::kEvents:
      return EventsCommand(args, context, out, err);
    case Command::kRollingRestart:
      return RollingRestartCommand(args, context, out, err);
    case Command::kOp:
      return OpCommand(args, context, out, err);
  }
  return UsageError(err, "not a remote command");
}

}  // namespace bamctl
