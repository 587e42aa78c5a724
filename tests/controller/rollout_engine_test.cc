// The rollout engine against a real store (SQLite in a temp dir), a fake
// clock, a fake command channel, agents simulated by writing their reports,
// and ZooKeeper's four-letter words answered by the test.
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

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
  EXPECT_EQ(waiting.auto_rollout().children(0).role(), "");
  const int64_t child_id = waiting.auto_rollout().children(0).operation_id();
  EXPECT_THAT(waiting.reason(), HasSubstr(absl::StrCat("started zookeeper (operation ", child_id)));
  v1::Operation child = Op(child_id);
  EXPECT_EQ(child.state(), v1::OPERATION_STATE_RUNNING);
  EXPECT_EQ(child.role(), "");  // everything pending
  ASSERT_EQ(child.steps_size(), 3);
  for (const v1::RolloutStep& step : child.steps()) EXPECT_EQ(step.service(), "zookeeper");

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

// The trio with Cassandra beside ZooKeeper and Hadoop on every node (the
// masters on zk1): the services a rollout of everything pending goes
// through, and operations that share the hosts.
class WholeClusterRolloutTest : public RolloutEngineTest {
 protected:
  static constexpr char kClusterSpec[] =
      "name: zookeeper-trio\nrender_addresses: true\nnodes:\n"
      "  - {name: zk1, address: 10.0.0.1, roles: [zookeeper, cassandra, namenode, jobtracker, "
      "datanode, tasktracker]}\n"
      "  - {name: zk2, address: 10.0.0.2, roles: [zookeeper, cassandra, datanode, tasktracker]}\n"
      "  - {name: zk3, address: 10.0.0.3, roles: [zookeeper, cassandra, datanode, tasktracker]}\n";

  void SetUp() override {
    RolloutEngineTest::SetUp();
    Apply("");
    for (const char* node : {"zk1", "zk2", "zk3"}) {
      for (const std::string& service : Services(node)) {
        pids_[{node, service}] = service == "zookeeper" ? pid_[node] : next_pid_++;
      }
      ReportAll(node);
    }
  }

  static std::vector<std::string> Services(const std::string& node) {
    if (node == "zk1") {
      return {"zookeeper", "cassandra", "namenode", "jobtracker", "datanode", "tasktracker"};
    }
    return {"zookeeper", "cassandra", "datanode", "tasktracker"};
  }

  void Apply(const std::string& extra) {
    v1::ApplyRequest apply;
    apply.set_spec_text(std::string(kClusterSpec) + extra);
    absl::StatusOr<v1::ApplyResponse> applied = state_->Apply(apply);
    ASSERT_TRUE(applied.ok()) << applied.status();
  }

  // `node`'s agent reports each of its services: its pid, healthy unless
  // in `unhealthy_`, pending while `pending_` and not restarted since.
  void ReportAll(const std::string& node) {
    std::vector<ServiceReport> reports;
    for (const std::string& service : Services(node)) {
      const std::pair<std::string, std::string> key{node, service};
      reports.push_back({service, pids_[key],
                         unhealthy_.contains(key) ? v1::HEALTH_UNHEALTHY : v1::HEALTH_HEALTHY,
                         pending_ && !restarted_.contains(key)});
    }
    ReportServices(node, reports);
  }

  // `node`'s agent carries out `command`: a new process, healthy, nothing
  // pending for it any more.
  void Carry(const std::string& node, const v1::Command& command) {
    if (command.kind() == v1::COMMAND_KIND_PEER_VIEW) {
      AnswerView(node, command);
      return;
    }
    const std::pair<std::string, std::string> key{node, command.service()};
    pids_[key] = next_pid_++;
    if (command.service() == "zookeeper") pid_[node] = pids_[key];
    restarted_.insert(key);
    ReportAll(node);
    v1::CommandResult result;
    result.set_command_id(command.id());
    result.set_ok(true);
    ASSERT_TRUE(engine_->OnCommandResult(node, result).ok());
  }

  // A rolling restart of zk2's Cassandra, after the tick that sends its
  // restart command.
  absl::StatusOr<v1::Operation> RestartCassandraOnZk2() {
    v1::RollingRestartRequest cassandra;
    cassandra.set_role("cassandra");
    cassandra.add_nodes("zk2");
    absl::StatusOr<v1::Operation> op = engine_->StartRollingRestart(cassandra);
    if (op.ok()) engine_->Tick();
    return op;
  }

