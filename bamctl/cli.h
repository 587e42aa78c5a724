#ifndef BAMCTL_BAMCTL_CLI_H_
#define BAMCTL_BAMCTL_CLI_H_

#include <ostream>
#include <string>
#include <vector>

namespace bamctl {

struct CommandContext;

// Exit codes of bamctl, for scripts.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the command ran and found problems
inline constexpr int kExitUsage = 2;   // the command line itself was wrong

// Runs one bamctl command line (`args` excludes the program name), writing
// results to `out` and diagnostics to `err`. Returns the process exit code.
// Offline commands (validate, plan, render) read only the files they are
// given; the others talk to the controller `context` names. The commands and
// their flags are declared in one table (bamctl/commands.h).
int RunBamctl(const std::vector<std::string>& args, const CommandContext& context,
              std::ostream& out, std::ostream& err);

// RunBamctl in this process's environment (CommandContextFromEnvironment).
int RunBamctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace bamctl

#endif  // BAMCTL_BAMCTL_CLI_H_
