#ifndef BAMCTL_BAMCTL_COMMAND_H_
#define BAMCTL_BAMCTL_COMMAND_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "bamctl/controller_client.h"

namespace bamctl {

// bamctl's commands as one declarative table (after Kudu's tools/tool_action.h):
// each command declares its words ("op watch"), a one-line summary, its
// flags with their kind and help, its positional arguments and its handler.
// The usage text (`bamctl help`, `bamctl CMD --help`, every usage error) and
// the flag parsing and checking are derived from the declarations, so a
// handler only runs on a command line that fits them. Commands that share a
// first word ("desired-state", "op") form a group whose help lists them.

// What a flag's value must be. Parsing checks it, so handlers read values
// that are known to fit.
enum class FlagKind {
  kSwitch,    // no value: --dry-run
  kString,    // any text: -f FILE
  kInt,       // a whole number in [min, max]: --limit 20
  kDuration,  // 30s, 5m, 1h30m (read as milliseconds): --interval 2s
  kChoice,    // one of `choices`: -o json
};

struct FlagSpec {
  std::string name{};        // long name, without "--"
  std::string short_name{};  // "-f", or empty
  FlagKind kind = FlagKind::kString;
  std::string value_name{};  // in usage: "--limit N"; empty for a switch
  std::string help{};        // one line
  bool required = false;
  int64_t min = INT64_MIN;              // kInt only
  int64_t max = INT64_MAX;              // kInt only
  std::vector<std::string> choices{};   // kChoice only
  std::string default_value{};          // kChoice: what an absent flag means
  std::string choices_noun = "values";  // "-o xml: valid formats are ..."
};

// A positional argument, in order. `number` ones must be whole numbers >= 1
// (versions, operation ids).
struct ArgSpec {
  std::string name{};  // in usage: ROLE, ID
  std::string help{};  // what it is, for "op show needs ID (...)"
  bool number = false;
  bool optional = false;  // may be left out (only the last ones)
};

// A command line that fits its command's declaration.
class ParsedArgs {
 public:
  // The value of flag `name` when given (a switch's is "true"); the default
  // of a kChoice flag otherwise.
  std::optional<std::string> Get(const std::string& name) const;
  bool Has(const std::string& name) const { return values_.contains(name); }
  // A kInt flag's value, when given.
  std::optional<int64_t> Int(const std::string& name) const;
  // A kDuration flag's value in milliseconds; 0 when not given.
  int64_t Millis(const std::string& name) const;
  // Positional argument `name` (every declared one is present but an
  // optional one left out, which reads ""; a `number` one is a valid
  // number).
  std::string Arg(const std::string& name) const {
    auto it = args_.find(name);
    return it == args_.end() ? std::string() : it->second;
  }
  int64_t ArgNumber(const std::string& name) const;

 private:
  friend class CommandTable;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::string> defaults_;
  std::map<std::string, std::string> args_;
};

// One run of a command: its parsed line, its environment and its streams.
struct Invocation {
  const std::string& command;  // "desired-state apply"
  const ParsedArgs& args;
  const CommandContext& context;
  std::ostream& out;
  std::ostream& err;
  // The controller's address (--controller, else the context's default);
  // set for remote commands only.
  std::string controller;
};

struct Command {
  std::string path{};     // the words after "bamctl": "op watch"
  std::string summary{};  // one line, for the command list
  std::string details{};  // more lines for `CMD --help`, or empty
  std::vector<ArgSpec> args{};
  std::vector<FlagSpec> flags{};
  // Talks to the controller: gets --controller and needs an address.
  bool remote = false;
  std::function<int(const Invocation&)> run{};
};

// The shared -o flag.
FlagSpec OutputFlag(std::vector<std::string> formats);

// The table of every command, and the command line run against it.
class CommandTable {
 public:
  explicit CommandTable(std::vector<Command> commands);

  // Runs `args` (excluding the program name): help, or the command the
  // leading words name once its line fits the declaration, else a usage
  // error to `err` naming what would be valid. Returns the exit code.
  int Run(const std::vector<std::string>& args, const CommandContext& context, std::ostream& out,
          std::ostream& err) const;

  // `bamctl help`: every command with its synopsis and summary.
  std::string Usage() const;
  // `bamctl CMD --help`: the synopsis, details, arguments and flags.
  static std::string Help(const Command& command);

 private:
  const Command* Find(const std::vector<std::string>& args, size_t* words) const;
  // Commands whose path starts with `group` ("op"), for a group's help.
  std::vector<const Command*> Group(absl::string_view group) const;
  int Parse(const Command& command, const std::vector<std::string>& args, size_t start,
            ParsedArgs* parsed, std::ostream& err) const;

  std::vector<Command> commands_;
};

// Reports a bad command line to `err` with where to find help; returns
// kExitUsage.
int UsageError(std::ostream& err, absl::string_view message, absl::string_view command = "");

}  // namespace bamctl

#endif  // BAMCTL_BAMCTL_COMMAND_H_
