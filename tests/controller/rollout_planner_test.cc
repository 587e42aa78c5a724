#include "common/status_macros.h"
#include "controller/rollout/planner.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bamctl {
namespace {

using ::testing::HasSubstr;
using Batches = std::vector<std::vector<std::string>>;

RestartSafety ZooKeeper() {
  RestartSafety s;
  s.group = "zookeeper";
  s.order = RestartSafety::Order::kFollowersBeforeLeader;
  return s;
}

std::vector<Instance> Ensemble(int n, int leader) {
  std::vector<Instance> out;
  for (int i = 0; i < n; ++i) {
    Instance in;
    in.node = "node" + std::to_string(i + 1);
    in.connected = true;
    in.healthy = true;
    in.zookeeper_mode = i == leader ? "leader" : "follower";
    out.push_back(in);
  }
  return out;
}

TEST(RolloutPlannerTest, ZooKeeperFollowersOneAtATimeAndTheLeaderLast) {
  RolloutRequest r{.role = "zookeeper"};
  absl::StatusOr<RolloutPlan> plan = PlanRollout(r, "zookeeper", ZooKeeper(), Ensemble(3, 0));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->batches, (Batches{{"node2"}, {"node3"}, {"node1"}}));
  plan = PlanRollout(r, "zookeeper", ZooKeeper(), Ensemble(3, 1));
  EXPECT_EQ(plan->batches, (Batches{{"node1"}, {"node3"}, {"node2"}}));
}

TEST(RolloutPlannerTest, BatchesNeverPastTheQuorum) {
  RolloutRequest r{.role = "zookeeper"};
  r.batch_size = 2;
  RestartSafety five = ZooKeeper();
  five.max_unavailable = 2;
  absl::StatusOr<RolloutPlan> plan = PlanRollout(r, "zookeeper", five, Ensemble(5, 4));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->batches, (Batches{{"node1", "node2"}, {"node3", "node4"}, {"node5"}}));
  // Two of three down loses the quorum.
  plan = PlanRollout(r, "zookeeper", five, Ensemble(3, 0));
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(std::string(plan.status().message()),
              HasSubstr("--batch-size 2 would take 2 of 3 zookeeper instances down at once; at "
                        "most 1"));
  RestartSafety cassandra;
  cassandra.order = RestartSafety::Order::kOneAtATimeDrainFirst;
  EXPECT_EQ(MaxBatch(cassandra, 5), 1);
}

TEST(RolloutPlannerTest, RefusesWhenAMemberIsUnhealthyUnlessForced) {
  std::vector<Instance> ensemble = Ensemble(3, 0);
  ensemble[2].healthy = false;
  RolloutRequest r{.role = "zookeeper"};
  absl::StatusOr<RolloutPlan> plan = PlanRollout(r, "zookeeper", ZooKeeper(), ensemble);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(plan.status().message()),
              HasSubstr("group healthy: not healthy: node3 (not healthy)"));
  r.force = true;
  plan = PlanRollout(r, "zookeeper", ZooKeeper(), ensemble);
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(plan->forced, HasSubstr("node3"));
}

TEST(RolloutPlannerTest, AnUnknownLeaderIsAFailedCheck) {
  std::vector<Instance> ensemble = Ensemble(3, 0);
  ensemble[0].zookeeper_mode = "";
  absl::StatusOr<RolloutPlan> plan =
      PlanRollout(RolloutRequest{.role = "zookeeper"}, "zookeeper", ZooKeeper(), ensemble);
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(std::string(plan.status().message()),
              HasSubstr("one leader: expected exactly one leader; servers report: node1 unknown"));
}

TEST(RolloutPlannerTest, SingleMastersNeedAllowDowntime) {
  RestartSafety nn;
  nn.order = RestartSafety::Order::kSingleInstanceDowntime;
  nn.requires_downtime_flag = true;
  std::vector<Instance> one = Ensemble(1, -1);
  RolloutRequest r{.role = "namenode"};
  r.force = true;  // does not stand in for --allow-downtime
  absl::StatusOr<RolloutPlan> plan = PlanRollout(r, "namenode", nn, one);
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(std::string(plan.status().message()), HasSubstr("pass --allow-downtime"));
  r.allow_downtime = true;
  plan = PlanRollout(r, "namenode", nn, one);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->batches, (Batches{{"node1"}}));
}

TEST(RolloutPlannerTest, AnalyzersStandbyFirstAndOthersInBatches) {
  RestartSafety bam;
  bam.order = RestartSafety::Order::kStandbyBeforeActive;
  std::vector<Instance> two = Ensemble(2, -1);
  two[0].task_holder = true;
  absl::StatusOr<RolloutPlan> plan =
      PlanRollout(RolloutRequest{.role = "bam-analyzer"}, "bam", bam, two);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->batches, (Batches{{"node2"}, {"node1"}}));

  RestartSafety any;
  RolloutRequest r{.role = "datanode"};
  r.batch_size = 2;
  plan = PlanRollout(r, "datanode", any, Ensemble(3, -1));
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->batches, (Batches{{"node1", "node2"}, {"node3"}}));
}

