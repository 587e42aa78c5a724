// The daemons' side of systemd's notify protocol, without systemd: each is
// started with NOTIFY_SOCKET and WATCHDOG_USEC as systemd sets them for a
// Type=notify unit with WatchdogSec=, and the test plays systemd's socket.
// It reads READY=1 with a status, periodic WATCHDOG=1, and then stops the
// one loop the watchdog hears from (ptrace stops that thread alone; the
// rest of the process runs on): the pings stop, as they must for systemd to
// restart a daemon whose main loop hangs. Released, the loop pings again.
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/child_process.h"
#include "tests/util/loopback_subnet.h"
#include "tests/util/notify_socket.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using testing::ChildProcess;
using ::testing::HasSubstr;
using testing::NotifySocket;

constexpr std::chrono::milliseconds kStartBound{30'000};
// WATCHDOG_USEC=1 s: a healthy loop pings every 250 ms.
constexpr char kWatchdogUsec[] = "1000000";

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// The first datagram containing `what` within `bound`; nullopt if none.
std::optional<std::string> AwaitMessage(NotifySocket& socket, absl::string_view what,
                                        std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    std::optional<std::string> m = socket.Receive(std::max(left, std::chrono::milliseconds(1)));
    if (m.has_value() && absl::StrContains(*m, what)) return m;
  }
  return std::nullopt;
}

// How many WATCHDOG=1 arrive within `window`.
int CountPings(NotifySocket& socket, std::chrono::milliseconds window) {
  int pings = 0;
  const auto deadline = std::chrono::steady_clock::now() + window;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return pings;
    std::optional<std::string> m = socket.Receive(left);
    if (m.has_value() && absl::StrContains(*m, "WATCHDOG=1")) ++pings;
  }
}

// The thread of `pid` named `name` (/proc/PID/task/TID/comm), or 0.
pid_t ThreadNamed(pid_t pid, absl::string_view name) {
  std::error_code ec;
  for (const fs::directory_entry& task :
       fs::directory_iterator(absl::StrCat("/proc/", pid, "/task"), ec)) {
    std::ifstream in(task.path() / "comm");
    std::string comm;
    std::getline(in, comm);
    int tid = 0;
    if (comm == name && absl::SimpleAtoi(task.path().filename().string(), &tid)) return tid;
  }
  return 0;
}

// Stops one thread (and only it) with ptrace until destroyed: the hang of
// one loop inside a running daemon.
class StoppedThread {
 public:
  explicit StoppedThread(pid_t tid) : tid_(tid) {
    if (ptrace(PTRACE_SEIZE, tid_, nullptr, nullptr) != 0) {
      ADD_FAILURE() << "PTRACE_SEIZE " << tid_ << ": " << std::strerror(errno);
      return;
    }
    seized_ = true;
    int status = 0;
    if (ptrace(PTRACE_INTERRUPT, tid_, nullptr, nullptr) != 0 ||
        waitpid(tid_, &status, __WALL) != tid_ || !WIFSTOPPED(status)) {
      ADD_FAILURE() << "thread " << tid_ << " did not stop";
    }
  }
  ~StoppedThread() {
    if (seized_) ptrace(PTRACE_DETACH, tid_, nullptr, nullptr);
  }
  StoppedThread(const StoppedThread&) = delete;
  StoppedThread& operator=(const StoppedThread&) = delete;

 private:
  pid_t tid_;
  bool seized_ = false;
};

