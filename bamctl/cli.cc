#include "bamctl/cli.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bamctl/plan_summary.h"
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
  bamctl version
  bamctl help

Exit codes: 0 success, 1 the spec (or command) failed, 2 bad command line.
)";

// A parsed command line: flags by long name, and positional words.
struct Flags {
  std::map<std::string, std::string> values;
  std::vector<std::string> positional;

  std::optional<std::string> Get(const std::string& name) const {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
};

// Parses "--name=value", "--name value" and "-x value" for the given flags
// (all of which take a value); `short_names` maps "-f" to "file".
absl::StatusOr<Flags> ParseFlags(const std::vector<std::string>& args, size_t start,
                                 const std::vector<std::string>& names,
                                 const std::map<std::string, std::string>& short_names) {
  Flags flags;
  for (size_t i = start; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.empty() || arg[0] != '-' || arg == "-") {
      flags.positional.push_back(arg);
      continue;
    }
    std::string name;
    std::optional<std::string> value;
    if (absl::StartsWith(arg, "--")) {
      name = arg.substr(2);
      if (size_t eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
      }
    } else if (auto it = short_names.find(arg); it != short_names.end()) {
      name = it->second;
    }
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      std::vector<std::string> valid;
      valid.reserve(names.size() + short_names.size());
      for (const auto& n : names) valid.push_back("--" + n);
      for (const auto& [s, n] : short_names) valid.push_back(s);
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag ", arg,
                       "; valid here: ", valid.empty() ? "none" : absl::StrJoin(valid, ", ")));
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("flag ", arg, " needs a value"));
      }
      value = args[++i];
    }
    flags.values[name] = *value;
  }
  return flags;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is a directory; give the spec file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("error while reading ", path));
  return text.str();
}

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

int UsageError(std::ostream& err, absl::string_view message) {
  err << "bamctl: " << message << "\nRun 'bamctl help' for usage.\n";
  return kExitUsage;
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
  if (command == "desired-state") {
    if (args.size() < 2) return UsageError(err, "desired-state needs a verb: validate");
    if (args[1] == "validate") return Validate(args, out, err);
    return UsageError(
        err, absl::StrCat("unknown verb \"desired-state ", args[1], "\"; valid: validate"));
  }
  if (command == "plan") return Plan(args, out, err);
  if (command == "render") return Render(args, out, err);
  return UsageError(err, absl::StrCat("unknown command \"", command,
                                      "\"; valid: desired-state, plan, render, version, help"));
}

}  // namespace bamctl