  // `node`'s agent answers a peer view with its `nodetool status`: every
  // Cassandra node up and normal but those `down_in_view_` has for it.
  void AnswerView(const std::string& node, const v1::Command& command) {
    std::string ring = "Datacenter: datacenter1\n=======================\n";
    for (const char* address : {"10.0.0.1", "10.0.0.2", "10.0.0.3"}) {
      const bool down = down_in_view_.contains({node, address});
      absl::StrAppend(&ring, down ? "DN  " : "UN  ", address, "  36.4 KB  1  33.3%  rack1\n");
    }
    v1::CommandResult result;
    result.set_command_id(command.id());
    result.set_ok(true);
    result.set_output(ring);
    ASSERT_TRUE(engine_->OnCommandResult(node, result).ok());
  }

  // Hosts with a step restarting now, across every operation.
  std::set<std::string> Disrupted() {
    std::set<std::string> hosts;
    absl::StatusOr<std::vector<v1::Operation>> ops = store_->ListOperations(100, true);
    EXPECT_TRUE(ops.ok()) << ops.status();
    for (const v1::Operation& op : ops.ok() ? *ops : std::vector<v1::Operation>()) {
      for (const v1::RolloutStep& s : op.steps()) {
        if (s.state() == v1::STEP_STATE_RESTARTING) {
          hosts.insert(s.nodes().begin(), s.nodes().end());
        }
      }
    }
    return hosts;
  }

  // Ticks until no operation runs (at most `ticks`), carrying out each
  // command and checking the budget at every tick; returns "node service"
  // of each command in the order they were sent.
  std::vector<std::string> RunToEnd(size_t budget, int ticks = 100) {
    std::vector<std::string> order;
    size_t carried = 0;
    for (int i = 0; i < ticks; ++i) {
      engine_->Tick();
      EXPECT_LE(Disrupted().size(), budget) << "tick " << i;
      while (carried < sender_.sent.size()) {
        const auto [node, command] = sender_.sent[carried++];
        if (command.kind() == v1::COMMAND_KIND_RESTART) {
          order.push_back(absl::StrCat(node, " ", command.service()));
        }
        Carry(node, command);
      }
      absl::StatusOr<std::vector<v1::Operation>> active = store_->ListOperations(100, true);
      if (active.ok() && active->empty()) break;
    }
    return order;
  }

  static v1::ControlOperationRequest Abort(int64_t id) {
    v1::ControlOperationRequest abort;
    abort.set_id(id);
    abort.set_action(v1::OPERATION_ACTION_ABORT);
    return abort;
  }

  std::map<std::pair<std::string, std::string>, int64_t> pids_;
  std::set<std::pair<std::string, std::string>> restarted_;
  std::set<std::pair<std::string, std::string>> unhealthy_;
  std::set<std::pair<std::string, std::string>> down_in_view_;  // viewer, address
  bool pending_ = false;
};

TEST_F(WholeClusterRolloutTest, EverythingPendingIsOneOperationServiceGroupByServiceGroup) {
  pending_ = true;
  for (const char* node : {"zk1", "zk2", "zk3"}) ReportAll(node);
  v1::RollingRestartRequest request;
  request.set_pending_only(true);  // and no role: everything pending
  request.set_dry_run(true);
  absl::StatusOr<v1::Operation> plan = engine_->StartRollingRestart(request);
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::vector<std::string> steps;
  for (const v1::RolloutStep& s : plan->steps()) {
    steps.push_back(absl::StrCat(s.nodes(0), " ", s.service()));
  }
  // ZooKeeper (followers, the leader zk2 last), Cassandra, HDFS, MapReduce;
  // the single masters are left to an operator.
  const std::vector<std::string> expected = {
      "zk1 zookeeper", "zk3 zookeeper",   "zk2 zookeeper",   "zk1 cassandra",
      "zk2 cassandra", "zk3 cassandra",   "zk1 datanode",    "zk2 datanode",
      "zk3 datanode",  "zk1 tasktracker", "zk2 tasktracker", "zk3 tasktracker"};
  EXPECT_EQ(steps, expected);
  EXPECT_THAT(plan->left_pending(), ElementsAre("namenode (needs --allow-downtime)",
                                                "jobtracker (needs --allow-downtime)"));
  std::vector<std::string> checks;
  for (const v1::PreCheckResult& c : plan->checks()) checks.push_back(c.name());
  EXPECT_THAT(checks, ElementsAre("zookeeper: group healthy", "zookeeper: one leader",
                                  "cassandra: group healthy", "datanode: group healthy",
                                  "tasktracker: group healthy"));
  EXPECT_THAT(plan->order(), HasSubstr("service groups in dependency order; zookeeper: "));
  EXPECT_THAT(plan->order(), HasSubstr("; cassandra: one node at a time"));

  // With --allow-downtime the masters go first in their groups.
  request.set_allow_downtime(true);
  plan = engine_->StartRollingRestart(request);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->steps(6).service(), "namenode");
  EXPECT_EQ(plan->steps(10).service(), "jobtracker");
  EXPECT_TRUE(plan->left_pending().empty());

  request.set_allow_downtime(false);
  request.set_dry_run(false);
  absl::StatusOr<v1::Operation> op = engine_->StartRollingRestart(request);
  ASSERT_TRUE(op.ok()) << op.status();
  EXPECT_EQ(op->role(), "");
  // Any of its services alone is refused while it runs.
  v1::RollingRestartRequest cassandra;
  cassandra.set_role("cassandra");
  EXPECT_EQ(engine_->StartRollingRestart(cassandra).status().code(),
            absl::StatusCode::kAlreadyExists);

  EXPECT_EQ(RunToEnd(1), expected);
  const v1::Operation done = Op(op->id());
  EXPECT_EQ(done.state(), v1::OPERATION_STATE_SUCCEEDED);
  EXPECT_EQ(done.left_pending_size(), 2);
}

