#ifndef BAMCTL_AGENTD_LAUNCHER_LAUNCHER_H_
#define BAMCTL_AGENTD_LAUNCHER_LAUNCHER_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace bamctl {

// How to start one role process.
struct LaunchSpec {
  std::vector<std::string> argv;           // argv[0] is an absolute path
  std::map<std::string, std::string> env;  // the whole environment
  std::string working_dir;
  std::string user;           // run as this user; empty: the agent's own
  uint64_t nofile_limit = 0;  // RLIMIT_NOFILE; 0: inherit
  std::string log_path;       // stdout and stderr, appended
  // For test harnesses only (roles must outlive the agent): a signal the
  // process gets when the thread that launched it ends, so a harness killed
  // by its test runner leaves nothing running. 0: none.
  int parent_death_signal = 0;
};

// Identifies a process across agent restarts: a pid alone could be reused
// by an unrelated process, pid plus its start time (from /proc) cannot.
struct ProcessId {
  pid_t pid = 0;
  uint64_t start_ticks = 0;  // /proc/<pid>/stat field 22
  bool operator==(const ProcessId&) const = default;
};

// Starts, watches and stops role processes. Each runs in its own session
// and process group with stdout/stderr going straight to its log file (not
// a pipe to the agent), so it keeps running when the agent stops or dies,
// and a new agent can adopt it by its ProcessId.
class Launcher {
 public:
  virtual ~Launcher() = default;

  // Forks and execs `spec`. Errors (no such program, unknown user, log not
  // writable) are reported before the process is counted as started: the
  // child reports a failed exec through a close-on-exec pipe.
  virtual absl::StatusOr<ProcessId> Launch(const LaunchSpec& spec) = 0;

  // True when `id` names a live process: same pid and same start time.
  virtual bool IsAlive(const ProcessId& id) = 0;

  // Blocks until `id` exits or `timeout` passes; true when it has exited.
  // Works for processes this agent did not start (pidfd), so adopted roles
  // are watched without polling.
  virtual bool WaitForExit(const ProcessId& id, std::chrono::milliseconds timeout) = 0;

  // SIGTERM to the process group (or runs `stop_argv` when given), then
  // SIGKILL to the group after `grace`. OK when nothing is left running.
  virtual absl::Status Stop(const ProcessId& id, const std::vector<std::string>& stop_argv,
                            std::chrono::milliseconds grace) = 0;

  // How `id` ended, once it has exited and was this launcher's child: the
  // exit code, or 128 + the signal that killed it (as shells report it).
  // nullopt for a process still running or one this launcher did not start
  // (an adopted role: its parent is init, which reaps it).
  virtual std::optional<int> ExitCode(const ProcessId& id) = 0;

  // A live session leader whose environment holds `marker` ("NAME=VALUE"),
  // for adopting a role whose pid the agent lost (a damaged state file):
  // the agent puts such a marker into every role's environment.
  virtual std::optional<ProcessId> FindByMarker(const std::string& marker) = 0;
};

// The real one: fork/exec, pidfd, /proc.
class ProcessLauncher : public Launcher {
 public:
  ProcessLauncher() = default;
  ProcessLauncher(const ProcessLauncher&) = delete;
  ProcessLauncher& operator=(const ProcessLauncher&) = delete;
  ~ProcessLauncher() override;

  absl::StatusOr<ProcessId> Launch(const LaunchSpec& spec) override;
  bool IsAlive(const ProcessId& id) override;
  bool WaitForExit(const ProcessId& id, std::chrono::milliseconds timeout) override;
  absl::Status Stop(const ProcessId& id, const std::vector<std::string>& stop_argv,
                    std::chrono::milliseconds grace) override;
  std::optional<int> ExitCode(const ProcessId& id) override;
  std::optional<ProcessId> FindByMarker(const std::string& marker) override;

 private:
  static constexpr size_t kMaxKeptExitCodes = 256;

  // The name of the user running `pid`; "" when it is the agent's own.
  static std::string OwnerName(pid_t pid);

  // Reaps `pid` through its pidfd if it is an exited child of ours and
  // keeps its exit code.
  void Reap(pid_t pid);

  absl::Mutex mu_;
  std::map<pid_t, int> children_ ABSL_GUARDED_BY(mu_);  // pid -> pidfd, until reaped
  struct KeptExit {
    int code;
    uint64_t order;  // reap order, for dropping the oldest
  };
  std::map<pid_t, KeptExit> exit_codes_ ABSL_GUARDED_BY(mu_);
  uint64_t reaped_count_ ABSL_GUARDED_BY(mu_) = 0;
};

// The start time of `pid` in clock ticks since boot, or nullopt if there is
// no such process.
std::optional<uint64_t> ProcessStartTicks(pid_t pid);

// Size-based rotation for a log the process keeps open with O_APPEND: when
// `path` is larger than `max_bytes`, shifts path.1..path.(keep-1) up, copies
// path to path.1 and truncates path (the writer goes on at offset 0). A few
// lines written during the copy can be lost, never the process.
absl::Status RotateLogIfNeeded(const std::string& path, uint64_t max_bytes, int keep);

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_LAUNCHER_LAUNCHER_H_