TEST(RolloutPlannerTest, AnalyzersInATaskGroupNeedOneKnownHolder) {
  RestartSafety bam;
  bam.order = RestartSafety::Order::kStandbyBeforeActive;
  std::vector<Instance> two = Ensemble(2, -1);
  two[0].task_member = "node0000000004";
  two[1].task_member = "node0000000002";
  two[1].task_holder = true;
  RolloutRequest r{.role = "bam-analyzer"};
  r.task_group_read = true;
  absl::StatusOr<RolloutPlan> plan = PlanRollout(r, "bam", bam, two);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->batches, (Batches{{"node1"}, {"node2"}}));  // the holder last
  ASSERT_EQ(plan->checks.size(), 2u);
  EXPECT_EQ(plan->checks[1].name, "task holder known");
  EXPECT_TRUE(plan->checks[1].ok);
  EXPECT_EQ(plan->checks[1].detail,
            "the task group has: node1 node0000000004, node2 node0000000002 (holds the tasks)");

  // Nobody known to hold them (the group unreadable, or no member maps to
  // an analyzer): refused unless forced.
  two[1].task_holder = false;
  two[1].task_member.clear();
  plan = PlanRollout(r, "bam", bam, two);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(RolloutRefusalOf(plan.status()), RolloutRefusal::kPreCheckFailed);
  EXPECT_THAT(std::string(plan.status().message()),
              ::testing::HasSubstr("expected exactly one analyzer holding the tasks"));
  r.task_group_error = "no ZooKeeper session";
  r.force = true;
  plan = PlanRollout(r, "bam", bam, two);
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(plan->forced,
              ::testing::HasSubstr("cannot read the analyzers' task group: no ZooKeeper session"));
}

TEST(RolloutPlannerTest, NodesAndPendingNarrowTheSet) {
  std::vector<Instance> ensemble = Ensemble(3, 0);
  ensemble[1].restart_pending = true;
  ensemble[0].restart_pending = true;
  RolloutRequest r{.role = "zookeeper"};
  r.pending_only = true;
  absl::StatusOr<RolloutPlan> plan = PlanRollout(r, "zookeeper", ZooKeeper(), ensemble);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->batches, (Batches{{"node2"}, {"node1"}}));
  r.pending_only = false;
  r.nodes = {"node3"};
  plan = PlanRollout(r, "zookeeper", ZooKeeper(), ensemble);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->batches, (Batches{{"node3"}}));
  r.nodes = {"node9"};
  plan = PlanRollout(r, "zookeeper", ZooKeeper(), ensemble);
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(
      std::string(plan.status().message()),
      HasSubstr("node node9 does not run role zookeeper; nodes that do: node1, node2, node3"));
}

TEST(RolloutPlannerTest, EveryRefusalSaysWhyInItsType) {
  RestartSafety nn;
  nn.order = RestartSafety::Order::kSingleInstanceDowntime;
  nn.requires_downtime_flag = true;
  RolloutRequest namenode{.role = "namenode"};
  absl::Status downtime = PlanRollout(namenode, "namenode", nn, Ensemble(1, -1)).status();
  EXPECT_EQ(downtime.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(RolloutRefusalOf(downtime), RolloutRefusal::kNeedsDowntime);

  std::vector<Instance> unhealthy = Ensemble(3, 0);
  unhealthy[1].healthy = false;
  absl::Status check =
      PlanRollout(RolloutRequest{.role = "zookeeper"}, "zookeeper", ZooKeeper(), unhealthy)
          .status();
  EXPECT_EQ(check.code(), absl::StatusCode::kFailedPrecondition);  // the same code as above
  EXPECT_EQ(RolloutRefusalOf(check), RolloutRefusal::kPreCheckFailed);

  RolloutRequest too_big{.role = "zookeeper"};
  too_big.batch_size = 3;
  EXPECT_EQ(
      RolloutRefusalOf(PlanRollout(too_big, "zookeeper", ZooKeeper(), Ensemble(3, 0)).status()),
      RolloutRefusal::kInvalidRequest);
  EXPECT_EQ(RolloutRefusalOf(PlanRollout(namenode, "namenode", nn, {}).status()),
            RolloutRefusal::kInvalidRequest);

  // The type survives context added on the way up; other errors have none.
  EXPECT_EQ(RolloutRefusalOf(Annotate(downtime, "auto-rollout 3")), RolloutRefusal::kNeedsDowntime);
  EXPECT_EQ(RolloutRefusalOf(absl::FailedPreconditionError("pass --allow-downtime")),
            RolloutRefusal::kNone);
  EXPECT_EQ(RolloutRefusalOf(absl::OkStatus()), RolloutRefusal::kNone);
}

}  // namespace
}  // namespace bamctl
