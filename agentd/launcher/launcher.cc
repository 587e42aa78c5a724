#include "agentd/launcher/launcher.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace bamctl {
namespace {

struct Stat {
  char state = '?';
  int64_t session = 0;
  uint64_t start_ticks = 0;
};

std::optional<Stat> ReadStat(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // "pid (comm) state ppid ...": comm may hold spaces and parens.
  const size_t close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return std::nullopt;
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(line).substr(close + 2), ' ');
  Stat stat;
  if (fields.size() < 20 || fields[0].empty()) return std::nullopt;
  stat.state = fields[0][0];
  if (!absl::SimpleAtoi(fields[3], &stat.session)) return std::nullopt;       // field 6
  if (!absl::SimpleAtoi(fields[19], &stat.start_ticks)) return std::nullopt;  // field 22
  return stat;
}

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

// What the child reports through the exec pipe when it cannot exec.
struct ExecFailure {
  int stage;  // 0 chdir, 1 user, 2 exec
  int error;
};

constexpr const char* kStages[] = {"chdir to the working directory", "switch user", "exec"};

}  // namespace

std::optional<uint64_t> ProcessStartTicks(pid_t pid) {
  std::optional<Stat> stat = ReadStat(pid);
  if (!stat) return std::nullopt;
  return stat->start_ticks;
}

absl::StatusOr<ProcessId> ProcessLauncher::Launch(const LaunchSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty() || spec.argv[0][0] != '/') {
    return absl::InvalidArgumentError("the command must start with an absolute program path");
  }
  // Everything the child needs is prepared here: between fork and exec only
  // async-signal-safe calls are allowed.
  std::vector<std::string> args = spec.argv;
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  env_strings.reserve(spec.env.size());
  for (const auto& [k, v] : spec.env) env_strings.push_back(absl::StrCat(k, "=", v));
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  uid_t uid = 0;
  gid_t gid = 0;
  bool switch_user = !spec.user.empty();
  if (switch_user) {
    struct passwd pw;
    struct passwd* found = nullptr;
    char buf[4096];
    if (getpwnam_r(spec.user.c_str(), &pw, buf, sizeof(buf), &found) != 0 || found == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("user \"", spec.user, "\" does not exist on this host"));
    }
    uid = pw.pw_uid;
    gid = pw.pw_gid;
    // Already that user (an agent run by that user, the local cluster):
    // nothing to switch, and a non-root process could not anyway.
    if (uid == geteuid()) switch_user = false;
  }
  int log_fd = open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log_fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("open log ", spec.log_path, ": ", std::strerror(errno)));
  }
  // The role's own log: its user may read it (and rotate it) later.
  if (switch_user && geteuid() == 0 && fchown(log_fd, uid, gid) != 0) {
    const int err = errno;
    close(log_fd);
    return absl::InternalError(
        absl::StrCat("chown log ", spec.log_path, " to ", spec.user, ": ", std::strerror(err)));
  }
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    close(log_fd);
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  const std::string user = spec.user;
  const uint64_t nofile = spec.nofile_limit;
  const std::string cwd = spec.working_dir.empty() ? "/" : spec.working_dir;
  const int death_signal = spec.parent_death_signal;
  const pid_t parent = getpid();

  pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    auto fail = [&](int stage) {
      ExecFailure f{stage, errno};
      (void)!write(pipe_fds[1], &f, sizeof(f));
      _exit(127);
    };
    setsid();  // own session and process group: survives the agent
    if (death_signal != 0) {
      (void)prctl(PR_SET_PDEATHSIG, death_signal);
      if (getppid() != parent) _exit(127);  // the launcher ended already
    }
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr);
    signal(SIGPIPE, SIG_DFL);
    if (nofile > 0) {
      struct rlimit limit = {nofile, nofile};
      (void)setrlimit(RLIMIT_NOFILE, &limit);
    }
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    if (switch_user &&
        (setgid(gid) != 0 || initgroups(user.c_str(), gid) != 0 || setuid(uid) != 0)) {
      fail(1);
    }
    if (chdir(cwd.c_str()) != 0) fail(0);
    execve(argv[0], argv.data(), envp.data());
    fail(2);
  }
  close(log_fd);
  close(pipe_fds[1]);
  ExecFailure failure{};
  ssize_t n;
  do {
    n = read(pipe_fds[0], &failure, sizeof(failure));
  } while (n < 0 && errno == EINTR);
  close(pipe_fds[0]);
  if (n == static_cast<ssize_t>(sizeof(failure))) {
    int status;
    waitpid(pid, &status, 0);
    return absl::FailedPreconditionError(absl::StrCat(kStages[failure.stage], " for ", spec.argv[0],
                                                      ": ", std::strerror(failure.error)));
  }
  // Our child cannot be reaped by anyone else before we wait for it, so this
  // pidfd names it, not a later process that reuses the pid.
  const int pidfd = PidfdOpen(pid);
  if (pidfd < 0) {
    const int error = errno;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return absl::InternalError(
        absl::StrCat("pidfd_open for ", spec.argv[0], ": ", std::strerror(error)));
  }
  {
    absl::MutexLock lock(&mu_);
    children_[pid] = pidfd;
  }
  std::optional<uint64_t> start = ProcessStartTicks(pid);
  if (!start) {  // exited already; still a valid id for WaitForExit
    start = 0;
  }
  return ProcessId{pid, *start};
}

bool ProcessLauncher::IsAlive(const ProcessId& id) {
  std::optional<Stat> stat = ReadStat(id.pid);
  if (!stat || stat->start_ticks != id.start_ticks) return false;
  if (stat->state == 'Z' || stat->state == 'X') {
    Reap(id.pid);
    return false;
  }
  return true;
}

