// The rollout engine against a real store (SQLite in a temp dir), a fake
// clock, a fake command channel, agents simulated by writing their reports,
// and ZooKeeper's four-letter words answered by the test.
#include <chrono>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "controller/rollout/engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/zookeeper_trio.h"

namespace bamctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class FakeSender : public CommandSender {
 public:
  bool SendCommand(const std::string& node, const v1::Command& command) override {
    sent.emplace_back(node, command);
    return true;
  }
  std::vector<std::pair<std::string, v1::Command>> sent;
};

class RolloutEngineTest : public testing::ZooKeeperTrioTest {
 protected:
  void SetUp() override {
    ZooKeeperTrioTest::SetUp();
    for (const char* node : {"zk1", "zk2", "zk3"}) Report(node, pid_[node] = next_pid_++);
    mode_ = {{"10.0.0.1", "follower"}, {"10.0.0.2", "leader"}, {"10.0.0.3", "follower"}};
    NewEngine();
  }
  void TearDown() override {
    engine_.reset();
    ZooKeeperTrioTest::TearDown();
  }

  // A fresh engine on the same store: a controller restart.
  void NewEngine() {
    engine_ = std::make_unique<RolloutEngine>(
        store_.get(), state_.get(), &sender_, &clock_,
        [this](const std::string& host, uint32_t,
               const std::string& word) -> absl::StatusOr<std::string> {
          const std::string mode = mode_[host];
          if (word == "srvr") return absl::StrCat("Zookeeper version: 3.8.0\nMode: ", mode, "\n");
          return absl::StrCat("zk_server_state\t", mode, "\nzk_synced_followers\t",
                              mode == "leader" ? synced_ : 0, "\n");
        },
        RolloutEngine::Options());
  }

  void Report(const std::string& node, int64_t pid, v1::Health health = v1::HEALTH_HEALTHY,
              bool pending = false) {
    ReportZooKeeper(node, pid, health, pending);
  }

  // The agent carries out the last command sent to `node`.
  void Restart(const std::string& node) {
    ASSERT_FALSE(sender_.sent.empty());
    const v1::Command& cmd = sender_.sent.back().second;
    Report(node, pid_[node] = next_pid_++);
    v1::CommandResult result;
    result.set_command_id(cmd.id());
    result.set_ok(true);
    ASSERT_TRUE(engine_->OnCommandResult(node, result).ok());
  }

  v1::Operation Op(int64_t id) {
    absl::StatusOr<v1::Operation> op = store_->GetOperation(id);
    EXPECT_TRUE(op.ok()) << op.status();
    return op.ok() ? *op : v1::Operation();
  }

  FakeSender sender_;
  std::unique_ptr<RolloutEngine> engine_;
  std::map<std::string, std::string> mode_;
  std::map<std::string, int64_t> pid_;
  int64_t next_pid_ = 100;
  int synced_ = 2;
};

