#ifndef BAMCTL_BAMCTL_CLI_H_
#define BAMCTL_BAMCTL_CLI_H_

#include <ostream>
#include <string>
#include <vector>

namespace bamctl {

// Exit codes of bamctl, for scripts.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the command ran and found problems
inline constexpr int kExitUsage = 2;   // the command line itself was wrong

// Runs one bamctl command line (`args` excludes the program name), writing
// results to `out` and diagnostics to `err`. Returns the process exit code.
// Offline commands (validate, plan) read only the files they are given and
// write nothing.
int RunBamctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace bamctl

#endif  // BAMCTL_BAMCTL_CLI_H_
