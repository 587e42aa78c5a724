// The whole agent (loop thread, reconciler, probe scheduler, executor) with
// every outside effect faked: a launcher that records, a clock moved by
// hand, files and state in memory, a controller link the test drives.
// Backoff waits pass by advancing the clock, not by sleeping.
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "agentd/agent/agent.h"
#include "agentd/testing/agent_fakes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "roles/driver/file_sources.h"
#include "tests/util/notify_socket.h"
#include "tests/util/seed_plans.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

using ::testing::HasSubstr;

class AgentUnitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.reconciler.node = "node3";
    options_.reconciler.root_dir = "/host";
    options_.reconciler.state_dir = "/state";
    options_.reconciler.log_dir = "/nonexistent-log-dir-of-agent-unit-test";
    options_.reconciler.fall_back_to_stock = true;
    options_.reconciler.restart.backoff_initial_ms = 5'000;
    options_.reconciler.restart.backoff_jitter = 0;
    options_.controller = "fake";
    agent_ = std::make_unique<Agent>(options_, MakeDeps());
    ASSERT_TRUE(agent_->Start().ok());
  }
  AgentDeps MakeDeps() {
    AgentDeps deps;
    deps.host.launcher = &launcher_;
    deps.host.clock = &clock_;
    deps.host.state = &state_;
    deps.host.fs = &fs_;
    deps.host.preflight = &preflight_;
    deps.host.secrets = &secrets_;
    deps.run_probe = [](const Probe&, std::chrono::milliseconds) {
      return ProbeResult{true, "ok", ""};
    };
    deps.connect = [this](ControllerLink::Callbacks callbacks) {
      auto link = std::make_unique<testing::FakeControllerLink>(std::move(callbacks));
      link_ = link.get();
      return std::unique_ptr<ControllerLink>(std::move(link));
    };
    deps.watch_exits = [this](std::function<void()> on_exit) {
      exited_ = std::move(on_exit);  // the test plays the pidfd watcher
      return std::unique_ptr<ExitWatcher>(std::make_unique<testing::NullExitWatcher>());
    };
    return deps;
  }
  void TearDown() override { agent_.reset(); }

  // Polls the agent's last report (1 ms apart, at most 10 s) until `done`.
  template <typename F>
  bool Eventually(F done) {
    for (int i = 0; i < 10'000; ++i) {
      if (done(link_->report())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ADD_FAILURE() << "last report: " << link_->report().DebugString();
    return false;
  }

  static const v1::RoleStatus* Find(const v1::NodeReport& r, const std::string& service) {
    for (const v1::RoleStatus& s : r.roles()) {
      if (s.service() == service) return &s;
    }
    return nullptr;
  }

  void DeliverSeedPlan() {
    v1::PlanUpdate update;
    update.set_version(3);
    update.set_plan_hash("h3");
    *update.mutable_plan() = testing::SeedNodePlan("node3");
    link_->DeliverPlan(update);
  }

  AgentOptions options_;
  testing::FakeLauncher launcher_;
  FakeClock clock_;
  testing::MemoryStateStore state_;
  testing::MemoryFilesystem fs_;
  testing::FakePreflight preflight_;
  FileSecretSource secrets_{"/nonexistent"};
  testing::FakeControllerLink* link_ = nullptr;
  std::function<void()> exited_;
  std::unique_ptr<Agent> agent_;
};

// systemd's notify protocol: READY only once the first pass has started
// what the held plan names, then the status as it changes, and watchdog
// pings from the loop as the clock passes.
TEST_F(AgentUnitTest, TellsSystemdItIsReadyAfterTheFirstPassStartedTheHeldPlan) {
  agent_.reset();
  state_.state.set_plan_version(3);
  state_.state.set_plan_hash("h3");
  *state_.state.mutable_plan() = testing::SeedNodePlan("node3");
  testing::NotifySocket systemd((testing::MakeTempDir("agent-notify") / "notify").string());
  SystemdNotifier notifier(systemd.address(), 2'000'000);
  AgentOptions options = options_;
  options.notifier = &notifier;
  agent_ = std::make_unique<Agent>(options, MakeDeps());
  ASSERT_TRUE(agent_->Start().ok());
  std::optional<std::string> ready = systemd.Receive(std::chrono::seconds(10));
  ASSERT_TRUE(ready.has_value());
  EXPECT_THAT(*ready, HasSubstr("READY=1\nSTATUS=plan v3: "));
  EXPECT_THAT(*ready, HasSubstr("; controller not connected"));
  EXPECT_GE(launcher_.Launches("bin/cassandra"), 1) << "ready before the held plan was started";
  std::optional<std::string> ping = systemd.Receive(std::chrono::seconds(10));
  EXPECT_EQ(ping, "WATCHDOG=1");
  // The loop wakes for the watchdog (a quarter of 2 s) even with nothing to do.
  int pings = 0;
  for (int i = 0; i < 4; ++i) {
    clock_.AdvanceMillis(500);
    for (std::optional<std::string> m = systemd.Receive(std::chrono::seconds(10)); m.has_value();
         m = systemd.Receive(std::chrono::milliseconds(50))) {
      pings += *m == "WATCHDOG=1" ? 1 : 0;
    }
  }
  EXPECT_GE(pings, 3);
  agent_.reset();
  std::optional<std::string> stopping;
  for (std::optional<std::string> m = systemd.Receive(std::chrono::seconds(10)); m.has_value();
       m = systemd.Receive(std::chrono::milliseconds(50))) {
    if (absl::StrContains(*m, "STOPPING=1")) stopping = m;
  }
  EXPECT_THAT(stopping, ::testing::Optional(HasSubstr("the roles keep running")));
}

TEST_F(AgentUnitTest, APlanFromTheControllerIsKeptThenRun) {
  DeliverSeedPlan();
  ASSERT_TRUE(Eventually([](const v1::NodeReport& r) {
    const v1::RoleStatus* zk = Find(r, "zookeeper");
    return r.applied_version() == 3 && zk != nullptr && zk->pid() > 0;
  }));
  EXPECT_EQ(launcher_.Launches("bin/cassandra"), 1);
  agent_.reset();
  EXPECT_EQ(state_.state.plan_version(), 3);  // persisted
  EXPECT_TRUE(fs_.Stat(options_.reconciler.root_dir +
                       testing::SeedNodePlan("node3").zookeeper().conf_dir() + "/zoo.cfg")
                  .has_value());
}

TEST_F(AgentUnitTest, AKilledRoleWaitsItsBackoffOnTheClockThenRestarts) {
  DeliverSeedPlan();
  ASSERT_TRUE(Eventually([](const v1::NodeReport& r) {
    const v1::RoleStatus* c = Find(r, "cassandra");
    return c != nullptr && c->pid() > 0 && c->health() == v1::HEALTH_HEALTHY;
  }));
  const pid_t first = launcher_.PidOf("bin/cassandra");
  launcher_.Kill(first, 137);
  exited_();
  ASSERT_TRUE(Eventually([](const v1::NodeReport& r) {
    const v1::RoleStatus* c = Find(r, "cassandra");
    return c != nullptr && c->phase() == v1::PHASE_BACKOFF;
  }));
  EXPECT_EQ(Find(link_->report(), "cassandra")->last_exit_code(), 137);
  EXPECT_EQ(launcher_.Launches("bin/cassandra"), 1);  // no real time makes it restart
  clock_.AdvanceMillis(5'000);
  ASSERT_TRUE(Eventually([first](const v1::NodeReport& r) {
    const v1::RoleStatus* c = Find(r, "cassandra");
    return c != nullptr && c->pid() > 0 && c->pid() != first && c->restarts() == 1;
  }));
}

TEST_F(AgentUnitTest, ARestartCommandIsAnsweredThroughTheLink) {
  DeliverSeedPlan();
  ASSERT_TRUE(Eventually([](const v1::NodeReport& r) {
    const v1::RoleStatus* zk = Find(r, "zookeeper");
    return zk != nullptr && zk->pid() > 0;
  }));
  v1::Command restart;
  restart.set_id("op1-step1-node3");
  restart.set_kind(v1::COMMAND_KIND_RESTART);
  restart.set_service("zookeeper");
  link_->DeliverCommand(restart);
  for (int i = 0; i < 10'000 && link_->results().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(link_->results().size(), 1u);
  EXPECT_TRUE(link_->results()[0].ok()) << link_->results()[0].message();
  EXPECT_THAT(link_->results()[0].message(), HasSubstr("restarted zookeeper"));
}

}  // namespace
}  // namespace bamctl
