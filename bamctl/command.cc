#include "bamctl/command.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "bamctl/cli.h"
#include "common/net_util.h"
#include "pki/client_config.h"

namespace bamctl {
namespace {

bool IsHelpFlag(const std::string& arg) { return arg == "--help" || arg == "-h"; }

// "--limit N" / "-f FILE" / "--dry-run", as usage shows a flag.
std::string FlagSynopsis(const FlagSpec& flag) {
  std::string text = flag.short_name.empty() ? absl::StrCat("--", flag.name) : flag.short_name;
  if (flag.kind == FlagKind::kChoice) {
    absl::StrAppend(&text, " ", absl::StrJoin(flag.choices, "|"));
  } else if (flag.kind != FlagKind::kSwitch) {
    absl::StrAppend(&text, " ", flag.value_name);
  }
  return text;
}

// "op watch ID [--interval DURATION]", wrapped before 80 columns with
// continuation lines indented under the first argument. `indent` is the
// width of what precedes it on the first line. --controller and --config
// are left out when `with_controller` is false (the command list says them
// once).
std::string Synopsis(const Command& command, size_t indent, bool with_controller = true) {
  std::vector<std::string> parts;
  for (const ArgSpec& arg : command.args) {
    parts.push_back(arg.optional ? absl::StrCat("[", arg.name, "]") : arg.name);
  }
  for (const FlagSpec& flag : command.flags) {
    if (!with_controller && (flag.name == "controller" || flag.name == "config")) continue;
    parts.push_back(flag.required ? FlagSynopsis(flag)
                                  : absl::StrCat("[", FlagSynopsis(flag), "]"));
  }
  constexpr size_t kWidth = 80;
  std::string text = command.path;
  const size_t hang = indent + command.path.size() + 1;
  size_t column = indent + text.size();
  for (const std::string& part : parts) {
    if (column + 1 + part.size() > kWidth && column > hang) {
      absl::StrAppend(&text, "\n", std::string(hang, ' '), part);
      column = hang + part.size();
    } else {
      absl::StrAppend(&text, " ", part);
      column += 1 + part.size();
    }
  }
  return text;
}

// Checks `value` against `flag`'s kind; the error is a usage error's message.
std::optional<std::string> CheckValue(const FlagSpec& flag, const std::string& shown,
                                      const std::string& value) {
  switch (flag.kind) {
    case FlagKind::kSwitch:
    case FlagKind::kString:
      return std::nullopt;
    case FlagKind::kInt: {
      int64_t n = 0;
      if (absl::SimpleAtoi(value, &n) && n >= flag.min && n <= flag.max) return std::nullopt;
      const std::string range = flag.max == INT64_MAX
                                    ? absl::StrCat(">= ", flag.min)
                                    : absl::StrCat("from ", flag.min, " to ", flag.max);
      return absl::StrCat(shown, " ", value, ": want a whole number ", range);
    }
    case FlagKind::kDuration: {
      absl::Duration d;
      if (absl::ParseDuration(value, &d) && d >= absl::ZeroDuration()) return std::nullopt;
      return absl::StrCat(shown, " ", value, ": want a duration such as 30s, 5m or 1h");
    }
    case FlagKind::kChoice:
      if (std::find(flag.choices.begin(), flag.choices.end(), value) != flag.choices.end()) {
        return std::nullopt;
      }
      return absl::StrCat(shown, " ", value, ": valid ", flag.choices_noun, " are ",
                          absl::StrJoin(flag.choices, ", "));
  }
  return std::nullopt;
}

FlagSpec ControllerFlag() {
  return {.name = "controller",
          .value_name = "HOST:PORT[,...]",
          .help =
              "the controller to talk to, or the controllers of an HA cluster (calls go to the "
              "leader) (default: the config's controller, else $BAMCTL_CONTROLLER)"};
}

FlagSpec ConfigFlag() {
  return {.name = "config",
          .value_name = "FILE",
          .help =
              "talk mutual TLS with the CA, certificate and key this client config names "
              "(default: $BAMCTL_CONFIG; none: plaintext)"};
}

// The TLS identity of the config `path` names, into `context`; false after
// telling `err` what is wrong with it (the file and line).
bool LoadConfig(const std::string& path, CommandContext& context, std::string& controller,
                std::ostream& err) {
  absl::StatusOr<ClientConfig> config = ReadClientConfig(path);
  absl::StatusOr<ClientTls> tls =
      config.ok() ? LoadClientTls(*config) : absl::StatusOr<ClientTls>(config.status());
  if (!tls.ok()) {
    err << "bamctl: " << tls.status().message() << "\n";
    return false;
  }
  context.tls = *std::move(tls);
  controller = config->controller.value;
  return true;
}

}  // namespace

std::optional<std::string> ParsedArgs::Get(const std::string& name) const {
  if (auto it = values_.find(name); it != values_.end()) return it->second;
  if (auto it = defaults_.find(name); it != defaults_.end()) return it->second;
  return std::nullopt;
}

std::optional<int64_t> ParsedArgs::Int(const std::string& name) const {
  std::optional<std::string> text = Get(name);
  if (!text) return std::nullopt;
  int64_t n = 0;
  if (!absl::SimpleAtoi(*text, &n)) std::abort();  // parsing checked it
  return n;
}

int64_t ParsedArgs::Millis(const std::string& name) const {
  std::optional<std::string> text = Get(name);
  if (!text) return 0;
  absl::Duration d;
  if (!absl::ParseDuration(*text, &d)) std::abort();  // parsing checked it
  return absl::ToInt64Milliseconds(d);
}

int64_t ParsedArgs::ArgNumber(const std::string& name) const {
  int64_t n = 0;
  if (!absl::SimpleAtoi(Arg(name), &n)) std::abort();  // parsing checked it
  return n;
}

FlagSpec OutputFlag(std::vector<std::string> formats) {
  FlagSpec flag{.name = "output",
                .short_name = "-o",
                .kind = FlagKind::kChoice,
                .help = absl::StrCat("output format (default ", formats[0], ")"),
                .choices_noun = "formats"};
  flag.default_value = formats[0];
  flag.choices = std::move(formats);
  return flag;
}

int UsageError(std::ostream& err, absl::string_view message, absl::string_view command) {
  err << "bamctl: " << message << "\nRun 'bamctl " << (command.empty() ? "help" : command)
      << (command.empty() ? "" : " --help") << "' for usage.\n";
  return kExitUsage;
}

CommandTable::CommandTable(std::vector<Command> commands) : commands_(std::move(commands)) {
  for (Command& command : commands_) {
    if (command.remote) {
      command.flags.push_back(ControllerFlag());
      command.flags.push_back(ConfigFlag());
    }
  }
}

const Command* CommandTable::Find(const std::vector<std::string>& args, size_t* words) const {
  const Command* best = nullptr;
  for (const Command& command : commands_) {
    const std::vector<std::string> path = absl::StrSplit(command.path, ' ');
    if (path.size() > args.size() || (best != nullptr && path.size() <= *words)) continue;
    if (std::equal(path.begin(), path.end(), args.begin())) {
      best = &command;
      *words = path.size();
    }
  }
  return best;
}

std::vector<const Command*> CommandTable::Group(absl::string_view group) const {
  std::vector<const Command*> members;
  for (const Command& command : commands_) {
    if (absl::StartsWith(command.path, absl::StrCat(group, " "))) members.push_back(&command);
  }
  return members;
}

std::string CommandTable::Usage() const {
  std::string text = "bamctl: operate a WSO2 BAM cluster from one declarative spec\n\nUsage:\n";
  bool remote_heading = false;
  for (const Command& command : commands_) {
    if (command.remote && !remote_heading) {
      absl::StrAppend(&text,
                      "\nAgainst bam-controller (--controller=HOST:PORT, or set "
                      "BAMCTL_CONTROLLER;\n"
                      "mutual TLS with --config FILE, or set BAMCTL_CONFIG):\n");
      remote_heading = true;
    }
    absl::StrAppend(&text, "  bamctl ", Synopsis(command, 9, /*with_controller=*/false), "\n      ",
                    command.summary, "\n");
  }
  absl::StrAppend(&text,
                  "\n  bamctl version\n  bamctl help [COMMAND]\n\n"
                  "'bamctl COMMAND --help' describes one command and its flags.\n"
                  "Exit codes: 0 success, 1 the spec (or command) failed, the controller\n"
                  "refused or could not be reached, or (status) not converged; 2 bad command\n"
                  "line.\n");
  return text;
}

std::string CommandTable::Help(const Command& command) {
  std::string text =
      absl::StrCat("Usage: bamctl ", Synopsis(command, 14), "\n\n", command.summary, "\n");
  if (!command.details.empty()) absl::StrAppend(&text, "\n", command.details, "\n");
  if (!command.args.empty()) absl::StrAppend(&text, "\nArguments:\n");
  for (const ArgSpec& arg : command.args) {
    absl::StrAppend(&text, "  ", arg.name, "  ", arg.help, "\n");
  }
  if (!command.flags.empty()) absl::StrAppend(&text, "\nFlags:\n");
  for (const FlagSpec& flag : command.flags) {
    std::string names = flag.short_name.empty() ? absl::StrCat("--", flag.name)
                                                : absl::StrCat(flag.short_name, ", --", flag.name);
    if (flag.kind == FlagKind::kChoice) {
      absl::StrAppend(&names, " ", absl::StrJoin(flag.choices, "|"));
    } else if (flag.kind != FlagKind::kSwitch) {
      absl::StrAppend(&names, " ", flag.value_name);
    }
    absl::StrAppend(&text, "  ", names, "\n      ", flag.help, flag.required ? " (required)" : "",
                    "\n");
  }
  return text;
}

int CommandTable::Parse(const Command& command, const std::vector<std::string>& args, size_t start,
                        ParsedArgs* parsed, std::ostream& err) const {
  std::vector<std::string> positional;
  for (size_t i = start; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.empty() || arg[0] != '-' || arg == "-") {
      positional.push_back(arg);
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
    }
    const auto flag = std::find_if(
        command.flags.begin(), command.flags.end(),
        [&](const FlagSpec& f) { return name.empty() ? f.short_name == arg : f.name == name; });
    if (flag == command.flags.end()) {
      std::vector<std::string> valid;
      valid.reserve(command.flags.size());
      for (const FlagSpec& f : command.flags) valid.push_back("--" + f.name);
      return UsageError(err,
                        absl::StrCat("unknown flag ", arg, "; valid here: ",
                                     valid.empty() ? "none" : absl::StrJoin(valid, ", ")),
                        command.path);
    }
    // As typed: "-o" for the short name, else "--name".
    const std::string shown = name.empty() ? arg : absl::StrCat("--", flag->name);
    if (flag->kind == FlagKind::kSwitch) {
      if (value) {
        return UsageError(err, absl::StrCat("flag ", shown, " takes no value"), command.path);
      }
      parsed->values_[flag->name] = "true";
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        return UsageError(
            err,
            absl::StrCat("flag ", shown, " needs a value (", flag->value_name,
                         flag->kind == FlagKind::kChoice ? absl::StrJoin(flag->choices, "|") : "",
                         ")"),
            command.path);
      }
      value = args[++i];
    }
    if (std::optional<std::string> error = CheckValue(*flag, shown, *value)) {
      return UsageError(err, *error, command.path);
    }
    parsed->values_[flag->name] = *value;
  }
  for (const FlagSpec& flag : command.flags) {
    if (flag.required && !parsed->Has(flag.name)) {
      return UsageError(err, absl::StrCat(command.path, " needs ", FlagSynopsis(flag)),
                        command.path);
    }
    if (flag.kind == FlagKind::kChoice) parsed->defaults_[flag.name] = flag.default_value;
  }
  for (size_t i = 0; i < command.args.size(); ++i) {
    const ArgSpec& spec = command.args[i];
    int64_t n = 0;
    if (i >= positional.size() && spec.optional) break;
    if (i >= positional.size() ||
        (spec.number && (!absl::SimpleAtoi(positional[i], &n) || n < 1))) {
      return UsageError(err, absl::StrCat(command.path, " needs ", spec.name, ": ", spec.help),
                        command.path);
    }
    parsed->args_[spec.name] = positional[i];
  }
  if (positional.size() > command.args.size()) {
    return UsageError(err,
                      absl::StrCat("unexpected argument \"", positional[command.args.size()], "\""),
                      command.path);
  }
  return kExitOk;
}