// Runs `argv` as systemd would run a Type=notify unit with WatchdogSec=1s
// and checks the protocol, with `loop_thread` as the loop the watchdog
// hears from. Returns the READY message.
std::string CheckNotifyProtocol(const std::vector<std::string>& argv, const fs::path& dir,
                                absl::string_view loop_thread) {
  NotifySocket systemd((dir / "notify").string());
  std::map<std::string, std::string> env = {{"NOTIFY_SOCKET", systemd.address()},
                                            {"WATCHDOG_USEC", kWatchdogUsec}};
  absl::StatusOr<std::unique_ptr<ChildProcess>> daemon =
      ChildProcess::Start(argv, env, dir.string(), (dir / "daemon.log").string());
  if (!daemon.ok()) {
    ADD_FAILURE() << daemon.status();
    return "";
  }
  std::optional<std::string> ready = AwaitMessage(systemd, "READY=1", kStartBound);
  if (!ready.has_value()) {
    ADD_FAILURE() << "no READY=1 within " << kStartBound.count() << " ms; see " << dir;
    return "";
  }
  EXPECT_THAT(*ready, HasSubstr("STATUS="));
  EXPECT_GE(CountPings(systemd, std::chrono::milliseconds(2000)), 2)
      << "a healthy loop pings every quarter of WATCHDOG_USEC";

  const pid_t tid = ThreadNamed((*daemon)->pid(), loop_thread);
  if (tid == 0) {
    ADD_FAILURE() << "no thread named " << loop_thread << " in " << (*daemon)->pid();
    return *ready;
  }
  {
    StoppedThread hang(tid);
    // What the loop sent before it stopped is queued already (a unix
    // datagram is delivered by sendto); drain it.
    while (systemd.Receive(std::chrono::milliseconds(0)).has_value()) {
    }
    EXPECT_EQ(CountPings(systemd, std::chrono::milliseconds(3000)), 0)
        << "the " << loop_thread << " thread is stopped: no pings, so systemd restarts it";
    EXPECT_TRUE((*daemon)->Running()) << "the rest of the daemon runs on";
  }
  EXPECT_TRUE(AwaitMessage(systemd, "WATCHDOG=1", std::chrono::milliseconds(10'000)).has_value())
      << "released, the loop pings again";

  kill((*daemon)->pid(), SIGTERM);
  EXPECT_TRUE(AwaitMessage(systemd, "STOPPING=1", std::chrono::milliseconds(10'000)).has_value());
  absl::StatusOr<int> code = (*daemon)->Wait(std::chrono::milliseconds(20'000));
  EXPECT_TRUE(code.ok() && *code == 0)
      << (code.ok() ? absl::StrCat("exit ", *code) : code.status().ToString());
  return *ready;
}

TEST(SystemdNotifyTest, ControllerIsReadyWhenServingAndItsMaintenanceLoopFeedsTheWatchdog) {
  const std::string binary = Env("BAMCTL_CONTROLLER_BIN");
  ASSERT_FALSE(binary.empty()) << "run through ctest (BAMCTL_CONTROLLER_BIN)";
  const fs::path dir = testing::MakeTempDir("notify-controller");
  const std::string host = testing::ProcessLoopbackSubnet().ServerAddress();
  const std::string ready = CheckNotifyProtocol(
      {binary, "--insecure_plaintext", absl::StrCat("--listen=", host, ":7443"),
       "--metrics_listen=", absl::StrCat("--db=", (dir / "controller.db").string())},
      dir, "ctl-maintain");
  EXPECT_THAT(ready, HasSubstr("STATUS=serving"));
}

TEST(SystemdNotifyTest, AgentIsReadyAfterItsFirstPassAndItsLoopFeedsTheWatchdog) {
  const std::string binary = Env("BAMCTL_AGENTD_BIN");
  ASSERT_FALSE(binary.empty()) << "run through ctest (BAMCTL_AGENTD_BIN)";
  const fs::path dir = testing::MakeTempDir("notify-agent");
  const std::string host = testing::ProcessLoopbackSubnet().ServerAddress();
  // No controller answers: the agent must be ready (and watched) without one.
  const std::string ready = CheckNotifyProtocol(
      {binary, "--config=/dev/null", "--node=node1", "--insecure_plaintext",
       absl::StrCat("--controller=", host, ":7443"),
       "--metrics_listen=", absl::StrCat("--state_dir=", (dir / "state").string()),
       absl::StrCat("--root_dir=", (dir / "root").string()),
       absl::StrCat("--log_dir=", (dir / "log").string())},
      dir, "agent-loop");
  EXPECT_THAT(ready, HasSubstr("STATUS=no plan yet; controller not connected"));
}

}  // namespace
}  // namespace bamctl
