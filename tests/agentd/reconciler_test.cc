// The reconcile loop against fakes: a launcher that only records, a clock
// moved by hand, probe samples set by the test, and a temp dir as the
// host's root. Each test is one behaviour of issue 5's list.
#include "agentd/reconciler/reconciler.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agentd/reconciler/launch_spec.h"
#include "agentd/testing/agent_fakes.h"
#include "common/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "roles/driver/file_sources.h"
#include "tests/util/seed_plans.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::ElementsAre;
using testing::FakeHealth;
using testing::FakeLauncher;
using testing::FakePreflight;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class ReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::MakeTempDir("reconciler").string();
    options_.node = "node3";
    options_.root_dir = root_ + "/host";
    options_.state_dir = root_ + "/state";
    options_.log_dir = root_ + "/logs";
    options_.hosts_file = root_ + "/host/etc/hosts";
    options_.fall_back_to_stock = true;   // no product installs under the root
    options_.restart.backoff_jitter = 0;  // exact delays to assert on
    secrets_ = std::make_unique<FileSecretSource>(options_.root_dir);
    Restart();
  }

  // A new Reconciler on the same state dir and launcher: an agent restart.
  void Restart() {
    state_ = std::make_unique<StateFile>(options_.state_dir + "/agent.state");
    ReconcilerDeps deps;
    deps.launcher = &launcher_;
    deps.clock = &clock_;
    deps.health = &health_;
    deps.executor = &executor_;
    deps.preflight = &preflight_;
    deps.secrets = secrets_.get();
    deps.state = state_.get();
    deps.fs = &fs_;
    r_ = std::make_unique<Reconciler>(options_, std::move(deps), nullptr);
    r_->Start();
  }

  // Offers `plan` as the controller sends it: with the seed's host list
  // beside it when the plan manages the hosts file.
  void Offer(const v1::NodePlan& plan, int64_t version, int64_t epoch = 0) {
    v1::PlanUpdate update;
    update.set_epoch(epoch);
    update.set_version(version);
    update.set_plan_hash(absl::StrCat("hash-", epoch, "-", version));
    *update.mutable_plan() = plan;
    if (plan.manage_hosts_file()) *update.mutable_hosts() = testing::SeedHosts();
    ASSERT_TRUE(r_->OfferPlan(update).accepted);
  }

  v1::RoleStatus Role(const std::string& name) {
    const v1::NodeReport report = r_->Report();
    for (const v1::RoleStatus& r : report.roles()) {
      if (r.service() == name) return r;
    }
    ADD_FAILURE() << "no role " << name;
    return {};
  }

  std::string Read(const std::string& host_path) {
    absl::StatusOr<std::optional<std::string>> text =
        ReadFileIfExists(options_.root_dir + host_path);
    return text.ok() && text->has_value() ? **text : "";
  }

  std::string ZooCfgPath() {
    const v1::NodePlan plan = testing::SeedNodePlan("node3");
    return plan.zookeeper().conf_dir() + "/zoo.cfg";
  }

  // Cassandra, killed just now, starts again when the initial backoff has
  // passed on the monotonic clock, not a millisecond sooner.
  void ExpectRestartExactlyAfterTheInitialBackoff() {
    clock_.AdvanceMillis(options_.restart.backoff_initial_ms - 1);
    r_->Pass();
    EXPECT_EQ(launcher_.Launches("bin/cassandra"), 1);
    clock_.AdvanceMillis(1);
    r_->Pass();
    EXPECT_EQ(launcher_.Launches("bin/cassandra"), 2);
  }

  // ZooKeeper of node3 healthy from now on.
  void ZooKeeperHealthy() { health_.Set("svc:zookeeper", true, clock_.MonotonicMillis()); }

  std::string root_;
  ReconcilerOptions options_;
  FakeLauncher launcher_;
  FakeClock clock_;
  FakeHealth health_;
  InlineExecutor executor_;
  FakePreflight preflight_;
  std::unique_ptr<FileSecretSource> secrets_;
  std::unique_ptr<StateFile> state_;
  RealHostFilesystem fs_;
  std::unique_ptr<Reconciler> r_;
};

TEST_F(ReconcilerTest, NoPlanMeansNothingRuns) {
  r_->Pass();
  EXPECT_THAT(launcher_.launches, IsEmpty());
  EXPECT_EQ(r_->Report().applied_version(), 0);
}

TEST_F(ReconcilerTest, FirstPassWritesFilesStartsWhatCanRunAndWaitsForTheRest) {
  Offer(testing::SeedNodePlan("node3"), 1);
  r_->Pass();
  EXPECT_THAT(Read(ZooCfgPath()), HasSubstr("server.3="));
  EXPECT_EQ(launcher_.Launches("zkServer.sh") + launcher_.Launches("java"), 1)
      << launcher_.launches[0].argv[0];
  EXPECT_EQ(launcher_.Launches("bin/cassandra"), 1);
  EXPECT_EQ(launcher_.Launches("bin/hadoop"), 0);  // datanode, tasktracker wait

  v1::RoleStatus datanode = Role("datanode");
  EXPECT_EQ(datanode.phase(), v1::PHASE_WAITING);
  EXPECT_THAT(datanode.reason(), HasSubstr("waiting for: namenode (0 of 1 needed up)"));
  EXPECT_THAT(Role("tasktracker").reason(), HasSubstr("jobtracker"));
  EXPECT_EQ(Role("zookeeper").phase(), v1::PHASE_STARTING);
  // The host entries block (the seed manages the hosts file).
  EXPECT_THAT(Read("/etc/hosts"), HasSubstr("\tnode1"));
  // Processes carry the marker a stateless agent finds them by.
  const pid_t zk = launcher_.PidOf("bin/java");
  ASSERT_NE(zk, 0);
  EXPECT_EQ(launcher_.procs[zk].spec.env.at("BAMCTL_SERVICE"),
            "node3/zookeeper@" + options_.state_dir);
}