TEST_F(RolloutEngineTest, RunsStepByStepLeaderLastAndResumesAfterARestart) {
  v1::RollingRestartRequest request;
  request.set_role("zookeeper");
  absl::StatusOr<v1::Operation> op = engine_->StartRollingRestart(request);
  ASSERT_TRUE(op.ok()) << op.status();
  EXPECT_EQ(op->state(), v1::OPERATION_STATE_RUNNING);
  ASSERT_EQ(op->steps_size(), 3);
  EXPECT_THAT(op->steps(2).nodes(), ElementsAre("zk2"));  // the leader

  engine_->Tick();
  ASSERT_EQ(sender_.sent.size(), 1u);
  EXPECT_EQ(sender_.sent[0].first, "zk1");
  EXPECT_EQ(sender_.sent[0].second.kind(), v1::COMMAND_KIND_RESTART);
  EXPECT_EQ(sender_.sent[0].second.service(), "zookeeper");
  EXPECT_EQ(Op(op->id()).steps(0).state(), v1::STEP_STATE_RESTARTING);

  engine_->Tick();  // not restarted yet: nothing new
  EXPECT_EQ(sender_.sent.size(), 1u);
  EXPECT_THAT(Op(op->id()).steps(0).message(), HasSubstr("not restarted yet"));
  Restart("zk1");
  synced_ = 1;  // the leader has not seen it sync yet
  engine_->Tick();
  EXPECT_THAT(Op(op->id()).steps(0).message(), HasSubstr("1 of 2 followers synced"));
  synced_ = 2;
  engine_->Tick();
  EXPECT_EQ(Op(op->id()).steps(0).state(), v1::STEP_STATE_DONE);

  engine_->Tick();  // step 2: zk3
  ASSERT_EQ(sender_.sent.size(), 2u);
  EXPECT_EQ(sender_.sent[1].first, "zk3");
  const std::string step2_command = sender_.sent[1].second.id();

  // The controller dies here and a new one starts: the step resumes, its
  // command is sent again with the same id (the agent answers without a
  // second restart), zk1 is not touched again.
  NewEngine();
  engine_->Tick();
  ASSERT_EQ(sender_.sent.size(), 3u);
  EXPECT_EQ(sender_.sent[2].first, "zk3");
  EXPECT_EQ(sender_.sent[2].second.id(), step2_command);
  Restart("zk3");
  engine_->Tick();
  engine_->Tick();
  ASSERT_EQ(sender_.sent.size(), 4u);
  EXPECT_EQ(sender_.sent[3].first, "zk2");
  mode_ = {{"10.0.0.1", "follower"}, {"10.0.0.2", "follower"}, {"10.0.0.3", "leader"}};
  Restart("zk2");
  engine_->Tick();
  engine_->Tick();
  v1::Operation done = Op(op->id());
  EXPECT_EQ(done.state(), v1::OPERATION_STATE_SUCCEEDED) << done.DebugString();
  for (const auto& [node, cmd] : sender_.sent) EXPECT_NE(cmd.id(), "");
}