TEST_F(WholeClusterRolloutTest, OnlySingleMastersPendingIsRefusedAsNeedingDowntime) {
  pending_ = true;
  restarted_ = {
      {"zk1", "zookeeper"}, {"zk1", "cassandra"}, {"zk1", "datanode"}, {"zk1", "tasktracker"}};
  for (const char* node : {"zk1"}) ReportAll(node);
  v1::RollingRestartRequest request;
  request.set_pending_only(true);
  absl::StatusOr<v1::Operation> op = engine_->StartRollingRestart(request);
  ASSERT_FALSE(op.ok());
  EXPECT_EQ(RolloutRefusalOf(op.status()), RolloutRefusal::kNeedsDowntime);
  EXPECT_THAT(std::string(op.status().message()),
              HasSubstr("left pending: namenode (needs --allow-downtime), jobtracker"));
}

TEST_F(WholeClusterRolloutTest, NothingPendingIsRefusedAndARoleOrPendingIsNeeded) {
  v1::RollingRestartRequest request;
  request.set_pending_only(true);
  absl::StatusOr<v1::Operation> op = engine_->StartRollingRestart(request);
  EXPECT_EQ(op.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(op.status().message()), HasSubstr("no service has a restart pending"));
  request.set_pending_only(false);
  op = engine_->StartRollingRestart(request);
  EXPECT_EQ(op.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(op.status().message()), HasSubstr("--pending without one"));
  absl::StatusOr<std::vector<v1::Operation>> ops = store_->ListOperations(10, false);
  ASSERT_TRUE(ops.ok());
  EXPECT_TRUE(ops->empty());  // a refused request stores nothing
}

TEST_F(WholeClusterRolloutTest, ASecondOperationWaitsForTheDisruptionBudgetAndSaysSo) {
  v1::RollingRestartRequest zookeeper;
  zookeeper.set_role("zookeeper");
  absl::StatusOr<v1::Operation> first = engine_->StartRollingRestart(zookeeper);
  ASSERT_TRUE(first.ok()) << first.status();
  v1::RollingRestartRequest cassandra;
  cassandra.set_role("cassandra");
  cassandra.add_nodes("zk3");
  cassandra.add_nodes("zk2");
  absl::StatusOr<v1::Operation> second = engine_->StartRollingRestart(cassandra);
  ASSERT_TRUE(second.ok()) << second.status();

  engine_->Tick();  // zk1's ZooKeeper restarts; zk2's Cassandra may not
  ASSERT_EQ(sender_.sent.size(), 1u);
  EXPECT_EQ(sender_.sent[0].first, "zk1");
  EXPECT_EQ(Op(second->id()).steps(0).state(), v1::STEP_STATE_PENDING);
  EXPECT_EQ(Op(second->id()).steps(0).message(),
            absl::StrCat("waiting for the disruption budget (max_nodes_disrupted 1): zk1 "
                         "(operation ",
                         first->id(), " restarts zookeeper)"));
  // Both run to the end, never two hosts disturbed at once.
  RunToEnd(1);
  EXPECT_EQ(Op(first->id()).state(), v1::OPERATION_STATE_SUCCEEDED);
  EXPECT_EQ(Op(second->id()).state(), v1::OPERATION_STATE_SUCCEEDED);
}