TEST_F(ReconcilerTest, DependentStartsOnceItsDependencyIsUp) {
  Offer(testing::SeedNodePlan("node3"), 1);
  r_->Pass();
  ASSERT_EQ(launcher_.Launches("bin/hadoop", "datanode"), 0);
  ASSERT_TRUE(health_.targets.count("dep:namenode"));
  EXPECT_EQ(health_.targets["dep:namenode"][0].port, 9000u);
  health_.Set("dep:namenode", true, clock_.MonotonicMillis());
  r_->Pass();
  EXPECT_EQ(launcher_.Launches("bin/hadoop", "datanode"), 1);
  EXPECT_EQ(launcher_.Launches("bin/hadoop", "tasktracker"), 0);
}

TEST_F(ReconcilerTest, HealthComesFromProbesTakenAfterTheStart) {
  Offer(testing::SeedNodePlan("node3"), 1);
  health_.Set("svc:zookeeper", true, clock_.MonotonicMillis() - 1);  // before the start: stale
  r_->Pass();
  health_.Set("svc:zookeeper", true, clock_.MonotonicMillis() - 1);
  r_->Pass();
  EXPECT_EQ(Role("zookeeper").phase(), v1::PHASE_STARTING);
  clock_.AdvanceMillis(100);
  ZooKeeperHealthy();
  r_->Pass();
  EXPECT_EQ(Role("zookeeper").phase(), v1::PHASE_RUNNING);
  EXPECT_EQ(Role("zookeeper").health(), v1::HEALTH_HEALTHY);
  health_.Set("svc:zookeeper", false, clock_.MonotonicMillis());
  r_->Pass();
  EXPECT_EQ(Role("zookeeper").phase(), v1::PHASE_RUNNING);
  EXPECT_EQ(Role("zookeeper").health(), v1::HEALTH_UNHEALTHY);
  EXPECT_THAT(Role("zookeeper").reason(), HasSubstr("refused"));
}

