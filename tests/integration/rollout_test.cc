// Rolling restarts on a real ZooKeeper ensemble (Debian's package, three
// servers supervised by three real agents, one real controller), while a
// ZooKeeper C client keeps writing: the restart completes, no two servers
// are ever down at once, writes fail only around the one leader change, and
// a controller killed mid-operation resumes it without restarting anything
// twice. With three controllers in HA mode (on an ensemble of their own),
// the leader killed mid-operation: the new leader finishes it, and the
// agents follow it.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "roles/probe/probe_runner.h"
#include "tests/integration/local_cluster_fixture.h"
#include "tests/integration/zookeeper_servers.h"
#include "tests/integration/zookeeper_writer.h"
#include "tests/util/sampler.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

using testing::LocalCluster;
using SteadyClock = std::chrono::steady_clock;

constexpr char kSpec[] =
    "name: rollout-it\nnodes:\n"
    "  - {name: zk1, address: 10.0.0.1, roles: [zookeeper]}\n"
    "  - {name: zk2, address: 10.0.0.2, roles: [zookeeper]}\n"
    "  - {name: zk3, address: 10.0.0.3, roles: [zookeeper]}\n"
    "zookeeper:\n  client_port: 26181\n  tick_time_ms: 500\n  init_limit: 10\n  sync_limit: 5\n";
constexpr int kClientPort = 26181;

class RolloutTest : public testing::LocalClusterFixture {
 protected:
  RolloutTest() : LocalClusterFixture(kSpec) {}

  // The ensemble's rolling restart under writes, the controller killed with
  // SIGKILL after the first step: started again (one controller), or not
  // (HA: the leader is killed and another takes over).
  void RestartEnsembleKillingTheController(bool ha);

  std::string Leader() {
    for (const std::string& node : cluster().nodes()) {
      Probe probe{Probe::Kind::kZooKeeper, "ruok", cluster().Address(node), kClientPort, ""};
      if (RunProbe(probe, std::chrono::seconds(2)).mode == "leader") return node;
    }
    return "";
  }
};

TEST_F(RolloutTest, DryRunShowsTheOrderAndChecksAndRestartsNothing) {
  const std::map<std::string, int64_t> pids = RolePids("zookeeper");
  const std::string leader = Leader();
  ASSERT_FALSE(leader.empty());
  v1::RollingRestartRequest request;
  request.set_role("zookeeper");
  request.set_dry_run(true);
  absl::StatusOr<v1::Operation> op = cluster().StartRollingRestart(request);
  ASSERT_TRUE(op.ok()) << op.status();
  EXPECT_EQ(op->state(), v1::OPERATION_STATE_PLANNED);
  ASSERT_EQ(op->steps_size(), 3);
  EXPECT_EQ(op->steps(2).nodes(0), leader);  // the leader last
  for (const v1::PreCheckResult& c : op->checks()) EXPECT_TRUE(c.ok()) << c.name() << c.detail();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(RolePids("zookeeper"), pids);
  // Two of three at once would lose the quorum: refused.
  request.set_batch_size(2);
  op = cluster().StartRollingRestart(request);
  ASSERT_FALSE(op.ok());
  EXPECT_THAT(std::string(op.status().message()), ::testing::HasSubstr("at most 1"));
}

TEST_F(RolloutTest, RestartsTheEnsembleUnderWritesNeverTwoDownAndResumesAfterAControllerKill) {
  RestartEnsembleKillingTheController(/*ha=*/false);
}