TEST_F(RolloutEngineTest, AResultCountsOnlyFromTheNodeTheCommandWasSentTo) {
  v1::RollingRestartRequest request;
  request.set_role("zookeeper");
  absl::StatusOr<v1::Operation> op = engine_->StartRollingRestart(request);
  ASSERT_TRUE(op.ok()) << op.status();
  engine_->Tick();
  ASSERT_EQ(sender_.sent.size(), 1u);
  ASSERT_EQ(sender_.sent[0].first, "zk1");
  v1::CommandResult forged;
  forged.set_command_id(sender_.sent[0].second.id());
  forged.set_ok(false);
  forged.set_message("failed on purpose");

  // zk3 answering zk1's command, or anyone answering an unknown id: refused
  // in the same words, and the step goes on.
  absl::Status refused = engine_->OnCommandResult("zk3", forged);
  EXPECT_EQ(refused.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(refused.message(), HasSubstr("awaits an answer from zk3"));
  forged.set_command_id("op1-step9-zk1");
  EXPECT_EQ(engine_->OnCommandResult("zk1", forged).code(), absl::StatusCode::kNotFound);
  engine_->Tick();
  EXPECT_EQ(Op(op->id()).steps(0).state(), v1::STEP_STATE_RESTARTING);

  // zk1's own answer counts, once; its message is kept cut.
  forged.set_command_id(sender_.sent[0].second.id());
  forged.set_message(std::string(5000, 'x'));
  ASSERT_TRUE(engine_->OnCommandResult("zk1", forged).ok());
  EXPECT_EQ(engine_->OnCommandResult("zk1", forged).code(), absl::StatusCode::kAlreadyExists);
  engine_->Tick();
  v1::Operation failed = Op(op->id());
  EXPECT_EQ(failed.steps(0).state(), v1::STEP_STATE_FAILED);
  EXPECT_LT(failed.steps(0).message().size(), 1200u);
  EXPECT_THAT(failed.steps(0).message(), HasSubstr("bytes cut)"));
}

TEST_F(RolloutEngineTest, AStepThatDoesNotComeBackStopsTheOperation) {
  v1::RollingRestartRequest request;
  request.set_role("zookeeper");
  request.set_health_timeout_ms(60'000);
  absl::StatusOr<v1::Operation> op = engine_->StartRollingRestart(request);
  ASSERT_TRUE(op.ok());
  engine_->Tick();
  Report("zk1", next_pid_++, v1::HEALTH_UNHEALTHY);  // restarted, never healthy
  clock_.AdvanceMillis(60'001);
  engine_->Tick();
  v1::Operation failed = Op(op->id());
  EXPECT_EQ(failed.state(), v1::OPERATION_STATE_FAILED);
  EXPECT_EQ(failed.steps(0).state(), v1::STEP_STATE_FAILED);
  EXPECT_THAT(failed.reason(), HasSubstr("step 1 failed: not healthy within 60 s: zk1"));
  EXPECT_EQ(failed.steps(1).state(), v1::STEP_STATE_PENDING);
  engine_->Tick();
  for (const auto& [node, cmd] : sender_.sent) EXPECT_EQ(node, "zk1");  // nothing after it
}

TEST_F(RolloutEngineTest, ContinuingPastAFailureIsOnlyForRolesWithoutAQuorum) {
  v1::RollingRestartRequest request;
  request.set_role("zookeeper");
  request.set_continue_on_failure(true);
  absl::StatusOr<v1::Operation> op = engine_->StartRollingRestart(request);
  ASSERT_FALSE(op.ok());
  EXPECT_EQ(op.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(op.status().message()),
              HasSubstr("would restart more zookeeper instances while a failed one is down"));
}

TEST_F(RolloutEngineTest, OneOperationPerServiceAndControls) {
  v1::RollingRestartRequest request;
  request.set_role("zookeeper");
  absl::StatusOr<v1::Operation> op = engine_->StartRollingRestart(request);
  ASSERT_TRUE(op.ok());
  absl::StatusOr<v1::Operation> second = engine_->StartRollingRestart(request);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists);

  v1::ControlOperationRequest control;
  control.set_id(op->id());
  control.set_action(v1::OPERATION_ACTION_PAUSE);
  ASSERT_TRUE(engine_->Control(control).ok());
  engine_->Tick();
  EXPECT_TRUE(sender_.sent.empty());  // paused: nothing sent
  control.set_action(v1::OPERATION_ACTION_RESUME);
  ASSERT_TRUE(engine_->Control(control).ok());
  engine_->Tick();
  EXPECT_EQ(sender_.sent.size(), 1u);
  control.set_action(v1::OPERATION_ACTION_ABORT);
  absl::StatusOr<v1::Operation> aborted = engine_->Control(control);
  ASSERT_TRUE(aborted.ok());
  EXPECT_EQ(aborted->state(), v1::OPERATION_STATE_ABORTED);
  control.set_action(v1::OPERATION_ACTION_RESUME);
  EXPECT_EQ(engine_->Control(control).status().code(), absl::StatusCode::kFailedPrecondition);
  // The dry run changes nothing and needs no free slot.
  request.set_dry_run(true);
  absl::StatusOr<v1::Operation> plan = engine_->StartRollingRestart(request);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->state(), v1::OPERATION_STATE_PLANNED);
  EXPECT_EQ(plan->id(), 0);
}

TEST_F(RolloutEngineTest, AutoRolloutWaitsForTheVersionThenRestartsWhatIsPending) {
  v1::ApplyRequest apply;
  apply.set_spec_text(std::string(kSpec) + "zookeeper:\n  tick_time_ms: 3000\n");
  absl::StatusOr<v1::ApplyResponse> v2 = state_->Apply(apply);
  ASSERT_TRUE(v2.ok()) << v2.status();
  absl::StatusOr<int64_t> auto_id = engine_->RequestPendingRollout(v2->version(), "alice");
  ASSERT_TRUE(auto_id.ok()) << auto_id.status();
  engine_->Tick();  // the agents still hold version 1
  EXPECT_EQ(Op(*auto_id).state(), v1::OPERATION_STATE_WAITING);
  EXPECT_TRUE(sender_.sent.empty());

  for (const char* node : {"zk1", "zk2", "zk3"}) Report(node, pid_[node], v1::HEALTH_HEALTHY, true);
  engine_->Tick();  // starts the child; its first step on the next round
  v1::Operation waiting = Op(*auto_id);
  EXPECT_EQ(waiting.state(), v1::OPERATION_STATE_WAITING);
  EXPECT_TRUE(waiting.steps().empty());
  ASSERT_EQ(waiting.auto_rollout().children_size(), 1);
  EXPECT_EQ(waiting.auto_rollout().children(0).service(), "zookeeper");
  EXPECT_EQ(waiting.auto_rollout().children(0).role(), "zookeeper");
  const int64_t child_id = waiting.auto_rollout().children(0).operation_id();
  EXPECT_THAT(waiting.reason(), HasSubstr(absl::StrCat("started zookeeper (operation ", child_id)));
  v1::Operation child = Op(child_id);
  EXPECT_EQ(child.state(), v1::OPERATION_STATE_RUNNING);
  EXPECT_EQ(child.service(), "zookeeper");
  EXPECT_EQ(child.steps_size(), 3);

  // An operator aborts the child: the auto-rollout does not start another.
  v1::ControlOperationRequest abort;
  abort.set_id(child_id);
  abort.set_action(v1::OPERATION_ACTION_ABORT);
  ASSERT_TRUE(engine_->Control(abort).ok());
  engine_->Tick();
  v1::Operation done = Op(*auto_id);
  EXPECT_EQ(done.state(), v1::OPERATION_STATE_SUCCEEDED);
  EXPECT_THAT(done.reason(), HasSubstr(absl::StrCat("left pending: zookeeper (operation ", child_id,
                                                    " aborted)")));
}

TEST_F(RolloutEngineTest, AutoRolloutOfAnOlderVersionIsSuperseded) {
  absl::StatusOr<int64_t> auto_id = engine_->RequestPendingRollout(1, "alice");
  ASSERT_TRUE(auto_id.ok());
  v1::ApplyRequest apply;
  apply.set_spec_text(std::string(kSpec) + "zookeeper:\n  tick_time_ms: 3000\n");
  ASSERT_TRUE(state_->Apply(apply).ok());
  engine_->Tick();
  EXPECT_EQ(Op(*auto_id).state(), v1::OPERATION_STATE_ABORTED);
  EXPECT_THAT(Op(*auto_id).reason(), HasSubstr("superseded by version 2"));
}

TEST_F(RolloutEngineTest, RefusesWhileAMemberIsUnhealthy) {
  Report("zk3", pid_["zk3"], v1::HEALTH_UNHEALTHY);
  v1::RollingRestartRequest request;
  request.set_role("zookeeper");
  absl::StatusOr<v1::Operation> op = engine_->StartRollingRestart(request);
  ASSERT_FALSE(op.ok());
  EXPECT_EQ(op.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(op.status().message()), HasSubstr("zk3 (not healthy)"));
  absl::StatusOr<std::vector<v1::Operation>> ops = store_->ListOperations(10, false);
  ASSERT_TRUE(ops.ok());
  EXPECT_TRUE(ops->empty());  // a refused request stores nothing
}

// Waits (bounded, in real time) until the engine's thread has run a pass
// after `passes` and parked in the clock's wait again.
::testing::AssertionResult AwaitPassAfter(const RolloutEngine& engine, const FakeClock& clock,
                                          int64_t passes) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    if (engine.PassesForTest() > passes && clock.waiters() > 0) {
      return ::testing::AssertionSuccess();
    }
    std::this_thread::yield();
  }
  return ::testing::AssertionFailure() << "no engine pass after " << passes << " within 10 s";
}