TEST_F(ReconcilerTest, ExitIsRestartedAfterTheBackoff) {
  Offer(testing::SeedNodePlan("node3"), 1);
  r_->Pass();
  const pid_t first = launcher_.PidOf("bin/cassandra");
  ASSERT_NE(first, 0);
  clock_.AdvanceMillis(60'000);  // a stable run: the first retry waits the initial backoff
  launcher_.Kill(first, 137);
  r_->Pass();
  v1::RoleStatus c = Role("cassandra");
  EXPECT_EQ(c.phase(), v1::PHASE_BACKOFF);
  EXPECT_EQ(c.last_exit_code(), 137);
  EXPECT_THAT(c.reason(), HasSubstr("exited with code 137"));
  EXPECT_EQ(launcher_.Launches("bin/cassandra"), 1);
  ExpectRestartExactlyAfterTheInitialBackoff();
  EXPECT_EQ(Role("cassandra").restarts(), 1u);
  EXPECT_NE(Role("cassandra").pid(), first);
}

TEST_F(ReconcilerTest, AWallClockStepNeitherShortensNorStretchesTheBackoff) {
  Offer(testing::SeedNodePlan("node3"), 1);
  r_->Pass();
  clock_.AdvanceMillis(60'000);
  launcher_.Kill(launcher_.PidOf("bin/cassandra"), 137);
  r_->Pass();
  ASSERT_EQ(Role("cassandra").phase(), v1::PHASE_BACKOFF);
  clock_.SetMillis(clock_.NowMillis() + 3'600'000);  // ntpdate jumps an hour ahead
  r_->Pass();
  EXPECT_EQ(launcher_.Launches("bin/cassandra"), 1);
  clock_.SetMillis(0);  // ... or back to 1970
  ExpectRestartExactlyAfterTheInitialBackoff();
}

TEST_F(ReconcilerTest, QuickFailuresDoubleTheBackoffIntoACrashLoop) {
  Offer(testing::SeedNodePlan("node3"), 1);
  r_->Pass();
  std::vector<int64_t> delays;
  for (int i = 0; i < options_.restart.crash_loop_after; ++i) {
    launcher_.Kill(launcher_.PidOf("bin/cassandra"), 1);
    const int64_t died = clock_.MonotonicMillis();
    r_->Pass();
    // Step the clock until the restart happens.
    const int before = launcher_.Launches("bin/cassandra");
    while (launcher_.Launches("bin/cassandra") == before) {
      clock_.AdvanceMillis(50);
      r_->Pass();
      ASSERT_LT(clock_.MonotonicMillis() - died, 120'000) << "never restarted";
    }
    delays.push_back(clock_.MonotonicMillis() - died);
  }
  for (size_t i = 1; i < delays.size(); ++i) {
    EXPECT_GE(delays[i], delays[i - 1] * 2 - 50) << i;
  }
  launcher_.Kill(launcher_.PidOf("bin/cassandra"), 1);
  r_->Pass();
  v1::RoleStatus c = Role("cassandra");
  EXPECT_EQ(c.phase(), v1::PHASE_CRASH_LOOP);
  EXPECT_THAT(c.reason(), HasSubstr("quick failures in a row"));
  EXPECT_EQ(c.health(), v1::HEALTH_UNHEALTHY);
  // Other roles are not affected.
  EXPECT_EQ(launcher_.Launches("zkServer.sh") + launcher_.Launches("java"), 1);
}

TEST_F(ReconcilerTest, AStableRunResetsTheBackoff) {
  options_.restart.crash_loop_after = 3;
  Restart();
  Offer(testing::SeedNodePlan("node3"), 1);
  r_->Pass();
  for (int i = 0; i < 3; ++i) {
    launcher_.Kill(launcher_.PidOf("bin/cassandra"), 1);
    r_->Pass();
    clock_.AdvanceMillis(options_.restart.backoff_max_ms);
    r_->Pass();
  }
  health_.Set("svc:cassandra", true, clock_.MonotonicMillis());
  r_->Pass();
  clock_.AdvanceMillis(options_.restart.quick_exit_ms);
  health_.Set("svc:cassandra", true, clock_.MonotonicMillis());
  r_->Pass();
  launcher_.Kill(launcher_.PidOf("bin/cassandra"), 1);
  r_->Pass();
  EXPECT_EQ(Role("cassandra").phase(), v1::PHASE_BACKOFF);
  clock_.AdvanceMillis(options_.restart.backoff_initial_ms);
  r_->Pass();
  EXPECT_EQ(Role("cassandra").phase(), v1::PHASE_STARTING);
}

TEST_F(ReconcilerTest, AConfigChangeMarksRunningRolesPendingAndStartsOthersWithNewFiles) {
  Offer(testing::SeedNodePlan("node3"), 1);
  r_->Pass();
  ZooKeeperHealthy();
  r_->Pass();
  const pid_t zk = Role("zookeeper").pid();
  const std::string old_hash = Role("zookeeper").config_hash();

  Offer(testing::SeedNodePlan("node3", "tick_time_ms: 2000", "tick_time_ms: 3000"), 2);
  r_->Pass();
  EXPECT_THAT(Read(ZooCfgPath()), HasSubstr("tickTime=3000"));
  v1::RoleStatus role = Role("zookeeper");
  EXPECT_EQ(role.pid(), zk);  // not restarted by the agent
  EXPECT_TRUE(role.restart_pending());
  EXPECT_EQ(role.config_hash(), old_hash);
  EXPECT_NE(role.desired_config_hash(), old_hash);
  EXPECT_THAT(role.reason(), HasSubstr("restart pending"));
  EXPECT_THAT(launcher_.stops, IsEmpty());
  EXPECT_EQ(r_->Report().applied_version(), 2);
}

// The block the agent wrote when every NodePlan carried the host list
// (before issue 12): the host list beside the plan must give the same.
constexpr absl::string_view kSeedHostsBlock =
    "# BEGIN bamctl cluster bam-seed (managed by bam-agentd; edits here are overwritten)\n"
    "192.168.4.100\tnode1\n"
    "192.168.4.101\tnode2\n"
    "192.168.4.102\tnode3\n"
    "192.168.4.103\tnode4\n"
    "192.168.4.104\tnode5\n"
    "# END bamctl cluster bam-seed\n";

TEST_F(ReconcilerTest, HostsBlockFromTheVersionsHostListIsTheSeedsBlock) {
  Offer(testing::SeedNodePlan("node3"), 1);
  r_->Pass();
  EXPECT_EQ(Read("/etc/hosts"), kSeedHostsBlock);
}

// A controller from before issue 12 sends the host list inside the plan; an
// agent from before it saved such a plan in its state file. Both still give
// the same block.
TEST_F(ReconcilerTest, LegacyHostListInsideThePlanStillWritesTheBlock) {
  v1::NodePlan legacy = testing::SeedNodePlan("node3");
  *legacy.mutable_hosts() = testing::SeedHosts().entries();
  v1::PlanUpdate update;
  update.set_version(1);
  update.set_plan_hash("legacy");
  *update.mutable_plan() = legacy;
  ASSERT_TRUE(r_->OfferPlan(update).accepted);
  r_->Pass();
  EXPECT_EQ(Read("/etc/hosts"), kSeedHostsBlock);

  // An old agent's state file: the plan with hosts inside, no HostList.
  v1::AgentState old_state;
  old_state.set_plan_version(1);
  old_state.set_plan_hash("legacy");
  *old_state.mutable_plan() = legacy;
  ASSERT_TRUE(state_->Save(old_state).ok());
  fs::remove(options_.root_dir + "/etc/hosts");
  Restart();
  r_->Pass();
  EXPECT_EQ(Read("/etc/hosts"), kSeedHostsBlock);
}

TEST_F(ReconcilerTest, RolesTheSpecLetsRestartOnChangeAreRestartedByTheAgent) {
  Offer(testing::SeedNodePlan("node3", "manage_hosts_file: true",
                              "manage_hosts_file: true\nrestart_on_config_change: [datanode]"),
        1);
  health_.Set("dep:namenode", true, clock_.MonotonicMillis());
  r_->Pass();
  health_.Set("dep:namenode", true, clock_.MonotonicMillis());
  r_->Pass();
  const pid_t datanode = launcher_.PidOf("bin/hadoop", "datanode");
  const pid_t cassandra = launcher_.PidOf("bin/cassandra");
  ASSERT_NE(datanode, 0);
  Offer(testing::SeedNodePlanEdited(
            "node3", {{"manage_hosts_file: true",
                       "manage_hosts_file: true\nrestart_on_config_change: [datanode]"},
                      {"tmp_dir: /tmp/hadoop", "tmp_dir: /tmp/hadoop-new"}}),
        2);
  r_->Pass();  // stops the datanode
  r_->Pass();  // starts it with the new files
  EXPECT_THAT(launcher_.stops, Contains(datanode));
  EXPECT_NE(launcher_.PidOf("bin/hadoop", "datanode"), datanode);
  EXPECT_FALSE(Role("datanode").restart_pending());
  EXPECT_EQ(launcher_.PidOf("bin/cassandra"), cassandra);  // unchanged, untouched
}

TEST_F(ReconcilerTest, AHandEditedFileIsRestoredAndReported) {
  Offer(testing::SeedNodePlan("node3"), 1);
  r_->Pass();
  const std::string want = Read(ZooCfgPath());
  ASSERT_FALSE(want.empty());
  {
    std::ofstream out(options_.root_dir + ZooCfgPath(), std::ios::app);
    out << "maxClientCnxns=1\n";
  }
  r_->Pass();
  EXPECT_EQ(Read(ZooCfgPath()), want);
  EXPECT_THAT(r_->Report().notices(),
              Contains(HasSubstr(absl::StrCat("restored ", options_.root_dir, ZooCfgPath(),
                                              ": it was edited by hand"))));
}

TEST_F(ReconcilerTest, ARestartedAgentAdoptsInsteadOfStartingASecondCopy) {
  Offer(testing::SeedNodePlan("node3"), 1);
  r_->Pass();
  const pid_t zk = launcher_.PidOf("zkServer.sh") + launcher_.PidOf("java");
  const size_t launches = launcher_.launches.size();
  Restart();
  EXPECT_EQ(r_->Report().applied_version(), 1);  // the plan came from the state file
  r_->Pass();
  EXPECT_EQ(launcher_.launches.size(), launches);
  EXPECT_EQ(Role("zookeeper").pid(), zk);
  EXPECT_FALSE(Role("zookeeper").restart_pending());
}

TEST_F(ReconcilerTest, ADamagedStateFileIsReportedAndRunningRolesAreFoundByMarker) {
  Offer(testing::SeedNodePlan("node3"), 1);
  r_->Pass();
  const pid_t cassandra = launcher_.PidOf("bin/cassandra");
  const size_t launches = launcher_.launches.size();
  {
    std::ofstream out(options_.state_dir + "/agent.state", std::ios::trunc);
    out << "garbage";
  }
  Restart();
  EXPECT_THAT(r_->Report().notices(), Contains(HasSubstr("was unusable")));
  EXPECT_EQ(r_->Report().applied_version(), 0);
  Offer(testing::SeedNodePlan("node3"), 1);  // the controller resends it
  r_->Pass();
  EXPECT_EQ(launcher_.launches.size(), launches);
  EXPECT_EQ(Role("cassandra").pid(), cassandra);
  // Its files are unknown, so the restart engine is told.
  EXPECT_TRUE(Role("cassandra").restart_pending());
  EXPECT_THAT(Role("cassandra").reason(), HasSubstr("adopted without a record"));
}

TEST_F(ReconcilerTest, PlansForAnotherNodeOrOlderVersionsAreRefused) {
  Offer(testing::SeedNodePlan("node3"), 5);
  v1::PlanUpdate other;
  other.set_version(6);
  *other.mutable_plan() = testing::SeedNodePlan("node4");
  PlanVerdict v = r_->OfferPlan(other);
  EXPECT_FALSE(v.accepted);
  EXPECT_THAT(v.reason, HasSubstr("for node \"node4\", this agent is node \"node3\""));
  v1::PlanUpdate old;
  old.set_version(4);
  *old.mutable_plan() = testing::SeedNodePlan("node3");
  v = r_->OfferPlan(old);
  EXPECT_FALSE(v.accepted);
  EXPECT_THAT(v.reason, HasSubstr("older than the v5"));
  EXPECT_EQ(r_->Report().applied_version(), 5);
  EXPECT_THAT(r_->Report().notices(), Contains(HasSubstr("refused plan v4")));
}

// A controller restored from an older backup, or on a fresh database, takes
// the cluster back in a new epoch: its lower version numbers win then.
TEST_F(ReconcilerTest, PlansAreOrderedByEpochThenVersion) {
  Offer(testing::SeedNodePlan("node3"), 7, 1);
  v1::PlanUpdate stale;
  stale.set_epoch(1);
  stale.set_version(6);
  *stale.mutable_plan() = testing::SeedNodePlan("node3");
  PlanVerdict v = r_->OfferPlan(stale);
  EXPECT_FALSE(v.accepted);
  EXPECT_THAT(v.reason, HasSubstr("refused plan v6 (epoch 1): older than the v7 (epoch 1)"));

  v1::PlanUpdate taken_back;
  taken_back.set_epoch(2);
  taken_back.set_version(1);
  taken_back.set_plan_hash("hash-2-1");
  *taken_back.mutable_plan() =
      testing::SeedNodePlan("node3", "tick_time_ms: 2000", "tick_time_ms: 3000");
  v = r_->OfferPlan(taken_back);
  EXPECT_TRUE(v.accepted);
  EXPECT_TRUE(v.changed);
  r_->Pass();
  EXPECT_THAT(Read(ZooCfgPath()), HasSubstr("tickTime=3000"));
  EXPECT_EQ(r_->Report().applied_epoch(), 2);
  EXPECT_EQ(r_->Report().applied_version(), 1);

  // The old epoch is refused now, whatever its version; across a restart.
  Restart();
  EXPECT_EQ(r_->Report().applied_epoch(), 2);
  EXPECT_EQ(r_->Report().applied_version(), 1);
  stale.set_version(9);
  v = r_->OfferPlan(stale);
  EXPECT_FALSE(v.accepted);
  EXPECT_THAT(v.reason,
              HasSubstr("refused plan v9 (epoch 1): from an older controller epoch than the v1 "
                        "(epoch 2) this agent holds"));
  EXPECT_EQ(r_->Report().applied_version(), 1);
}

// A plan from a controller of epoch 1 replaces one a controller without
// epochs (0) sent, even with a lower version.
TEST_F(ReconcilerTest, APlanWithoutEpochIsOlderThanAnyEpoch) {
  Offer(testing::SeedNodePlan("node3"), 7);
  Offer(testing::SeedNodePlan("node3"), 1, 1);
  EXPECT_EQ(r_->Report().applied_epoch(), 1);
  EXPECT_EQ(r_->Report().applied_version(), 1);
}

TEST_F(ReconcilerTest, APlanForAnotherClusterIsRefusedWholeAndNothingApplied) {
  const v1::NodePlan ours = testing::SeedNodePlan("node3");
  ASSERT_FALSE(ours.cluster_name().empty());
  Offer(ours, 3, 1);
  r_->Pass();
  const std::string zoo_cfg = Read(ZooCfgPath());
  const size_t launches = launcher_.launches.size();

  v1::PlanUpdate foreign;
  foreign.set_epoch(9);  // newer in every way but the name
  foreign.set_version(40);
  foreign.set_plan_hash("foreign");
  *foreign.mutable_plan() =
      testing::SeedNodePlan("node3", "tick_time_ms: 2000", "tick_time_ms: 3000");
  foreign.mutable_plan()->set_cluster_name("other-cluster");
  PlanVerdict v = r_->OfferPlan(foreign);
  EXPECT_FALSE(v.accepted);
  EXPECT_THAT(v.reason, HasSubstr(absl::StrCat("it is for cluster \"other-cluster\", this agent "
                                               "belongs to \"",
                                               ours.cluster_name(), "\"")));
  r_->Pass();
  EXPECT_EQ(Read(ZooCfgPath()), zoo_cfg);
  EXPECT_EQ(launcher_.launches.size(), launches);
  EXPECT_EQ(r_->Report().applied_epoch(), 1);
  EXPECT_EQ(r_->Report().applied_version(), 3);
  EXPECT_EQ(r_->Report().applied_plan_hash(), "hash-1-3");
  EXPECT_THAT(r_->Report().notices(), Contains(HasSubstr("for cluster \"other-cluster\"")));

  // The pin is kept in the state file: a restarted agent refuses it too.
  Restart();
  EXPECT_FALSE(r_->OfferPlan(foreign).accepted);
  EXPECT_EQ(r_->Report().applied_version(), 3);
}

// A state file from before the pin has no cluster_name: the cluster of the
// plan it holds is the pin.
TEST_F(ReconcilerTest, AStateFileFromBeforeThePinPinsTheClusterOfItsPlan) {
  v1::AgentState old;
  old.set_plan_version(4);
  old.set_plan_hash("hash-0-4");
  *old.mutable_plan() = testing::SeedNodePlan("node3");
  ASSERT_TRUE(StateFile(options_.state_dir + "/agent.state").Save(old).ok());
  Restart();
  EXPECT_EQ(r_->Report().applied_version(), 4);
  v1::PlanUpdate foreign;
  foreign.set_epoch(1);
  foreign.set_version(5);
  *foreign.mutable_plan() = testing::SeedNodePlan("node3");
  foreign.mutable_plan()->set_cluster_name("other-cluster");
  EXPECT_FALSE(r_->OfferPlan(foreign).accepted);
  Offer(testing::SeedNodePlan("node3"), 5, 1);  // its own cluster, epoch 1 over none
  EXPECT_EQ(r_->Report().applied_epoch(), 1);
}

TEST_F(ReconcilerTest, AServiceLeavingThePlanIsStopped) {
  Offer(testing::SeedNodePlan("node3"), 1);
  r_->Pass();
  health_.Set("dep:namenode", true, clock_.MonotonicMillis());
  r_->Pass();
  const pid_t datanode = launcher_.PidOf("bin/hadoop", "datanode");
  ASSERT_NE(datanode, 0);
  Offer(testing::SeedNodePlan(
            "node3", "192.168.4.102\n    roles: [datanode, tasktracker, cassandra, zookeeper]",
            "192.168.4.102\n    roles: [cassandra, zookeeper]"),
        2);
  r_->Pass();
  EXPECT_THAT(launcher_.stops, Contains(datanode));
  r_->Pass();
  const v1::NodeReport report = r_->Report();
  for (const v1::RoleStatus& r : report.roles()) {
    EXPECT_NE(r.service(), "datanode");
    EXPECT_NE(r.service(), "tasktracker");
  }
  EXPECT_EQ(report.roles_size(), 2);
}

TEST_F(ReconcilerTest, ARestartCommandRestartsAndAnswers) {
  Offer(testing::SeedNodePlan("node3"), 1);
  r_->Pass();
  const pid_t zk = Role("zookeeper").pid();
  v1::Command cmd;
  cmd.set_id("c1");
  cmd.set_kind(v1::COMMAND_KIND_RESTART);
  cmd.set_service("zookeeper");
  r_->OfferCommand(cmd);
  r_->Pass();  // stop (inline)
  r_->Pass();  // start
  EXPECT_THAT(launcher_.stops, Contains(zk));
  EXPECT_NE(Role("zookeeper").pid(), zk);
  std::vector<CommandResult> results = r_->TakeCommandResults();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].ok);
  EXPECT_EQ(results[0].command_id, "c1");

  // Sent again (a controller that restarted before the answer): answered,
  // not restarted twice, also by a restarted agent.
  const pid_t restarted = Role("zookeeper").pid();
  cmd.set_id("c1");
  Restart();
  r_->OfferCommand(cmd);
  r_->Pass();
  r_->Pass();
  EXPECT_EQ(Role("zookeeper").pid(), restarted);
  results = r_->TakeCommandResults();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].ok);
  EXPECT_EQ(results[0].message, "already carried out");

  cmd.set_id("c2");
  cmd.set_service("namenode");
  r_->OfferCommand(cmd);
  results = r_->TakeCommandResults();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].ok);
  EXPECT_THAT(results[0].message, HasSubstr("runs no service \"namenode\""));
}