void RolloutTest::RestartEnsembleKillingTheController(bool ha) {
  std::string hosts;
  for (const std::string& node : cluster().nodes()) {
    absl::StrAppend(&hosts, hosts.empty() ? "" : ",", cluster().Address(node), ":", kClientPort);
  }
  testing::ZooKeeperWriter writer(hosts, "/rollout");
  ASSERT_TRUE(writer.Start()) << "no ZooKeeper session through " << hosts;

  // Samples every server's client port: the most that were ever down
  // together. (A server that is up but electing a leader accepts the
  // connection; "down" here is a stopped server, which is what the
  // rollout must never do to two at once.)
  std::atomic<int> most_down{0};
  testing::Sampler monitor(std::chrono::milliseconds(50), [&] {
    int down = 0;
    for (const std::string& node : cluster().nodes()) {
      Probe probe{Probe::Kind::kTcp, "client", cluster().Address(node), kClientPort, ""};
      if (!RunProbe(probe, std::chrono::milliseconds(500)).healthy) ++down;
    }
    most_down = std::max(most_down.load(), down);
  });

  const std::map<std::string, int64_t> before = RolePids("zookeeper");
  const std::string leader = Leader();
  v1::RollingRestartRequest request;
  request.set_role("zookeeper");
  request.set_health_timeout_ms(90'000);
  absl::StatusOr<v1::Operation> op = cluster().StartRollingRestart(request);
  ASSERT_TRUE(op.ok()) << op.status();
  ASSERT_EQ(op->steps_size(), 3);
  EXPECT_EQ(op->steps(2).nodes(0), leader);

  // Kill the controller while the operation runs (after the first step
  // finished), then start it again: it must carry on from where it was.
  const auto deadline = SteadyClock::now() + std::chrono::seconds(120);
  bool first_done = false;
  while (!first_done && SteadyClock::now() < deadline) {
    absl::StatusOr<v1::Operation> now = cluster().GetOperation(op->id());
    first_done = now.ok() && now->steps(0).state() == v1::STEP_STATE_DONE;
    if (!first_done) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(first_done) << "step 1 did not finish within 120 s";
  const auto killed = SteadyClock::now();
  cluster().KillController();
  if (ha) {
    // Another controller leads; every agent follows it.
    absl::StatusOr<v1::GetStatusResponse> followed = cluster().WaitFor(
        [](const v1::GetStatusResponse& s) {
          for (const v1::NodeStatus& n : s.nodes()) {
            if (!n.connected()) return false;
          }
          return s.nodes_size() > 0;
        },
        std::chrono::seconds(60));
    ASSERT_TRUE(followed.ok()) << followed.status();
    std::cerr << "every agent connected to the new leader "
              << std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - killed)
                     .count()
              << " ms after the leader was killed\n";
  } else {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    ASSERT_TRUE(cluster().StartController().ok());
  }

  absl::StatusOr<v1::Operation> finished =
      cluster().WaitOperationDone(op->id(), std::chrono::seconds(240));
  monitor.Stop();
  writer.Stop();
  ASSERT_TRUE(finished.ok()) << finished.status();
  const v1::Operation& done = *finished;
  ASSERT_EQ(done.state(), v1::OPERATION_STATE_SUCCEEDED) << done.DebugString();

  // Every server runs a new process, each restarted exactly once.
  const std::map<std::string, int64_t> after = RolePids("zookeeper");
  absl::StatusOr<v1::GetStatusResponse> status = cluster().Status();
  ASSERT_TRUE(status.ok());
  for (const std::string& node : cluster().nodes()) {
    EXPECT_NE(after.at(node), before.at(node)) << node;
    EXPECT_EQ(LocalCluster::FindRole(*status, node, "zookeeper")->restarts(), 1u) << node;
  }
  EXPECT_LE(most_down.load(), 1) << "two ZooKeeper servers were down at the same time";
  // Writes stopped only while the leader's step ran (its election): any
  // stretch of over 2 s without a successful write lies within that step.
  const v1::RolloutStep& last = done.steps(2);
  for (const auto& [from, to] : writer.Gaps(2000)) {
    EXPECT_GE(from, last.started_ms() - 1000)
        << "no write succeeded for " << (to - from) << " ms before the leader's step";
    EXPECT_LE(to, last.finished_ms() + 3000)
        << "no write succeeded for " << (to - from) << " ms after the leader's step";
  }
  EXPECT_GT(writer.writes(), 50);
}

// The controllers' own ensemble: three servers of Debian's ZooKeeper on
// this process's loopback subnet (client port 22181; the cluster's
// ensemble listens on 26181).
class RolloutHaTest : public RolloutTest {
 protected:
  void SetUp() override {
    if (std::string missing = testing::ZooKeeperServers::Missing(); !missing.empty()) {
      GTEST_SKIP() << missing;
    }
    zk_dir_ = testing::MakeTempDir("rollout_ha_zk");
    absl::StatusOr<std::unique_ptr<testing::ZooKeeperServers>> servers =
        testing::ZooKeeperServers::Start(zk_dir_, 3);
    ASSERT_TRUE(servers.ok()) << servers.status();
    zk_ = *std::move(servers);
    absl::Status serving = zk_->AwaitServing(std::chrono::seconds(90));
    ASSERT_TRUE(serving.ok()) << serving << "; logs in " << zk_dir_;
    settings().cluster.ha_zookeeper = zk_->ConnectString();
    RolloutTest::SetUp();
  }
  void TearDown() override {
    RolloutTest::TearDown();
    zk_.reset();
    if (!zk_dir_.empty() && !HasFailure()) std::filesystem::remove_all(zk_dir_);
  }

  std::filesystem::path zk_dir_;
  std::unique_ptr<testing::ZooKeeperServers> zk_;
};

TEST_F(RolloutHaTest, TheLeaderKilledMidRestartTheNewLeaderFinishesIt) {
  RestartEnsembleKillingTheController(/*ha=*/true);
}

}  // namespace
}  // namespace bamctl