bool ProcessLauncher::WaitForExit(const ProcessId& id, std::chrono::milliseconds timeout) {
  int fd = PidfdOpen(id.pid);
  if (fd < 0) return true;  // ESRCH: gone (and reaped)
  bool exited;
  if (!IsAlive(id)) {
    exited = true;  // zombie, or the pid now belongs to someone else
  } else {
    pollfd p{fd, POLLIN, 0};
    int r;
    do {
      r = poll(&p, 1, static_cast<int>(timeout.count()));
    } while (r < 0 && errno == EINTR);
    exited = r > 0;
  }
  close(fd);
  if (exited) Reap(id.pid);
  return exited;
}

// The name of the user running `pid`; "" when it is the agent's own.
std::string ProcessLauncher::OwnerName(pid_t pid) {
  struct stat st;
  if (stat(absl::StrCat("/proc/", pid).c_str(), &st) != 0 || st.st_uid == geteuid()) return "";
  struct passwd pw;
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (getpwuid_r(st.st_uid, &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return "";
  }
  return pw.pw_name;
}

absl::Status ProcessLauncher::Stop(const ProcessId& id, const std::vector<std::string>& stop_argv,
                                   std::chrono::milliseconds grace) {
  if (!IsAlive(id)) {
    kill(-id.pid, SIGKILL);  // stragglers of an exited leader
    return absl::OkStatus();
  }
  bool asked = false;
  if (!stop_argv.empty()) {
    LaunchSpec stop;
    stop.argv = stop_argv;
    stop.log_path = "/dev/null";
    // As the user the role runs as, never more: the command is the role's.
    stop.user = OwnerName(id.pid);
    absl::StatusOr<ProcessId> stopper = Launch(stop);
    if (stopper.ok()) {
      asked = true;
      if (!WaitForExit(*stopper, grace)) {
        kill(-stopper->pid, SIGKILL);
        WaitForExit(*stopper, std::chrono::seconds(10));
      }
      ExitCode(*stopper);  // reaped: the stop command's outcome is the role's exit
    }
  }
  if (!asked) kill(-id.pid, SIGTERM);
  if (!WaitForExit(id, grace)) {
    kill(-id.pid, SIGKILL);
    if (!WaitForExit(id, std::chrono::seconds(10))) {
      return absl::DeadlineExceededError(
          absl::StrCat("pid ", id.pid, " survived SIGKILL (uninterruptible sleep?)"));
    }
  }
  kill(-id.pid, SIGKILL);  // whatever else is left in its group
  return absl::OkStatus();
}

void ProcessLauncher::Reap(pid_t pid) {
  // Under the lock from waitid to the record: a thread that sees the child
  // gone from /proc and then asks ExitCode waits for the code to be kept.
  absl::MutexLock lock(&mu_);
  auto child = children_.find(pid);
  if (child == children_.end()) return;  // not ours (adopted), or reaped already
  siginfo_t info{};
  if (waitid(P_PIDFD, static_cast<id_t>(child->second), &info, WEXITED | WNOHANG) != 0) return;
  if (info.si_pid == 0) return;  // still running
  const int code = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
  close(child->second);
  children_.erase(child);
  exit_codes_[pid] = KeptExit{code, ++reaped_count_};
  // Codes nobody asks for (a drain command's) must not pile up: the oldest
  // goes, never one just reaped (pids wrap, so the lowest pid is not it).
  while (exit_codes_.size() > kMaxKeptExitCodes) {
    auto oldest = exit_codes_.begin();
    for (auto it = exit_codes_.begin(); it != exit_codes_.end(); ++it) {
      if (it->second.order < oldest->second.order) oldest = it;
    }
    exit_codes_.erase(oldest);
  }
}

std::optional<int> ProcessLauncher::ExitCode(const ProcessId& id) {
  Reap(id.pid);
  absl::MutexLock lock(&mu_);
  auto it = exit_codes_.find(id.pid);
  if (it == exit_codes_.end()) return std::nullopt;  // running, or not our child
  const int code = it->second.code;
  exit_codes_.erase(it);  // the pid may be reused by a later child
  return code;
}

ProcessLauncher::~ProcessLauncher() {
  absl::MutexLock lock(&mu_);
  for (const auto& [pid, fd] : children_) close(fd);
}

std::optional<ProcessId> ProcessLauncher::FindByMarker(const std::string& marker) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    std::optional<Stat> stat = ReadStat(pid);
    if (!stat || stat->session != pid || stat->state == 'Z') continue;
    std::ifstream in(absl::StrCat("/proc/", pid, "/environ"), std::ios::binary);
    std::string var;
    while (std::getline(in, var, '\0')) {
      if (var == marker) return ProcessId{pid, stat->start_ticks};
    }
  }
  return std::nullopt;
}

absl::Status RotateLogIfNeeded(const std::string& path, uint64_t max_bytes, int keep) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return errno == ENOENT
               ? absl::OkStatus()
               : absl::InternalError(absl::StrCat("stat ", path, ": ", std::strerror(errno)));
  }
  if (static_cast<uint64_t>(st.st_size) <= max_bytes || keep < 1) return absl::OkStatus();
  for (int i = keep - 1; i >= 1; --i) {
    rename(absl::StrCat(path, ".", i).c_str(), absl::StrCat(path, ".", i + 1).c_str());
  }
  {
    std::ifstream in(path, std::ios::binary);
    std::ofstream out(absl::StrCat(path, ".1"), std::ios::binary | std::ios::trunc);
    out << in.rdbuf();
    if (!out) return absl::InternalError(absl::StrCat("copy ", path, " to ", path, ".1"));
  }
  if (truncate(path.c_str(), 0) != 0) {
    return absl::InternalError(absl::StrCat("truncate ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace bamctl