TEST_F(ReconcilerTest, InitStepsRunOnceBeforeTheFirstStart) {
  options_.node = "node1";
  Restart();
  const v1::NodePlan plan = testing::SeedNodePlan("node1");
  // The BAM server's secrets, read by the agent alone.
  for (const v1::DataSourcePlan& ds : plan.bam().datasources()) {
    ASSERT_TRUE(WriteFileAtomically(options_.root_dir + ds.password_file(), "pw\n", 0600).ok());
  }
  Offer(plan, 1);
  r_->Pass();
  EXPECT_EQ(launcher_.Launches("bin/hadoop", "namenode"), 1);  // `namenode -format`
  const pid_t format = launcher_.PidOf("bin/hadoop", "namenode");
  ASSERT_EQ(launcher_.launches.back().argv.back(), "-format");
  EXPECT_EQ(Role("namenode").phase(), v1::PHASE_INITIALIZING);

  launcher_.Kill(format, 1);  // fails without writing the image
  r_->Pass();
  EXPECT_EQ(Role("namenode").phase(), v1::PHASE_FAILED);
  EXPECT_THAT(Role("namenode").reason(), HasSubstr("format-namenode exited with code 1"));

  clock_.AdvanceMillis(options_.restart.backoff_max_ms);
  r_->Pass();
  const pid_t again = launcher_.PidOf("bin/hadoop", "namenode");
  ASSERT_NE(again, 0);
  const std::string marker = options_.root_dir + plan.hadoop().name_dir() + "/current/VERSION";
  ASSERT_TRUE(WriteFileAtomically(marker, "namespaceID=1\n", 0644).ok());
  launcher_.Kill(again, 0);
  r_->Pass();
  // Formatted: the daemon itself starts, and later passes never format again.
  EXPECT_EQ(launcher_.Launches("bin/hadoop", "namenode"), 3);
  EXPECT_EQ(launcher_.launches.back().argv.size(), 2u);
  r_->Pass();
  EXPECT_EQ(launcher_.Launches("bin/hadoop", "namenode"), 3);
}