int CommandTable::Run(const std::vector<std::string>& args, const CommandContext& context,
                      std::ostream& out, std::ostream& err) const {
  if (args.empty()) {
    err << Usage();
    return kExitUsage;
  }
  if (args[0] == "version" || args[0] == "--version") {
    out << "bamctl " << context.version << "\n";
    return kExitOk;
  }
  const bool help = args[0] == "help" || IsHelpFlag(args[0]);
  const std::vector<std::string> words(args.begin() + (help ? 1 : 0), args.end());
  size_t matched = 0;
  const Command* command = words.empty() ? nullptr : Find(words, &matched);
  if (command == nullptr) {
    if (help && words.empty()) {
      out << Usage();
      return kExitOk;
    }
    const std::string first = words.empty() ? "" : words[0];
    std::vector<const Command*> group = Group(first);
    if (!group.empty()) {
      // A group's word alone, or with a verb it lacks.
      std::vector<std::string> verbs;
      verbs.reserve(group.size());
      for (const Command* c : group) verbs.push_back(c->path.substr(first.size() + 1));
      if (help || (words.size() >= 2 && IsHelpFlag(words[1]))) {
        for (const Command* c : group) {
          out << "  bamctl " << Synopsis(*c, 9, /*with_controller=*/false) << "\n      "
              << c->summary << "\n";
        }
        return kExitOk;
      }
      const std::string message = words.size() < 2 ? absl::StrCat(first, " needs one of: ")
                                                   : absl::StrCat("unknown command \"", first, " ",
                                                                  words[1], "\"; valid: ");
      return UsageError(err, absl::StrCat(message, absl::StrJoin(verbs, ", ")));
    }
    std::vector<std::string> names;
    for (const Command& c : commands_) {
      std::string top = c.path.substr(0, c.path.find(' '));
      if (std::find(names.begin(), names.end(), top) == names.end()) names.push_back(top);
    }
    names.emplace_back("version");
    names.emplace_back("help");
    return UsageError(
        err, absl::StrCat("unknown command \"", first, "\"; valid: ", absl::StrJoin(names, ", ")));
  }
  if (help ||
      std::any_of(words.begin() + static_cast<std::ptrdiff_t>(matched), words.end(), IsHelpFlag)) {
    out << Help(*command);
    return kExitOk;
  }
  ParsedArgs parsed;
  if (int code = Parse(*command, words, matched, &parsed, err); code != kExitOk) return code;
  // A remote command's context carries the TLS identity of its config,
  // checked here so that a broken config fails before any call.
  CommandContext remote_context = context;
  std::string controller;
  if (command->remote) {
    std::string config_controller;
    const std::string config = parsed.Get("config").value_or(context.default_config);
    if (!config.empty() && !LoadConfig(config, remote_context, config_controller, err)) {
      return kExitFailed;
    }
    controller =
        parsed.Get("controller")
            .value_or(config_controller.empty() ? context.default_controller : config_controller);
  }
  const CommandContext& effective = command->remote ? remote_context : context;
  Invocation invocation{command->path, parsed, effective, out, err, controller};
  if (command->remote) {
    if (invocation.controller.empty()) {
      return UsageError(err,
                        absl::StrCat(command->path,
                                     " needs the controller's address: pass "
                                     "--controller=HOST:PORT, set BAMCTL_CONTROLLER=HOST:PORT "
                                     "or use a config (--config, BAMCTL_CONFIG) that names one"),
                        command->path);
    }
    for (const std::string& address : SplitAddressList(invocation.controller)) {
      if (address.find(':') == std::string::npos) {
        return UsageError(err,
                          absl::StrCat("controller address \"", address,
                                       "\": want HOST:PORT, or HOST:PORT,HOST:PORT,... for "
                                       "several controllers"),
                          command->path);
      }
    }
  }
  return command->run(invocation);
}

}  // namespace bamctl
