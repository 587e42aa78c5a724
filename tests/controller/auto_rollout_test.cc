// The auto-rollout against a real store and desired state, a fake clock,
// agents simulated by writing their reports, and children started by the
// test instead of the rolling-restart unit.
#include "controller/rollout/auto_rollout.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "controller/rollout/planner.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/zookeeper_trio.h"

namespace bamctl {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kWaitMs = int64_t{10} * 60 * 1000;  // the auto-rollout's wait

// What the planner says for a single master without --allow-downtime.
absl::Status NeedsDowntime() {
  RestartSafety single;
  single.order = RestartSafety::Order::kSingleInstanceDowntime;
  single.requires_downtime_flag = true;
  Instance one;
  one.node = "zk1";
  one.connected = true;
  one.healthy = true;
  return PlanRollout(RolloutRequest{.role = "zookeeper"}, "zookeeper", single, {one}).status();
}

class AutoRolloutTest : public testing::ZooKeeperTrioTest {
 protected:
  void SetUp() override {
    ZooKeeperTrioTest::SetUp();
    targets_ = std::make_unique<TargetResolver>(state_.get());
    Restart();
  }
  void TearDown() override {
    auto_.reset();
    ZooKeeperTrioTest::TearDown();
  }

  // A new unit with new stopwatches: a controller restart.
  void Restart() {
    watches_ = std::make_unique<Stopwatches>(&clock_);
    auto_ = std::make_unique<AutoRollout>(
        store_.get(), state_.get(), targets_.get(), &clock_, watches_.get(),
        [this](const v1::RollingRestartRequest& request) -> absl::StatusOr<v1::Operation> {
          requests_.push_back(request);
          if (!refusal_.ok()) return refusal_;
          v1::Operation child;
          child.set_kind(v1::OPERATION_KIND_ROLLING_RESTART);
          child.set_state(v1::OPERATION_STATE_RUNNING);
          child.set_role(request.role());
          child.add_steps()->set_service("zookeeper");
          ASSIGN_OR_RETURN(int64_t id, store_->CreateOperation(child, ""));
          return store_->GetOperation(id);
        });
  }

  // Every agent holds the current version; zookeeper restart pending or not.
  void Report(bool pending) {
    for (const char* node : {"zk1", "zk2", "zk3"}) {
      ReportZooKeeper(node, 10, v1::HEALTH_HEALTHY, pending);
    }
  }

  // One pass over the stored auto-rollout; returns it as stored after.
  v1::Operation Pass(int64_t id) {
    absl::StatusOr<v1::Operation> op = store_->GetOperation(id);
    EXPECT_TRUE(op.ok()) << op.status();
    if (!op.ok()) return {};
    auto_->Advance(*op);
    return *store_->GetOperation(id);
  }