// The namenode's restart saves the namespace first (dfsadmin -safemode
// enter, -saveNamespace); when that fails the namenode is not stopped, safe
// mode is left again, and the restart command fails saying why.
TEST_F(ReconcilerTest, ANameNodeIsNotStoppedWhenItsNamespaceCannotBeSaved) {
  options_.node = "node1";
  Restart();
  const v1::NodePlan plan = testing::SeedNodePlan("node1");
  for (const v1::DataSourcePlan& ds : plan.bam().datasources()) {
    ASSERT_TRUE(WriteFileAtomically(options_.root_dir + ds.password_file(), "pw\n", 0600).ok());
  }
  ASSERT_TRUE(WriteFileAtomically(options_.root_dir + plan.hadoop().name_dir() + "/current/VERSION",
                                  "namespaceID=1\n", 0644)
                  .ok());
  launcher_.exit_at_once = {
      {"-safemode enter", 0}, {"-saveNamespace", 255}, {"-safemode leave", 0}};
  Offer(plan, 1);
  r_->Pass();
  const pid_t namenode = Role("namenode").pid();
  ASSERT_NE(namenode, 0);
  v1::Command cmd;
  cmd.set_id("c1");
  cmd.set_kind(v1::COMMAND_KIND_RESTART);
  cmd.set_service("namenode");
  r_->OfferCommand(cmd);
  r_->Pass();  // the pre-stop commands and (not) the stop, inline
  r_->Pass();
  EXPECT_THAT(launcher_.stops, ::testing::Not(Contains(namenode)));
  EXPECT_EQ(Role("namenode").pid(), namenode);
  EXPECT_EQ(launcher_.Launches("bin/hadoop", "dfsadmin"), 3);  // enter, save, leave
  EXPECT_EQ(launcher_.launches.back().argv.back(), "leave");
  EXPECT_EQ(launcher_.launches.back().user, "hadoop");
  std::vector<CommandResult> results = r_->TakeCommandResults();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].ok);
  EXPECT_THAT(results[0].message, HasSubstr("dfsadmin -saveNamespace` exited 255; not stopped"));

  // Saved: stopped and started again.
  launcher_.exit_at_once = {{"-safemode enter", 0}, {"-saveNamespace", 0}};
  cmd.set_id("c2");
  r_->OfferCommand(cmd);
  r_->Pass();
  r_->Pass();
  EXPECT_THAT(launcher_.stops, Contains(namenode));
  EXPECT_NE(Role("namenode").pid(), namenode);
  results = r_->TakeCommandResults();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].ok) << results[0].message;
}