TEST_F(WholeClusterRolloutTest, ALargerBudgetLetsOperationsOverlap) {
  Apply("max_nodes_disrupted: 2\n");
  for (const char* node : {"zk1", "zk2", "zk3"}) ReportAll(node);
  v1::RollingRestartRequest zookeeper;
  zookeeper.set_role("zookeeper");
  ASSERT_TRUE(engine_->StartRollingRestart(zookeeper).ok());
  v1::RollingRestartRequest cassandra;
  cassandra.set_role("cassandra");
  cassandra.add_nodes("zk3");
  ASSERT_TRUE(engine_->StartRollingRestart(cassandra).ok());
  engine_->Tick();
  EXPECT_EQ(sender_.sent.size(), 2u);  // zk1's ZooKeeper and zk3's Cassandra together
  EXPECT_EQ(Disrupted(), (std::set<std::string>{"zk1", "zk3"}));
}

TEST_F(WholeClusterRolloutTest, AHostWithARoleDownCountsUnlessForced) {
  unhealthy_ = {{"zk2", "cassandra"}};
  ReportAll("zk2");
  v1::RollingRestartRequest zookeeper;
  zookeeper.set_role("zookeeper");
  absl::StatusOr<v1::Operation> op = engine_->StartRollingRestart(zookeeper);
  ASSERT_TRUE(op.ok()) << op.status();  // ZooKeeper's own group is healthy
  engine_->Tick();
  EXPECT_TRUE(sender_.sent.empty());
  EXPECT_THAT(Op(op->id()).steps(0).message(), HasSubstr("zk2 (cassandra unhealthy)"));

  ASSERT_TRUE(engine_->Control(Abort(op->id())).ok());
  zookeeper.set_force(true);
  op = engine_->StartRollingRestart(zookeeper);
  ASSERT_TRUE(op.ok()) << op.status();
  EXPECT_TRUE(op->force());
  engine_->Tick();
  ASSERT_EQ(sender_.sent.size(), 1u);  // the operator accepted the risk
  EXPECT_EQ(sender_.sent[0].first, "zk1");
}

TEST_F(WholeClusterRolloutTest, ContinuingPastAFailureAcceptsTheHostItLeftDown) {
  v1::RollingRestartRequest tasktrackers;
  tasktrackers.set_role("tasktracker");
  tasktrackers.set_health_timeout_ms(1000);
  tasktrackers.set_continue_on_failure(true);
  absl::StatusOr<v1::Operation> op = engine_->StartRollingRestart(tasktrackers);
  ASSERT_TRUE(op.ok()) << op.status();
  engine_->Tick();
  ASSERT_EQ(sender_.sent.size(), 1u);
  // zk1's tasktracker comes back broken and stays so past the timeout.
  pids_[{"zk1", "tasktracker"}] = next_pid_++;
  unhealthy_ = {{"zk1", "tasktracker"}};
  ReportAll("zk1");
  clock_.AdvanceMillis(1001);
  engine_->Tick();
  ASSERT_EQ(Op(op->id()).steps(0).state(), v1::STEP_STATE_FAILED);
  engine_->Tick();  // zk1 is down by this operation's own failed step: accepted
  ASSERT_EQ(sender_.sent.size(), 2u);
  EXPECT_EQ(sender_.sent[1].first, "zk2");
}

