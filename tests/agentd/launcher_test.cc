// The launcher against real processes (/bin/sh, sleep): start, adopt by
// pid + start time, watch through pidfd, stop the whole group.
#include "agentd/launcher/launcher.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;

class LauncherTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("launcher_test"); }
  void TearDown() override {
    for (const ProcessId& id : started_) kill(-id.pid, SIGKILL);
    for (const ProcessId& id : started_) launcher_.WaitForExit(id, seconds(5));
    fs::remove_all(dir_);
  }

  ProcessId Start(const std::string& script) {
    LaunchSpec spec;
    spec.argv = {"/bin/sh", "-c", script};
    spec.env = {{"PATH", "/usr/bin:/bin"}, {"ROLE", "test"}};
    spec.working_dir = dir_.string();
    spec.log_path = (dir_ / "role.log").string();
    absl::StatusOr<ProcessId> id = launcher_.Launch(spec);
    EXPECT_TRUE(id.ok()) << id.status();
    if (id.ok()) started_.push_back(*id);
    return id.ok() ? *id : ProcessId{};
  }

  std::string Log() {
    std::ifstream in(dir_ / "role.log");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // Polls for `text` in the log for up to 10 s.
  bool LogEventually(const std::string& text) {
    for (int i = 0; i < 500; ++i) {
      if (Log().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return false;
  }

  ProcessLauncher launcher_;
  fs::path dir_;
  std::vector<ProcessId> started_;
};

TEST_F(LauncherTest, RunsInItsOwnSessionWithEnvCwdAndLog) {
  ProcessId id = Start("echo role=$ROLE cwd=$(pwd) sid=$(ps -o sid= -p $$ | tr -d ' '); sleep 30");
  ASSERT_GT(id.pid, 0);
  EXPECT_TRUE(launcher_.IsAlive(id));
  ASSERT_TRUE(LogEventually("role=test"));
  EXPECT_THAT(Log(), HasSubstr("cwd=" + dir_.string()));
  EXPECT_THAT(Log(), HasSubstr("sid=" + std::to_string(id.pid)));  // session leader
}

TEST_F(LauncherTest, ExecFailuresAreReportedNotCounted) {
  LaunchSpec spec;
  spec.argv = {"/nonexistent/bin/role"};
  spec.log_path = (dir_ / "role.log").string();
  absl::StatusOr<ProcessId> id = launcher_.Launch(spec);
  EXPECT_EQ(id.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(id.status().message()), HasSubstr("exec for /nonexistent/bin/role"));

  spec.argv = {"/bin/true"};
  spec.working_dir = (dir_ / "missing").string();
  id = launcher_.Launch(spec);
  EXPECT_THAT(std::string(id.status().message()), HasSubstr("chdir"));

  spec.working_dir = "";
  spec.user = "no-such-user-here";
  id = launcher_.Launch(spec);
  EXPECT_THAT(std::string(id.status().message()),
              HasSubstr("\"no-such-user-here\" does not exist"));

  spec.argv = {"relative/path"};
  EXPECT_EQ(launcher_.Launch(spec).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(LauncherTest, AdoptionNeedsTheSameStartTime) {
  ProcessId id = Start("sleep 30");
  // A new launcher (a restarted agent) recognises it from the record alone.
  ProcessLauncher other;
  EXPECT_TRUE(other.IsAlive(id));
  // The same pid with another start time is some other process.
  EXPECT_FALSE(other.IsAlive(ProcessId{id.pid, id.start_ticks + 1}));
  EXPECT_EQ(ProcessStartTicks(id.pid), id.start_ticks);
}

TEST_F(LauncherTest, WaitForExitSeesTheExit) {
  ProcessId id = Start("sleep 0.2; exit 3");
  EXPECT_FALSE(launcher_.WaitForExit(id, milliseconds(10)));
  EXPECT_TRUE(launcher_.WaitForExit(id, seconds(10)));
  EXPECT_FALSE(launcher_.IsAlive(id));
}

TEST_F(LauncherTest, AParentDeathSignalEndsTheProcessWithItsLauncher) {
  LaunchSpec spec;
  spec.argv = {"/bin/sleep", "30"};
  spec.working_dir = dir_.string();
  spec.log_path = (dir_ / "role.log").string();
  spec.parent_death_signal = SIGKILL;
  absl::StatusOr<ProcessId> id;
  std::thread launching([&] { id = launcher_.Launch(spec); });  // ends at once
  launching.join();
  ASSERT_TRUE(id.ok()) << id.status();
  started_.push_back(*id);
  EXPECT_TRUE(launcher_.WaitForExit(*id, seconds(10)));
  EXPECT_EQ(launcher_.ExitCode(*id), 137);

  // Without it (every role), the process outlives the launching thread.
  ProcessId kept;
  std::thread keeping([&] { kept = Start("sleep 30"); });
  keeping.join();
  EXPECT_FALSE(launcher_.WaitForExit(kept, milliseconds(300)));
}

TEST_F(LauncherTest, TheExitCodeIsKnownWhicheverThreadSeesTheExitFirst) {
  // As in the agent: a watcher thread waits on the pidfd while the loop
  // polls IsAlive; whichever notices first, the code must not be lost
  // (a child killed by SIGKILL is 137, never "unknown").
  for (int i = 0; i < 40; ++i) {
    ProcessId id = Start(i % 2 == 0 ? "exit 7" : "kill -9 $$");
    std::thread watcher([&] { launcher_.WaitForExit(id, seconds(10)); });
    while (launcher_.IsAlive(id)) std::this_thread::yield();
    EXPECT_EQ(launcher_.ExitCode(id), i % 2 == 0 ? 7 : 137) << "run " << i;
    watcher.join();
  }
}

TEST_F(LauncherTest, KeptExitCodesAreBoundedAndTheOldestReapedGoesFirst) {
  // The first started (lowest pid) exits last: its code is the newest and
  // must outlive the bound; the first reaped of the others goes instead.
  ProcessId last = Start("exec sleep 30");
  std::vector<ProcessId> quick;
  quick.reserve(256);
  for (int i = 0; i < 256; ++i) quick.push_back(Start("exit 5"));
  for (const ProcessId& id : quick) ASSERT_TRUE(launcher_.WaitForExit(id, seconds(10)));
  kill(last.pid, SIGTERM);
  ASSERT_TRUE(launcher_.WaitForExit(last, seconds(10)));
  EXPECT_EQ(launcher_.ExitCode(last), 128 + SIGTERM);
  EXPECT_EQ(launcher_.ExitCode(quick.front()), std::nullopt);  // the one dropped
  EXPECT_EQ(launcher_.ExitCode(quick[1]), 5);
  EXPECT_EQ(launcher_.ExitCode(quick.back()), 5);
}

TEST_F(LauncherTest, AnAdoptedProcessHasNoExitCode) {
  ProcessId id = Start("sleep 0.1");
  ProcessLauncher other;  // a restarted agent: not its parent
  EXPECT_TRUE(other.WaitForExit(id, seconds(10)));
  EXPECT_EQ(other.ExitCode(id), std::nullopt);
  EXPECT_EQ(launcher_.ExitCode(id), 0);
}

TEST_F(LauncherTest, StopTermsThenKillsTheWholeGroup) {
  // The shell ignores SIGTERM and has a child (a second sleep) in its group.
  ProcessId id = Start("trap '' TERM; sleep 60 & echo child=$!; sleep 60; wait");
  ASSERT_TRUE(LogEventually("child="));
  pid_t child = 0;
  {
    std::string log = Log();
    child = std::stoi(log.substr(log.find("child=") + 6));
  }
  ASSERT_EQ(kill(child, 0), 0);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(launcher_.Stop(id, {}, milliseconds(300)).ok());
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(300));  // waited the grace
  EXPECT_FALSE(launcher_.IsAlive(id));
  // The grandchild went with the group (it may linger as a zombie of init
  // for a moment, so poll).
  bool gone = false;
  for (int i = 0; i < 250 && !gone; ++i) {
    std::optional<uint64_t> ticks = ProcessStartTicks(child);
    std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
    std::string s;
    std::getline(stat, s);
    gone = !ticks || s.find(") Z") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(gone);
}

TEST_F(LauncherTest, GracefulStopNeedsNoKill) {
  ProcessId id = Start("trap 'echo bye; exit 0' TERM; while true; do sleep 0.05; done");
  std::this_thread::sleep_for(milliseconds(100));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(launcher_.Stop(id, {}, seconds(10)).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));
  EXPECT_TRUE(LogEventually("bye"));
}

TEST_F(LauncherTest, StopCommandIsUsedWhenGiven) {
  const std::string marker = (dir_ / "stopped").string();
  ProcessId id = Start("trap 'exit 0' TERM; while [ ! -e " + marker +
                       " ]; do sleep 0.05; done; echo saw-marker");
  ASSERT_TRUE(launcher_.Stop(id, {"/usr/bin/touch", marker}, seconds(10)).ok());
  EXPECT_TRUE(LogEventually("saw-marker"));
}

TEST_F(LauncherTest, RunsAsTheRoleUserWhenRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  LaunchSpec spec;
  spec.argv = {"/usr/bin/id", "-u"};
  spec.user = "nobody";
  spec.log_path = (dir_ / "id.log").string();
  absl::StatusOr<ProcessId> id = launcher_.Launch(spec);
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(launcher_.WaitForExit(*id, seconds(10)));
  std::ifstream in(dir_ / "id.log");
  std::string uid;
  in >> uid;
  EXPECT_EQ(uid, "65534");
}

TEST_F(LauncherTest, LogRotationKeepsTheWriterWriting) {
  const std::string log = (dir_ / "role.log").string();
  std::ofstream(log) << std::string(5000, 'a') << "\n";
  ASSERT_TRUE(RotateLogIfNeeded(log, 1000, 3).ok());
  EXPECT_EQ(fs::file_size(log), 0u);
  EXPECT_EQ(fs::file_size(log + ".1"), 5001u);
  std::ofstream(log) << std::string(2000, 'b') << "\n";
  ASSERT_TRUE(RotateLogIfNeeded(log, 1000, 3).ok());
  EXPECT_EQ(fs::file_size(log + ".2"), 5001u);
  EXPECT_EQ(fs::file_size(log + ".1"), 2001u);
  // Under the limit: untouched.
  std::ofstream(log) << "small\n";
  ASSERT_TRUE(RotateLogIfNeeded(log, 1000, 3).ok());
  EXPECT_EQ(fs::file_size(log), 6u);
  // A live O_APPEND writer keeps going after a rotation.
  ProcessId id = Start("i=0; while [ $i -lt 400 ]; do echo line-$i; i=$((i+1)); sleep 0.005; done");
  std::this_thread::sleep_for(milliseconds(300));
  ASSERT_TRUE(RotateLogIfNeeded(log, 10, 3).ok());
  ASSERT_TRUE(launcher_.WaitForExit(id, seconds(20)));
  EXPECT_THAT(Log(), HasSubstr("line-399"));
  EXPECT_LT(fs::file_size(log), 20000u);
}

}  // namespace
}  // namespace bamctl

namespace bamctl {
namespace {

TEST_F(LauncherTest, AStopCommandRunsAsTheRolesUserNotRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  fs::create_directories(dir_ / "out");
  fs::permissions(dir_ / "out", fs::perms::all);
  LaunchSpec spec;
  spec.argv = {"/bin/sleep", "30"};
  spec.user = "nobody";
  spec.working_dir = "/";
  spec.log_path = (dir_ / "role.log").string();
  absl::StatusOr<ProcessId> id = launcher_.Launch(spec);
  ASSERT_TRUE(id.ok()) << id.status();
  started_.push_back(*id);
  const std::string out = (dir_ / "out/stopper.uid").string();
  ASSERT_TRUE(launcher_.Stop(*id, {"/bin/sh", "-c", "id -u > " + out}, milliseconds(500)).ok());
  std::ifstream in(out);
  std::string uid;
  in >> uid;
  EXPECT_EQ(uid, "65534");
}

}  // namespace
}  // namespace bamctl