// A peer view runs the driver's command (nodetool status) as the
// service's user and answers with what it printed; it restarts nothing,
// and what a command may ask for is the agent's own plan, not the command.
TEST_F(ReconcilerTest, APeerViewAnswersWithWhatNodetoolStatusPrinted) {
  Offer(testing::SeedNodePlan("node3"), 1);
  r_->Pass();
  const pid_t cassandra = Role("cassandra").pid();
  ASSERT_NE(cassandra, 0);
  const std::string ring = "Datacenter: datacenter1\nUN  192.168.4.102  36 KB\n";
  launcher_.exit_at_once = {{"nodetool", 0}};
  launcher_.prints = {{"nodetool", ring}};
  // Offers a peer view of `service` and takes the answers of the pass.
  auto view_of = [&](const std::string& id, const std::string& service) {
    v1::Command cmd;
    cmd.set_id(id);
    cmd.set_kind(v1::COMMAND_KIND_PEER_VIEW);
    cmd.set_service(service);
    r_->OfferCommand(cmd);
    return r_->TakeCommandResults();
  };
  std::vector<CommandResult> results = view_of("v1", "cassandra");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].command_id, "v1");
  EXPECT_TRUE(results[0].ok) << results[0].message;
  EXPECT_EQ(results[0].output, ring);
  const LaunchSpec& view = launcher_.launches.back();
  EXPECT_THAT(view.argv, ElementsAre(HasSubstr("/bin/nodetool"), "-h", "192.168.4.102", "-p",
                                     "7199", "status"));
  EXPECT_EQ(view.user, "cassandra");
  EXPECT_FALSE(std::filesystem::exists(view.log_path)) << "the output file is removed";
  EXPECT_EQ(Role("cassandra").pid(), cassandra);
  EXPECT_TRUE(launcher_.stops.empty());

  // A failing view says how it failed, with what it printed.
  launcher_.exit_at_once = {{"nodetool", 1}};
  launcher_.prints = {{"nodetool", "Failed to connect to '192.168.4.102:7199'\n"}};
  results = view_of("v2", "cassandra");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].ok);
  EXPECT_THAT(results[0].message, HasSubstr("status` exited 1"));
  EXPECT_THAT(results[0].output, HasSubstr("Failed to connect"));

  // More than the agent reads is refused, not kept.
  launcher_.exit_at_once = {{"nodetool", 0}};
  launcher_.prints = {{"nodetool", std::string(ServiceRunner::kMaxQueryOutputBytes + 1, 'x')}};
  results = view_of("v3", "cassandra");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].ok);
  EXPECT_THAT(results[0].message, HasSubstr("at most 65536 are read"));
  EXPECT_TRUE(results[0].output.empty());

  // Services without a view, and services this node does not run.
  results = view_of("v4", "zookeeper");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].ok);
  EXPECT_THAT(results[0].message, HasSubstr("zookeeper has no peer view"));
  results = view_of("v5", "../../bin/sh");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].ok);
  EXPECT_THAT(results[0].message, HasSubstr("runs no service \"../../bin/sh\""));
}

