#include "common/sd_notify.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/notify_socket.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

using ::testing::HasSubstr;
using testing::NotifySocket;
using ::testing::Optional;

constexpr std::chrono::milliseconds kWait{2000};
constexpr std::chrono::milliseconds kNothing{100};

std::string SocketPath() { return (testing::MakeTempDir("sd-notify") / "notify").string(); }

TEST(SystemdNotifierTest, ReadySendsReadyAndStatusOnceThenOnlyChangedStatus) {
  NotifySocket systemd(SocketPath());
  SystemdNotifier n(systemd.address(), 0);
  ASSERT_TRUE(n.enabled());
  n.Ready("serving; plan v3");
  EXPECT_THAT(systemd.Receive(kWait), Optional(std::string("READY=1\nSTATUS=serving; plan v3")));
  n.Ready("serving; plan v3");
  n.Status("serving; plan v3");
  EXPECT_EQ(systemd.Receive(kNothing), std::nullopt) << "an unchanged status is not resent";
  n.Status("serving; plan v4");
  EXPECT_THAT(systemd.Receive(kWait), Optional(std::string("STATUS=serving; plan v4")));
  n.Stopping("stopping; roles keep running");
  EXPECT_THAT(systemd.Receive(kWait),
              Optional(std::string("STOPPING=1\nSTATUS=stopping; roles keep running")));
}

TEST(SystemdNotifierTest, TheAbstractNamespaceWorks) {
  NotifySocket systemd(absl::StrCat("@bamctl-sd-notify-test-", getpid()));
  SystemdNotifier n(systemd.address(), 0);
  ASSERT_TRUE(n.Notify("READY=1").ok());
  EXPECT_THAT(systemd.Receive(kWait), Optional(std::string("READY=1")));
}

TEST(SystemdNotifierTest, PingsAtMostEveryQuarterOfTheWatchdogInterval) {
  NotifySocket systemd(SocketPath());
  SystemdNotifier n(systemd.address(), 2'000'000);  // WATCHDOG_USEC: 2 s
  EXPECT_EQ(n.watchdog_ms(), 2000);
  EXPECT_EQ(n.PingIntervalMs(), 500);
  n.Ping(10'000);
  EXPECT_THAT(systemd.Receive(kWait), Optional(std::string("WATCHDOG=1")));
  n.Ping(10'100);
  n.Ping(10'499);
  EXPECT_EQ(systemd.Receive(kNothing), std::nullopt);
  n.Ping(10'500);
  EXPECT_THAT(systemd.Receive(kWait), Optional(std::string("WATCHDOG=1")));
}

TEST(SystemdNotifierTest, WithoutAWatchdogNoPingAndLoopsSleepAsLongAsTheyLike) {
  NotifySocket systemd(SocketPath());
  SystemdNotifier n(systemd.address(), 0);
  n.Ping(10'000);
  EXPECT_EQ(systemd.Receive(kNothing), std::nullopt);
  EXPECT_GT(n.PingIntervalMs(), 86'400'000);
}

TEST(SystemdNotifierTest, WithoutASocketEverythingIsANoOp) {
  SystemdNotifier n;
  EXPECT_FALSE(n.enabled());
  EXPECT_TRUE(n.Notify("READY=1").ok());
  n.Ready("x");
  n.Ping(1);
}

TEST(SystemdNotifierTest, ABadSocketAddressIsNamed) {
  SystemdNotifier relative("run/notify", 0);
  absl::Status s = relative.Notify("READY=1");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("NOTIFY_SOCKET=\"run/notify\""));
  SystemdNotifier gone("/nonexistent-dir/notify", 0);
  s = gone.Notify("READY=1");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("/nonexistent-dir/notify"));
}

TEST(SystemdNotifierTest, FromEnvironmentTakesTheSettingsAndUnsetsThem) {
  NotifySocket systemd(SocketPath());
  setenv("NOTIFY_SOCKET", systemd.address().c_str(), 1);
  setenv("WATCHDOG_USEC", "3000000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  SystemdNotifier n = SystemdNotifier::FromEnvironment();
  EXPECT_TRUE(n.enabled());
  EXPECT_EQ(n.watchdog_ms(), 3000);
  EXPECT_EQ(std::getenv("NOTIFY_SOCKET"), nullptr) << "children (roles) must not inherit it";
  EXPECT_EQ(std::getenv("WATCHDOG_USEC"), nullptr);
  EXPECT_EQ(std::getenv("WATCHDOG_PID"), nullptr);
  n.Ping(0);
  EXPECT_THAT(systemd.Receive(kWait), Optional(std::string("WATCHDOG=1")));
}

TEST(SystemdNotifierTest, AWatchdogForAnotherProcessIsNotOurs) {
  setenv("NOTIFY_SOCKET", "/run/x", 1);
  setenv("WATCHDOG_USEC", "3000000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);
  EXPECT_EQ(SystemdNotifier::FromEnvironment().watchdog_ms(), 0);
  setenv("WATCHDOG_USEC", "soon", 1);
  unsetenv("WATCHDOG_PID");
  EXPECT_EQ(SystemdNotifier::FromEnvironment().watchdog_ms(), 0);
}

}  // namespace
}  // namespace bamctl
