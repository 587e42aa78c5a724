// desired-state validate, plan and render: they read only the spec file they
// are given (and, for render, a host tree) and need no controller.
#include <algorithm>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bamctl/cli.h"
#include "bamctl/commands.h"
#include "bamctl/output.h"
#include "bamctl/plan_summary.h"
#include "bamctl/render_output.h"
#include "common/file_util.h"
#include "roles/driver/file_sources.h"
#include "roles/render/node_renderer.h"
#include "roles/spec/proto_yaml.h"
#include "roles/spec/role_kind.h"
#include "roles/spec/spec_loader.h"
#include "roles/topology/compiler.h"

namespace bamctl {
namespace {

// Loads and checks a spec file, printing its diagnostics to `err`. Returns
// the loaded spec when it has no errors, else nullopt.
std::optional<LoadedSpec> LoadAndReport(const std::string& path, std::ostream& err) {
  absl::StatusOr<std::string> text = ReadSpecFile(path);
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

FlagSpec FileFlag() {
  return {.name = "file",
          .short_name = "-f",
          .value_name = "FILE",
          .help = "the cluster spec (YAML)",
          .required = true};
}

int Validate(const Invocation& in) {
  const std::string file = *in.args.Get("file");
  std::optional<LoadedSpec> loaded = LoadAndReport(file, in.err);
  if (!loaded) return kExitFailed;
  size_t warnings = loaded->diagnostics.size();
  in.out << file << ": valid: cluster \"" << loaded->spec.name() << "\", "
         << loaded->spec.nodes_size() << " nodes, " << warnings << " warning"
         << (warnings == 1 ? "" : "s") << "\n";
  return kExitOk;
}

int Plan(const Invocation& in) {
  const std::string file = *in.args.Get("file");
  const std::string format = *in.args.Get("output");
  std::optional<v1::ClusterPlan> plan = LoadPlan(file, in.err);
  if (!plan) return kExitFailed;
  const google::protobuf::Message* selected = &*plan;
  if (std::optional<std::string> node = in.args.Get("node")) {
    const v1::NodePlan* found = FindNode(*plan, *node, file, in.err);
    if (found == nullptr) return kExitFailed;
    v1::NodePlan only = *found;
    // Narrow the plan to the one node, so every format shows the same thing.
    plan->clear_nodes();
    *plan->add_nodes() = std::move(only);
    selected = &plan->nodes(0);
  }
  if (format == "summary") {
    in.out << SummarizePlan(*plan);
  } else if (format == "yaml") {
    in.out << ProtoToYaml(*selected);
  } else {
    PrintJson(*selected, in.out);
  }
  return kExitOk;
}

int Render(const Invocation& in) {
  const std::string file = *in.args.Get("file");
  const std::string node = *in.args.Get("node");
  std::optional<std::string> role = in.args.Get("role");
  if (role && !ParseRoleName(*role)) {
    return UsageError(in.err,
                      absl::StrCat("--role ", *role, ": valid roles: ", ValidRoleNamesForError()),
                      in.command);
  }
  std::optional<v1::ClusterPlan> plan = LoadPlan(file, in.err);
  if (!plan) return kExitFailed;
  const v1::NodePlan* found = FindNode(*plan, node, file, in.err);
  if (found == nullptr) return kExitFailed;
  // People see this output: secrets are never read, only shown redacted.
  RedactingSecretSource secrets;
  DirectoryFileSource host_tree(in.args.Get("host-root").value_or(""));
  RenderContext ctx;
  ctx.secrets = &secrets;
  ctx.base = in.args.Has("host-root") ? &host_tree : nullptr;
  ctx.fall_back_to_stock = true;
  absl::StatusOr<std::vector<ServicePlan>> services = RenderNode(*found, ctx);
  if (!services.ok()) {
    in.err << "bamctl: render: " << services.status().message() << "\n";
    return kExitFailed;
  }
  if (role) {
    std::erase_if(*services, [&](const ServicePlan& s) {
      return std::find(s.roles.begin(), s.roles.end(), *role) == s.roles.end();
    });
    if (services->empty()) {
      in.err << "bamctl: node " << node << " does not run role " << *role << "\n";
      return kExitFailed;
    }
  }
  absl::StatusOr<std::vector<ConfigFile>> files = NodeFiles(*services);
  if (!files.ok()) {
    in.err << "bamctl: render: " << files.status().message() << "\n";
    return kExitFailed;
  }
  if (std::optional<std::string> dir = in.args.Get("out")) {
    for (const ConfigFile& f : *files) {
      const std::string target = absl::StrCat(*dir, f.path);
      if (absl::Status s = WriteFileAtomically(target, f.content, f.mode); !s.ok()) {
        in.err << "bamctl: " << s.message() << "\n";
        return kExitFailed;
      }
      in.out << target << "\n";
    }
    return kExitOk;
  }
  in.out << FormatRender(*services, *files);
  return kExitOk;
}

}  // namespace

std::vector<Command> OfflineCommands() {
  return {
      {.path = "desired-state validate",
       .summary = "Check a cluster spec offline; exit 0 when valid.",
       .details = "Prints every error and warning as FILE:LINE:COLUMN: severity: field.path: "
                  "message.",
       .flags = {FileFlag()},
       .run = Validate},
      {.path = "plan",
       .summary = "Compile a spec offline and print what each node would get.",
       .details = "yaml by default; summary is a short digest per node.",
       .flags = {FileFlag(),
                 {.name = "node", .value_name = "NAME", .help = "only this node's plan"},
                 OutputFlag({"yaml", "json", "summary"})},
       .run = Plan},
      {.path = "render",
       .summary = "Show (or write under DIR) exactly what the agent on a node would write.",
       .details = "Every config file, and each service's command line, init steps, probes\n"
                  "and restart rule. Passwords show as <redacted>. Files a product ships are\n"
                  "patched from --host-root (a copy of the host's tree) or else from the stock\n"
                  "copies built into bamctl.",
       .flags = {FileFlag(),
                 {.name = "node", .value_name = "NAME", .help = "the node", .required = true},
                 {.name = "role", .value_name = "ROLE", .help = "only the services of ROLE"},
                 {.name = "out", .value_name = "DIR", .help = "write the files under DIR"},
                 {.name = "host-root",
                  .value_name = "DIR",
                  .help = "patch shipped files from this copy of the host's tree"}},
       .run = Render},
  };
}

}  // namespace bamctl
