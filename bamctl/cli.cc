#include "bamctl/cli.h"

#include <algorithm>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bamctl/flags.h"
#include "bamctl/plan_summary.h"
#include "bamctl/remote_commands.h"
#include "bamctl/render_output.h"
#include "common/file_util.h"
#include "google/protobuf/util/json_util.h"
#include "roles/driver/file_sources.h"
#include "roles/render/node_renderer.h"
#include "roles/spec/proto_yaml.h"
#include "roles/spec/role_kind.h"
#include "roles/spec/spec_loader.h"
#include "roles/topology/compiler.h"

namespace bamctl {
namespace {

constexpr absl::string_view kUsage = R"(bamctl: operate a WSO2 BAM cluster from one declarative spec

Usage:
  bamctl desired-state validate -f FILE
      Check a cluster spec offline. Prints every error and warning as
      FILE:LINE:COLUMN: severity: field.path: message. Exit 0 when valid.
  bamctl plan -f FILE [--node NAME] [-o yaml|json|summary]
      Compile a spec offline and print what each node would get (yaml by
      default; summary is a short digest per node).
  bamctl render -f FILE --node NAME [--role ROLE] [--out DIR] [--host-root DIR]
      Show (or write under DIR) exactly what the agent on NAME would write:
      every config file, and each service's command line, init steps,
      probes and restart rule. Passwords show as <redacted>. Files a product
      ships are patched from --host-root (a copy of the host's tree) or else
      from the stock copies built into bamctl.

Against bam-controller (--controller=HOST:PORT, or set BAMCTL_CONTROLLER):
  bamctl desired-state apply -f FILE [--dry-run] [-m MESSAGE] [--expected-version N] [--rollout]
      Validate, compile and store FILE as the next version; prints warnings,
      the spec diff, the nodes whose plan changes and the new version. With
      --expected-version, refused unless N is still the current version.
      With --rollout (or auto_rolling_restart in the spec), roles the new
      version leaves restart pending get rolling restarts once every agent
      holds it.
  bamctl desired-state get [--version N] [-o yaml|json]
      The current (or version N's) spec as applied; json adds the version,
      author, comment and the effective spec.
  bamctl desired-state history [--limit N] [-o table|json]
  bamctl desired-state diff -f FILE
      What applying FILE would change: the spec and each node's files.
  bamctl desired-state rollback N [--expected-version M]
      Store a new version equal to version N.
  bamctl status [-o table|json]
      Per node and role: desired vs. applied version, phase, health,
      restarts. Exit 0 when the cluster has converged, 1 when not.
  bamctl nodes [-o table|json]
  bamctl events [--limit N] [-o table|json]
  bamctl rolling-restart ROLE [--nodes a,b] [--batch-size N] [--health-timeout 5m]
                         [--pause-between 30s] [--allow-downtime] [--force] [--pending]
                         [--on-failure stop|continue] [--dry-run] [-o table|json]
      Restart ROLE across the cluster without losing a quorum: ZooKeeper
      followers one at a time and the leader last, Cassandra one node at a
      time, each step waiting until the restarted instances are healthy.
      Refused (with the reasons) when a member of the group is unhealthy,
      unless --force; namenode and jobtracker need --allow-downtime.
      --pending restarts only instances running an older config. A failed
      step stops the operation (--on-failure continue goes on, for roles
      without a quorum only). --dry-run prints the order and every
      pre-check and restarts nothing.
  bamctl op list [-o table|json]
  bamctl op show|watch|pause|resume|abort ID
      Operations (rolling restarts): watch follows one to its end (exit 1
      unless it succeeded); a restarted controller resumes running ones.

  bamctl version
  bamctl help

Exit codes: 0 success, 1 the spec (or command) failed, the controller
refused or could not be reached, or (status) not converged; 2 bad command
line.
)";

// Loads and checks a spec file, printing its diagnostics to `err`. Returns
// the loaded spec when it has no errors, else nullopt.
std::optional<LoadedSpec> LoadAndReport(const std::string& path, std::ostream& err) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    err << "bamctl: " << text.status().message() << "\n";
    return std::nullopt;
  }
  LoadedSpec loaded = LoadSpec(*text);
  for (const Diagnostic& d : loaded.diagnostics) err << FormatDiagnostic(path, d) << "\n";
  if (!loaded.ok()) return std::nullopt;
  return loaded;
}

// Loads, checks and compiles a spec file, reporting to `err`.
std::optional<v1::ClusterPlan> LoadPlan(const std::string& path, std::ostream& err) {
  std::optional<LoadedSpec> loaded = LoadAndReport(path, err);
  if (!loaded) return std::nullopt;
  absl::StatusOr<v1::ClusterPlan> plan = CompileTopology(loaded->spec);
  if (!plan.ok()) {
    err << "bamctl: compile " << path << ": " << plan.status().message() << "\n";
    return std::nullopt;
  }
  return *std::move(plan);
}

// The plan of `node`, or nullptr after telling `err` which nodes exist.
const v1::NodePlan* FindNode(const v1::ClusterPlan& plan, const std::string& node,
                             const std::string& path, std::ostream& err) {
  for (const v1::NodePlan& n : plan.nodes()) {
    if (n.node() == node) return &n;
  }
  err << "bamctl: no node named \"" << node << "\" in " << path << "; nodes: "
      << absl::StrJoin(plan.nodes(), ", ",
                       [](std::string* out, const v1::NodePlan& n) { out->append(n.node()); })
      << "\n";
  return nullptr;
}

int Validate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<Flags> flags = ParseFlags(args, 2, {"file"}, {{"-f", "file"}});
  if (!flags.ok()) return UsageError(err, flags.status().message());
  if (!flags->positional.empty()) {
    return UsageError(err, absl::StrCat("unexpected argument \"", flags->positional[0], "\""));
  }
  std::optional<std::string> file = flags->Get("file");
  if (!file) return UsageError(err, "desired-state validate needs -f FILE");
  std::optional<LoadedSpec> loaded = LoadAndReport(*file, err);
  if (!loaded) return kExitFailed;
  size_t warnings = loaded->diagnostics.size();
  out << *file << ": valid: cluster \"" << loaded->spec.name() << "\", "
      << loaded->spec.nodes_size() << " nodes, " << warnings << " warning"
      << (warnings == 1 ? "" : "s") << "\n";
  return kExitOk;
}

