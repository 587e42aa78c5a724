#include "tests/integration/child_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "agentd/launcher/launcher.h"

namespace bamctl::testing {

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
    const std::string& working_dir, const std::string& log_path) {
  // The agent's own launcher does the fork/exec (own session, log file,
  // exec errors reported); this class adds exit codes and cleanup.
  LaunchSpec spec;
  spec.argv = argv;
  spec.env = env;
  spec.env.emplace("PATH", "/usr/local/bin:/usr/bin:/bin");
  spec.working_dir = working_dir;
  spec.log_path = log_path;
  // Killed with the test process, also when the test runner kills it on a
  // timeout (the destructor below never runs then). Roles the child starts
  // are in their own sessions and outlive it; the cluster tests remove
  // those by their marker.
  spec.parent_death_signal = SIGKILL;
  absl::StatusOr<ProcessId> id = ProcessLauncher().Launch(spec);
  if (!id.ok()) return id.status();
  return std::unique_ptr<ChildProcess>(new ChildProcess(id->pid));
}

bool ChildProcess::TryReap() {
  if (reaped_) return true;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    reaped_ = true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  return reaped_;
}

absl::StatusOr<int> ChildProcess::Wait(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!TryReap()) {
    if (std::chrono::steady_clock::now() >= until) {
      return absl::DeadlineExceededError(absl::StrCat("pid ", pid_, " still running"));
    }
    usleep(10'000);
  }
  return exit_code_;
}

bool ChildProcess::Running() { return !TryReap(); }

ChildProcess::~ChildProcess() {
  kill(-pid_, SIGKILL);  // the whole group: the child is its leader
  if (!reaped_) {
    int status;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

}  // namespace bamctl::testing