TEST_F(ReconcilerTest, APreflightErrorKeepsTheServiceFromStarting) {
  preflight_.errors["cassandra"] = "no Java at /opt/java/bin/java";
  Offer(testing::SeedNodePlan("node3"), 1);
  r_->Pass();
  EXPECT_EQ(launcher_.Launches("bin/cassandra"), 0);
  EXPECT_EQ(Role("cassandra").phase(), v1::PHASE_BLOCKED);
  EXPECT_THAT(Role("cassandra").reason(), HasSubstr("no Java at /opt/java/bin/java"));
  EXPECT_THAT(r_->Report().preflight(),
              Contains(::testing::Property(&v1::PreflightCheck::severity, v1::SEVERITY_ERROR)));
  preflight_.errors.clear();
  r_->Pass();
  EXPECT_EQ(launcher_.Launches("bin/cassandra"), 1);
}

TEST_F(ReconcilerTest, AFailedLaunchIsRetriedWithBackoff) {
  launcher_.fail_programs = {"bin/cassandra"};
  Offer(testing::SeedNodePlan("node3"), 1);
  r_->Pass();
  EXPECT_EQ(Role("cassandra").phase(), v1::PHASE_FAILED);
  EXPECT_THAT(Role("cassandra").reason(), HasSubstr("cannot start: exec for"));
  r_->Pass();
  EXPECT_EQ(Role("cassandra").phase(), v1::PHASE_BACKOFF);
  launcher_.fail_programs.clear();
  clock_.AdvanceMillis(options_.restart.backoff_max_ms);
  r_->Pass();
  EXPECT_EQ(launcher_.Launches("bin/cassandra"), 1);
}

TEST_F(ReconcilerTest, ARunningRolesLogIsRotatedBySize) {
  options_.limits.log_max_bytes = 100;
  options_.limits.log_keep = 2;
  Restart();
  Offer(testing::SeedNodePlan("node3"), 1);
  r_->Pass();
  const std::string log = options_.log_dir + "/cassandra.log";
  {
    std::ofstream out(log, std::ios::app);
    out << std::string(150, 'x') << "\n";
  }
  r_->Pass();
  EXPECT_EQ(fs::file_size(log), 0u);
  EXPECT_EQ(fs::file_size(log + ".1"), 151u);
}

TEST_F(ReconcilerTest, SecretsAreWrittenOwnerOnly) {
  options_.node = "node1";
  Restart();
  const v1::NodePlan plan = testing::SeedNodePlan("node1");
  for (const v1::DataSourcePlan& ds : plan.bam().datasources()) {
    ASSERT_TRUE(WriteFileAtomically(options_.root_dir + ds.password_file(), "s3cret\n", 0600).ok());
  }
  Offer(plan, 1);
  r_->Pass();
  const std::string ds_file =
      options_.root_dir + plan.bam().home() + "/repository/conf/datasources/master-datasources.xml";
  struct stat st;
  ASSERT_EQ(stat(ds_file.c_str(), &st), 0) << ds_file;
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_THAT(Read(plan.bam().home() + "/repository/conf/datasources/master-datasources.xml"),
              HasSubstr("s3cret"));
  const v1::NodeReport report = r_->Report();
  for (const std::string& n : report.notices()) EXPECT_THAT(n, ::testing::Not(HasSubstr("s3cret")));
}

}  // namespace
}  // namespace bamctl