int Plan(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<Flags> flags =
      ParseFlags(args, 1, {"file", "node", "output"}, {{"-f", "file"}, {"-o", "output"}});
  if (!flags.ok()) return UsageError(err, flags.status().message());
  if (!flags->positional.empty()) {
    return UsageError(err, absl::StrCat("unexpected argument \"", flags->positional[0], "\""));
  }
  std::optional<std::string> file = flags->Get("file");
  if (!file) return UsageError(err, "plan needs -f FILE");
  const std::string format = flags->Get("output").value_or("yaml");
  if (format != "yaml" && format != "json" && format != "summary") {
    return UsageError(err, absl::StrCat("-o ", format, ": valid formats are yaml, json, summary"));
  }
  std::optional<v1::ClusterPlan> plan = LoadPlan(*file, err);
  if (!plan) return kExitFailed;
  const google::protobuf::Message* selected = &*plan;
  if (std::optional<std::string> node = flags->Get("node")) {
    const v1::NodePlan* found = FindNode(*plan, *node, *file, err);
    if (found == nullptr) return kExitFailed;
    v1::NodePlan only = *found;
    // Narrow the plan to the one node, so every format shows the same thing.
    plan->clear_nodes();
    *plan->add_nodes() = std::move(only);
    selected = &plan->nodes(0);
  }
  if (format == "summary") {
    out << SummarizePlan(*plan);
    return kExitOk;
  }
  if (format == "yaml") {
    out << ProtoToYaml(*selected);
    return kExitOk;
  }
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  if (auto status = google::protobuf::util::MessageToJsonString(*selected, &json, options);
      !status.ok()) {
    err << "bamctl: cannot print JSON: " << status.message() << "\n";
    return kExitFailed;
  }
  out << json;
  return kExitOk;
}