TEST_F(RolloutEngineTest, AWallClockStepNeitherFailsNorProlongsAStep) {
  v1::RollingRestartRequest request;
  request.set_role("zookeeper");
  request.set_health_timeout_ms(60'000);
  absl::StatusOr<v1::Operation> op = engine_->StartRollingRestart(request);
  ASSERT_TRUE(op.ok()) << op.status();
  Report("zk1", next_pid_++, v1::HEALTH_UNHEALTHY);  // restarted, never healthy

  // The engine's own thread, driven by the fake clock: no sleeps.
  engine_->Start();
  ASSERT_TRUE(AwaitPassAfter(*engine_, clock_, 0));
  EXPECT_EQ(Op(op->id()).steps(0).state(), v1::STEP_STATE_RESTARTING);

  // The wall clock jumps two hours ahead: the step has not run that long.
  int64_t passes = engine_->PassesForTest();
  clock_.SetMillis(clock_.NowMillis() + int64_t{2} * 3600 * 1000);
  clock_.AdvanceMillis(250);  // one tick
  ASSERT_TRUE(AwaitPassAfter(*engine_, clock_, passes));
  EXPECT_EQ(Op(op->id()).state(), v1::OPERATION_STATE_RUNNING);
  EXPECT_EQ(Op(op->id()).steps(0).state(), v1::STEP_STATE_RESTARTING);

  // It jumps four hours back: the deadline is where it was, 60 s after the
  // step started on the monotonic clock.
  passes = engine_->PassesForTest();
  clock_.SetMillis(clock_.NowMillis() - int64_t{4} * 3600 * 1000);
  clock_.AdvanceMillis(59'000);
  ASSERT_TRUE(AwaitPassAfter(*engine_, clock_, passes));
  EXPECT_EQ(Op(op->id()).state(), v1::OPERATION_STATE_RUNNING);
  passes = engine_->PassesForTest();
  clock_.AdvanceMillis(1'000);
  ASSERT_TRUE(AwaitPassAfter(*engine_, clock_, passes));
  v1::Operation failed = Op(op->id());
  EXPECT_EQ(failed.state(), v1::OPERATION_STATE_FAILED);
  EXPECT_THAT(failed.reason(), HasSubstr("not healthy within 60 s"));
  engine_->Stop();
}

TEST_F(RolloutEngineTest, AStepsDeadlineSurvivesAControllerRestart) {
  v1::RollingRestartRequest request;
  request.set_role("zookeeper");
  request.set_health_timeout_ms(60'000);
  absl::StatusOr<v1::Operation> op = engine_->StartRollingRestart(request);
  ASSERT_TRUE(op.ok()) << op.status();
  engine_->Tick();
  Report("zk1", next_pid_++, v1::HEALTH_UNHEALTHY);
  clock_.AdvanceMillis(50'000);
  engine_->Tick();
  EXPECT_EQ(Op(op->id()).steps(0).elapsed_ms(), 50'000);  // saved with the step

  // A new controller, and a wall clock set back an hour: the step is
  // credited the 50 s it ran, neither restarted nor stretched.
  NewEngine();
  engine_->Tick();
  clock_.SetMillis(clock_.NowMillis() - int64_t{3600} * 1000);
  clock_.AdvanceMillis(9'000);
  engine_->Tick();
  EXPECT_EQ(Op(op->id()).state(), v1::OPERATION_STATE_RUNNING);
  clock_.AdvanceMillis(1'001);
  engine_->Tick();
  EXPECT_EQ(Op(op->id()).state(), v1::OPERATION_STATE_FAILED);
}

TEST_F(RolloutEngineTest, ThePauseBetweenStepsIsMonotonic) {
  v1::RollingRestartRequest request;
  request.set_role("zookeeper");
  request.set_pause_between_ms(30'000);
  absl::StatusOr<v1::Operation> op = engine_->StartRollingRestart(request);
  ASSERT_TRUE(op.ok()) << op.status();
  engine_->Tick();
  Restart("zk1");
  engine_->Tick();
  ASSERT_EQ(Op(op->id()).steps(0).state(), v1::STEP_STATE_DONE);
  clock_.SetMillis(clock_.NowMillis() + int64_t{3600} * 1000);  // no pause is over by this
  engine_->Tick();
  EXPECT_EQ(Op(op->id()).steps(1).state(), v1::STEP_STATE_PENDING);
  EXPECT_EQ(sender_.sent.size(), 1u);
  clock_.AdvanceMillis(30'000);
  engine_->Tick();
  EXPECT_EQ(Op(op->id()).steps(1).state(), v1::STEP_STATE_RESTARTING);
  EXPECT_EQ(sender_.sent.size(), 2u);
}

}  // namespace
}  // namespace bamctl