  std::unique_ptr<TargetResolver> targets_;
  std::unique_ptr<Stopwatches> watches_;
  std::unique_ptr<AutoRollout> auto_;
  std::vector<v1::RollingRestartRequest> requests_;
  absl::Status refusal_;
};

TEST_F(AutoRolloutTest, StartsOneRollingRestartOfEverythingPendingAndRecordsIt) {
  absl::StatusOr<int64_t> id = auto_->Request(1, "alice");
  ASSERT_TRUE(id.ok()) << id.status();
  v1::Operation waiting = Pass(*id);  // no agent has reported
  EXPECT_EQ(waiting.state(), v1::OPERATION_STATE_WAITING);
  EXPECT_TRUE(requests_.empty());

  Report(/*pending=*/true);
  clock_.AdvanceMillis(5);
  v1::Operation started = Pass(*id);
  ASSERT_EQ(requests_.size(), 1u);
  EXPECT_EQ(requests_[0].role(), "");  // everything pending, as one operation
  EXPECT_TRUE(requests_[0].pending_only());
  EXPECT_EQ(requests_[0].author(), absl::StrCat("auto-rollout ", *id));
  EXPECT_EQ(started.state(), v1::OPERATION_STATE_WAITING);
  EXPECT_TRUE(started.steps().empty());
  ASSERT_EQ(started.auto_rollout().children_size(), 1);
  const v1::AutoRollout::Child& child = started.auto_rollout().children(0);
  EXPECT_EQ(child.service(), "zookeeper");  // the services of its steps
  EXPECT_EQ(child.role(), "");
  EXPECT_EQ(child.started_ms(), clock_.NowMillis());
  EXPECT_THAT(started.reason(),
              HasSubstr(absl::StrCat("started zookeeper (operation ", child.operation_id(),
                                     "); waiting for them to finish")));

  // Still pending while the child runs: it is not started twice.
  EXPECT_EQ(Pass(*id).state(), v1::OPERATION_STATE_WAITING);
  EXPECT_EQ(requests_.size(), 1u);

  // The child is done and nothing is pending any more.
  v1::Operation finished_child = *store_->GetOperation(child.operation_id());
  finished_child.set_state(v1::OPERATION_STATE_SUCCEEDED);
  ASSERT_TRUE(store_->UpdateOperation(finished_child, "").ok());
  Report(/*pending=*/false);
  v1::Operation done = Pass(*id);
  EXPECT_EQ(done.state(), v1::OPERATION_STATE_SUCCEEDED);
  EXPECT_EQ(done.reason(),
            absl::StrCat("started zookeeper (operation ", child.operation_id(), ")"));
}

TEST_F(AutoRolloutTest, AServiceThatNeedsDowntimeIsLeftToAnOperatorByItsRefusalType) {
  Report(/*pending=*/true);
  absl::StatusOr<int64_t> id = auto_->Request(1, "alice");
  ASSERT_TRUE(id.ok());
  // The refusal's wording does not matter, its type does: a message that
  // mentions the flag without the type is retried like any other refusal.
  refusal_ = absl::FailedPreconditionError("pass --allow-downtime");
  v1::Operation retried = Pass(*id);
  EXPECT_EQ(retried.state(), v1::OPERATION_STATE_WAITING);
  EXPECT_THAT(retried.reason(), HasSubstr("retrying: pass --allow-downtime"));

  refusal_ = Annotate(NeedsDowntime(), "planning");
  v1::Operation left = Pass(*id);
  EXPECT_EQ(left.state(), v1::OPERATION_STATE_SUCCEEDED);
  EXPECT_EQ(left.reason(),
            "nothing was restart pending; left pending: zookeeper (needs "
            "--allow-downtime)");
  EXPECT_EQ(left.auto_rollout().children_size(), 0);
}

TEST_F(AutoRolloutTest, ARefusedChildIsRetriedUntilTheWaitEndsOnTheMonotonicClock) {
  Report(/*pending=*/true);
  absl::StatusOr<int64_t> id = auto_->Request(1, "alice");
  ASSERT_TRUE(id.ok());
  refusal_ = absl::FailedPreconditionError("refusing to restart zookeeper: group healthy");
  EXPECT_EQ(Pass(*id).state(), v1::OPERATION_STATE_WAITING);
  clock_.SetMillis(clock_.NowMillis() + int64_t{24} * 3600 * 1000);  // the wall clock jumps a day
  EXPECT_EQ(Pass(*id).state(), v1::OPERATION_STATE_WAITING);
  clock_.AdvanceMillis(kWaitMs + 1);
  v1::Operation failed = Pass(*id);
  EXPECT_EQ(failed.state(), v1::OPERATION_STATE_FAILED);
  EXPECT_THAT(failed.reason(), HasSubstr("could not start: refusing to restart zookeeper"));
}

TEST_F(AutoRolloutTest, TheTimeWaitedSurvivesAControllerRestart) {
  absl::StatusOr<int64_t> id = auto_->Request(1, "alice");  // no agent reports: it waits
  ASSERT_TRUE(id.ok());
  Pass(*id);
  clock_.AdvanceMillis(kWaitMs - 60'000);
  EXPECT_EQ(Pass(*id).auto_rollout().waited_ms(), kWaitMs - 60'000);  // saved
  Restart();
  EXPECT_EQ(Pass(*id).state(), v1::OPERATION_STATE_WAITING);    // resumed at 9 min waited
  clock_.SetMillis(clock_.NowMillis() - int64_t{3600} * 1000);  // and the wall clock goes back
  clock_.AdvanceMillis(60'001);
  v1::Operation failed = Pass(*id);
  EXPECT_EQ(failed.state(), v1::OPERATION_STATE_FAILED);
  EXPECT_THAT(failed.reason(), HasSubstr("not every agent took version 1 within 600 s"));
}

TEST_F(AutoRolloutTest, ANewerVersionSupersedesIt) {
  absl::StatusOr<int64_t> id = auto_->Request(1, "alice");
  ASSERT_TRUE(id.ok());
  v1::ApplyRequest apply;
  apply.set_spec_text(absl::StrCat(kSpec, "zookeeper:\n  tick_time_ms: 3000\n"));
  ASSERT_TRUE(state_->Apply(apply).ok());
  v1::Operation aborted = Pass(*id);
  EXPECT_EQ(aborted.state(), v1::OPERATION_STATE_ABORTED);
  EXPECT_EQ(aborted.reason(), "superseded by version 2");
}

}  // namespace
}  // namespace bamctl