int Render(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<Flags> flags =
      ParseFlags(args, 1, {"file", "node", "role", "out", "host-root"}, {{"-f", "file"}});
  if (!flags.ok()) return UsageError(err, flags.status().message());
  if (!flags->positional.empty()) {
    return UsageError(err, absl::StrCat("unexpected argument \"", flags->positional[0], "\""));
  }
  std::optional<std::string> file = flags->Get("file");
  std::optional<std::string> node = flags->Get("node");
  if (!file || !node) return UsageError(err, "render needs -f FILE and --node NAME");
  std::optional<std::string> role = flags->Get("role");
  if (role && !ParseRoleName(*role)) {
    return UsageError(err,
                      absl::StrCat("--role ", *role, ": valid roles: ", ValidRoleNamesForError()));
  }
  std::optional<v1::ClusterPlan> plan = LoadPlan(*file, err);
  if (!plan) return kExitFailed;
  const v1::NodePlan* found = FindNode(*plan, *node, *file, err);
  if (found == nullptr) return kExitFailed;
  // People see this output: secrets are never read, only shown redacted.
  RedactingSecretSource secrets;
  DirectoryFileSource host_tree(flags->Get("host-root").value_or(""));
  RenderContext ctx;
  ctx.secrets = &secrets;
  ctx.base = flags->Get("host-root") ? &host_tree : nullptr;
  ctx.fall_back_to_stock = true;
  absl::StatusOr<std::vector<ServicePlan>> services = RenderNode(*found, ctx);
  if (!services.ok()) {
    err << "bamctl: render: " << services.status().message() << "\n";
    return kExitFailed;
  }
  if (role) {
    std::erase_if(*services, [&](const ServicePlan& s) {
      return std::find(s.roles.begin(), s.roles.end(), *role) == s.roles.end();
    });
    if (services->empty()) {
      err << "bamctl: node " << *node << " does not run role " << *role << "\n";
      return kExitFailed;
    }
  }
  absl::StatusOr<std::vector<ConfigFile>> files = NodeFiles(*services);
  if (!files.ok()) {
    err << "bamctl: render: " << files.status().message() << "\n";
    return kExitFailed;
  }
  if (std::optional<std::string> dir = flags->Get("out")) {
    for (const ConfigFile& f : *files) {
      const std::string target = absl::StrCat(*dir, f.path);
      if (absl::Status s = WriteFileAtomically(target, f.content, f.mode); !s.ok()) {
        err << "bamctl: " << s.message() << "\n";
        return kExitFailed;
      }
      out << target << "\n";
    }
    return kExitOk;
  }
  out << FormatRender(*services, *files);
  return kExitOk;
}

}  // namespace

int RunBamctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    (args.empty() ? err : out) << kUsage;
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::string& command = args[0];
  if (command == "version" || command == "--version") {
    out << "bamctl " << BAMCTL_VERSION << "\n";
    return kExitOk;
  }
  constexpr absl::string_view kVerbs = "validate, apply, get, history, diff, rollback";
  if (command == "desired-state") {
    if (args.size() < 2) {
      return UsageError(err, absl::StrCat("desired-state needs a verb: ", kVerbs));
    }
    if (args[1] == "validate") return Validate(args, out, err);
    if (IsRemoteCommand(args)) {
      return RunRemoteCommand(args, RemoteContextFromEnvironment(), out, err);
    }
    return UsageError(
        err, absl::StrCat("unknown verb \"desired-state ", args[1], "\"; valid: ", kVerbs));
  }
  if (command == "plan") return Plan(args, out, err);
  if (command == "render") return Render(args, out, err);
  if (IsRemoteCommand(args)) {
    return RunRemoteCommand(args, RemoteContextFromEnvironment(), out, err);
  }
  return UsageError(err, absl::StrCat("unknown command \"", command,
                                      "\"; valid: desired-state, plan, render, status, nodes, "
                                      "events, version, help"));
}

}  // namespace bamctl