namespace bamctl {
namespace {

class ReconcilerPolicyTest : public ReconcilerTest {
 protected:
  static HostPolicy PolicyAllowing(std::vector<std::string> paths) {
    HostPolicy policy;
    policy.allowed_paths = std::move(paths);
    return policy;
  }
  PlanVerdict OfferSeed() {
    v1::PlanUpdate update;
    update.set_version(1);
    update.set_plan_hash("hash-1");
    *update.mutable_plan() = testing::SeedNodePlan("node3");
    *update.mutable_hosts() = testing::SeedHosts();
    return r_->OfferPlan(update);
  }
};

TEST_F(ReconcilerPolicyTest, TheDefaultPolicyAcceptsTheSeedPlan) {
  options_.policy = PolicyAllowing(DefaultOwnedRoots(options_.root_dir));
  Restart();
  PlanVerdict verdict = OfferSeed();
  EXPECT_TRUE(verdict.accepted) << verdict.reason;
}

TEST_F(ReconcilerPolicyTest, APlanOutsideTheHostPolicyIsRefusedWholeAndNothingIsWritten) {
  options_.policy = PolicyAllowing({options_.root_dir + "/srv"});
  Restart();
  PlanVerdict verdict = OfferSeed();
  EXPECT_FALSE(verdict.accepted);
  EXPECT_THAT(verdict.reason, HasSubstr("refused plan v1: "));
  EXPECT_THAT(verdict.reason, HasSubstr("is outside the host policy's allowed_paths (" +
                                        options_.root_dir + "/srv)"));
  EXPECT_THAT(r_->Report().notices(), Contains(HasSubstr("refused plan v1")));
  r_->Pass();
  EXPECT_THAT(launcher_.launches, IsEmpty());
  EXPECT_FALSE(fs::exists(options_.root_dir));  // nothing created, not even the hosts file
  EXPECT_EQ(r_->Report().applied_version(), 0);
}

TEST_F(ReconcilerPolicyTest, ASecretFileOutsideThePolicyIsNeverRead) {
  // Rendering would read it as root into a datasource file the role reads.
  options_.node = "node1";
  options_.policy = PolicyAllowing(DefaultOwnedRoots(options_.root_dir));
  Restart();
  v1::PlanUpdate update;
  update.set_version(1);
  update.set_plan_hash("hash-1");
  *update.mutable_plan() = testing::SeedNodePlan("node1");
  ASSERT_GT(update.plan().bam().datasources_size(), 0);
  update.mutable_plan()->mutable_bam()->mutable_datasources(0)->set_password_file("/etc/shadow");
  const PlanVerdict verdict = r_->OfferPlan(update);
  EXPECT_FALSE(verdict.accepted);
  EXPECT_THAT(verdict.reason,
              HasSubstr("bam password_file \"" + options_.root_dir +
                        "/etc/shadow\" is outside the host policy's allowed_paths"));
  r_->Pass();
  EXPECT_THAT(launcher_.launches, IsEmpty());
  EXPECT_FALSE(fs::exists(options_.root_dir));
}

TEST_F(ReconcilerPolicyTest, AHeldPlanOutsideANewPolicyIsNotActedOn) {
  Offer(testing::SeedNodePlan("node3"), 1);  // accepted before the host tightened its policy
  options_.policy = PolicyAllowing({options_.root_dir + "/srv"});
  Restart();
  r_->Pass();
  EXPECT_THAT(launcher_.launches, IsEmpty());
  EXPECT_FALSE(fs::exists(options_.root_dir));
  EXPECT_THAT(r_->Report().notices(), Contains(HasSubstr("refused the plan: ")));
}

}  // namespace
}  // namespace bamctl

namespace bamctl {
namespace {

TEST_F(ReconcilerTest, AShippedConfigFileLinkedElsewhereIsNeverRead) {
  // The role user swaps the install's cassandra.yaml for a link to a file
  // root may read: the agent would patch it into a file the role can read.
  const v1::NodePlan plan = testing::SeedNodePlan("node3");
  const std::string yaml = options_.root_dir + plan.cassandra().home() + "/conf/cassandra.yaml";
  const std::string secret = root_ + "/root-only";
  ASSERT_TRUE(WriteFileAtomically(secret, "secret_key: hunter2\n", 0600).ok());
  fs::create_directories(fs::path(yaml).parent_path());
  fs::create_symlink(secret, yaml);
  Offer(plan, 1);
  r_->Pass();
  EXPECT_TRUE(fs::is_symlink(yaml));  // neither followed nor replaced
  absl::StatusOr<std::optional<std::string>> kept = ReadFileIfExists(secret);
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ(**kept, "secret_key: hunter2\n");
  EXPECT_THAT(launcher_.launches, IsEmpty());
  EXPECT_THAT(r_->Report().notices(), Contains(HasSubstr(yaml + " is a symbolic link")));
}

TEST_F(ReconcilerTest, APlanWhoseStateCannotBeSavedIsRetriedNotActedOn) {
  // A directory where the state file goes: every save fails, even as root.
  fs::create_directories(options_.state_dir + "/agent.state/blocker");
  Restart();
  Offer(testing::SeedNodePlan("node3"), 1);
  r_->Pass();
  EXPECT_THAT(launcher_.launches, IsEmpty());
  EXPECT_FALSE(fs::exists(options_.root_dir));
  EXPECT_THAT(r_->Report().notices(), Contains(HasSubstr("is not acted on until")));
  fs::remove_all(options_.state_dir + "/agent.state");
  r_->Pass();
  EXPECT_THAT(Read(ZooCfgPath()), HasSubstr("server.3="));
  EXPECT_FALSE(launcher_.launches.empty());
}

}  // namespace
}  // namespace bamctl

namespace bamctl {
namespace {

// `nodetool drain` and init steps run from the role-writable home: never
// as root by omission.
TEST(LaunchSpecTest, HelperCommandsRunAsTheRolesUser) {
  ServicePlan plan;
  plan.name = "cassandra";
  plan.process.user = "cassandra";
  plan.process.working_dir = "/opt/cassandra";
  plan.restart.pre_stop = {{"/opt/cassandra/bin/nodetool", "drain"}};
  const AgentPaths paths{"node1", "/state", "/logs"};
  EXPECT_EQ(PreStopLaunchSpec(paths, plan, plan.restart.pre_stop[0]).user, "cassandra");
  InitStep step;
  step.name = "init";
  step.argv = {"/bin/true"};
  EXPECT_EQ(InitStepLaunchSpec(paths, plan, step).user, "cassandra");
  step.user = "other";
  EXPECT_EQ(InitStepLaunchSpec(paths, plan, step).user, "other");
}

}  // namespace
}  // namespace bamctl