// A restarted Cassandra node is back when the others' gossip sees it up,
// not when its own ports open: each other node's agent is asked for its
// `nodetool status` until it shows the node UN, every second, and one that
// did is not asked again.
TEST_F(WholeClusterRolloutTest, ACassandraNodeIsBackWhenItsPeersSeeItUp) {
  absl::StatusOr<v1::Operation> op = RestartCassandraOnZk2();
  ASSERT_TRUE(op.ok()) << op.status();
  ASSERT_EQ(sender_.sent.size(), 1u);
  const v1::Command restart = sender_.sent[0].second;
  EXPECT_EQ(restart.kind(), v1::COMMAND_KIND_RESTART);
  engine_->Tick();
  EXPECT_EQ(sender_.sent.size(), 1u) << "no view is asked before the node is back itself";

  down_in_view_ = {{"zk1", "10.0.0.2"}};  // zk1's failure detector has not caught up
  Carry("zk2", restart);
  engine_->Tick();
  ASSERT_EQ(sender_.sent.size(), 3u);
  std::set<std::string> asked;
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(sender_.sent[i].second.kind(), v1::COMMAND_KIND_PEER_VIEW);
    EXPECT_EQ(sender_.sent[i].second.service(), "cassandra");
    asked.insert(sender_.sent[i].first);
  }
  EXPECT_EQ(asked, (std::set<std::string>{"zk1", "zk3"}));
  EXPECT_THAT(Op(op->id()).steps(0).message(), HasSubstr("asked zk1 how it sees zk2"));
  const v1::Command zk1_view =
      sender_.sent[1].first == "zk1" ? sender_.sent[1].second : sender_.sent[2].second;
  // An answer carries the view only from the node asked.
  v1::CommandResult wrong;
  wrong.set_command_id(zk1_view.id());
  wrong.set_ok(true);
  wrong.set_output("Datacenter: dc1\nUN  10.0.0.2\n");
  EXPECT_EQ(engine_->OnCommandResult("zk3", wrong).code(), absl::StatusCode::kNotFound);
  Carry(sender_.sent[1].first, sender_.sent[1].second);
  Carry(sender_.sent[2].first, sender_.sent[2].second);
  engine_->Tick();
  v1::RolloutStep step = Op(op->id()).steps(0);
  EXPECT_EQ(step.state(), v1::STEP_STATE_RESTARTING);
  EXPECT_EQ(step.message(), "zk1 sees zk2 (10.0.0.2) DN");
  EXPECT_EQ(engine_->OnCommandResult("zk1", wrong).code(), absl::StatusCode::kAlreadyExists);

  clock_.AdvanceMillis(999);
  engine_->Tick();
  EXPECT_EQ(sender_.sent.size(), 3u) << "asked again only after a second";
  clock_.AdvanceMillis(1);
  engine_->Tick();
  ASSERT_EQ(sender_.sent.size(), 4u);
  EXPECT_EQ(sender_.sent[3].first, "zk1") << "zk3 saw zk2 up already";
  EXPECT_NE(sender_.sent[3].second.id(), zk1_view.id());
  // An agent's output is checked before it is believed.
  v1::CommandResult garbled;
  garbled.set_command_id(sender_.sent[3].second.id());
  garbled.set_ok(true);
  garbled.set_output("UN  10.0.0.2\n");
  ASSERT_TRUE(engine_->OnCommandResult("zk1", garbled).ok());
  engine_->Tick();
  EXPECT_THAT(Op(op->id()).steps(0).message(),
              HasSubstr("zk1's view: nodetool status output, line 1"));

  clock_.AdvanceMillis(1000);
  engine_->Tick();
  ASSERT_EQ(sender_.sent.size(), 5u);
  down_in_view_.clear();
  Carry(sender_.sent[4].first, sender_.sent[4].second);
  engine_->Tick();
  EXPECT_EQ(Op(op->id()).steps(0).state(), v1::STEP_STATE_DONE);
  engine_->Tick();
  EXPECT_EQ(Op(op->id()).state(), v1::OPERATION_STATE_SUCCEEDED);
}

// An aborted operation's commands and views are forgotten at the next
// tick: a late answer is refused, not kept.
TEST_F(WholeClusterRolloutTest, AnAbortedOperationsCommandsAreForgotten) {
  absl::StatusOr<v1::Operation> op = RestartCassandraOnZk2();
  ASSERT_TRUE(op.ok()) << op.status();
  ASSERT_EQ(sender_.sent.size(), 1u);
  ASSERT_TRUE(engine_->Control(Abort(op->id())).ok());
  engine_->Tick();
  v1::CommandResult late;
  late.set_command_id(sender_.sent[0].second.id());
  late.set_ok(true);
  EXPECT_EQ(engine_->OnCommandResult("zk2", late).code(), absl::StatusCode::kNotFound);
}

TEST_F(WholeClusterRolloutTest, ABatchLargerThanTheBudgetIsRefused) {
  v1::RollingRestartRequest datanodes;
  datanodes.set_role("datanode");
  datanodes.set_batch_size(2);  // HDFS would allow it (replication aside); the budget not
  absl::StatusOr<v1::Operation> op = engine_->StartRollingRestart(datanodes);
  ASSERT_FALSE(op.ok());
  EXPECT_EQ(op.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(op.status().message()),
              HasSubstr("would disrupt 2 hosts at once; the spec's max_nodes_disrupted is 1"));
  Apply("max_nodes_disrupted: 2\n");
  for (const char* node : {"zk1", "zk2", "zk3"}) ReportAll(node);
  EXPECT_TRUE(engine_->StartRollingRestart(datanodes).ok());
}

}  // namespace
}  // namespace bamctl
