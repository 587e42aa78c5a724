// DesiredState against a real store: when an apply asks for an auto-rollout.
#include "controller/cluster/desired_state.h"

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kSpec[] =
    "name: state-test\nrender_addresses: true\nnodes:\n"
    "  - {name: zk1, address: 10.0.0.1, roles: [zookeeper]}\n";

class FakeRollouts : public PendingRollouts {
 public:
  absl::StatusOr<int64_t> RequestPendingRollout(int64_t version,
                                                const std::string& author) override {
    requests.emplace_back(version, author);
    if (!fail.ok()) return fail;
    return 70 + version;
  }
  std::vector<std::pair<int64_t, std::string>> requests;
  absl::Status fail;
};

class DesiredStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("desired_state");
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open((dir_ / "c.db").string(), &clock_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    state_ = std::make_unique<DesiredState>(store_.get());
    state_->SetPendingRollouts(&rollouts_);
  }
  void TearDown() override {
    state_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  absl::StatusOr<v1::ApplyResponse> Apply(const std::string& text, bool rollout = false,
                                          bool dry_run = false) {
    v1::ApplyRequest request;
    request.set_spec_text(text);
    request.set_author("alice");
    request.set_rollout(rollout);
    request.set_dry_run(dry_run);
    return state_->Apply(request);
  }

  fs::path dir_;
  FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<DesiredState> state_;
  FakeRollouts rollouts_;
};

TEST_F(DesiredStateTest, ApplyAsksForAnAutoRolloutWhenTheRequestDoes) {
  absl::StatusOr<v1::ApplyResponse> plain = Apply(kSpec);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_TRUE(rollouts_.requests.empty());
  EXPECT_EQ(plain->rollout_operation(), 0);

  absl::StatusOr<v1::ApplyResponse> asked =
      Apply(std::string(kSpec) + "zookeeper:\n  tick_time_ms: 3000\n", /*rollout=*/true);
  ASSERT_TRUE(asked.ok()) << asked.status();
  ASSERT_EQ(rollouts_.requests.size(), 1u);
  EXPECT_EQ(rollouts_.requests[0], std::make_pair(int64_t{2}, std::string("alice")));
  EXPECT_EQ(asked->rollout_operation(), 72);
}

TEST_F(DesiredStateTest, ApplyAsksForAnAutoRolloutWhenTheSpecDoes) {
  const std::string spec = std::string(kSpec) + "auto_rolling_restart: true\n";
  absl::StatusOr<v1::ApplyResponse> first = Apply(spec);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(rollouts_.requests.size(), 1u);
  EXPECT_EQ(first->rollout_operation(), 71);
  // Nothing new stored: nothing to roll out.
  ASSERT_TRUE(Apply(spec, /*rollout=*/true).ok());
  ASSERT_TRUE(Apply(spec + "# a dry run\n", /*rollout=*/true, /*dry_run=*/true).ok());
  EXPECT_EQ(rollouts_.requests.size(), 1u);
}

TEST_F(DesiredStateTest, AFailedAutoRolloutRequestSaysTheVersionIsStored) {
  rollouts_.fail = absl::UnavailableError("database is locked");
  absl::StatusOr<v1::ApplyResponse> applied = Apply(kSpec, /*rollout=*/true);
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(applied.status().message()),
              HasSubstr("version 1 is stored, but its auto-rollout is not: database is locked"));
  EXPECT_EQ(*store_->CurrentVersion(), 1);
}

TEST_F(DesiredStateTest, WithoutARolloutEngineApplyNeverAsks) {
  state_->SetPendingRollouts(nullptr);
  absl::StatusOr<v1::ApplyResponse> applied = Apply(kSpec, /*rollout=*/true);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(applied->rollout_operation(), 0);
  EXPECT_TRUE(rollouts_.requests.empty());
}

TEST_F(DesiredStateTest, TextThatIsNotUtf8IsRefusedWithWhereItBreaksAndNothingStored) {
  std::string text = kSpec;
  text.insert(text.find("zk1") + 2, "\xff");  // line 4, in the node's name
  absl::StatusOr<v1::ApplyResponse> applied = Apply(text);
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(applied.status().message(), HasSubstr(":4:"));
  EXPECT_THAT(applied.status().message(),
              HasSubstr("not UTF-8 text: invalid byte 0xff at offset "));
  EXPECT_EQ(*store_->CurrentVersion(), 0);
}

// An agent holding a version newer than any of this controller's, in the
// controller's epoch: the controller was restored from an older backup.
TEST_F(DesiredStateTest, ANewerVersionOfItsOwnEpochMakesTheControllerTakeTheClusterBack) {
  std::vector<int64_t> pushed;
  state_->SetVersionListener([&](int64_t version) { pushed.push_back(version); });
  ASSERT_TRUE(Apply(kSpec).ok());
  pushed.clear();
  EXPECT_FALSE(*state_->ObserveAgent("zk1", 1, 1));  // what it sent: nothing to do
  EXPECT_FALSE(*state_->ObserveAgent("zk1", 0, 9));  // an agent from before epochs
  EXPECT_TRUE(pushed.empty());
  EXPECT_EQ((*state_->CurrentPlans())->epoch, 1);

  absl::StatusOr<bool> taken = state_->ObserveAgent("zk1", 1, 7);
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_TRUE(*taken);
  EXPECT_EQ(*store_->Epoch(), 2);  // persisted before any plan carries it
  EXPECT_EQ((*state_->CurrentPlans())->epoch, 2);
  EXPECT_EQ(pushed, std::vector<int64_t>{1});  // the plans go out in the new epoch
  EXPECT_EQ(state_->Status()->epoch(), 2);
  auto events = store_->ListEvents(1);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->at(0).kind, "take-back");
  EXPECT_EQ(events->at(0).node, "zk1");
  EXPECT_THAT(events->at(0).message,
              HasSubstr("node zk1 holds version 7 of epoch 1, but this controller's newest is "
                        "version 1 of epoch 1"));
  EXPECT_THAT(events->at(0).message, HasSubstr("takes the cluster back in epoch 2"));

  // The next agent saying the same compares with the new epoch.
  EXPECT_FALSE(*state_->ObserveAgent("zk1", 1, 7));
  EXPECT_EQ(*store_->Epoch(), 2);
}

// A fresh database (epoch 1) meeting agents of a controller that took the
// cluster back before (epoch 3): it moves above every epoch it has seen, and
// with no version yet it sends nothing until the first apply.
TEST_F(DesiredStateTest, AHigherEpochMakesAFreshControllerMoveAboveIt) {
  std::vector<int64_t> pushed;
  state_->SetVersionListener([&](int64_t version) { pushed.push_back(version); });
  ASSERT_TRUE(*state_->ObserveAgent("zk1", 3, 2));
  EXPECT_EQ(*store_->Epoch(), 4);
  EXPECT_EQ(pushed, std::vector<int64_t>{0});
  EXPECT_TRUE((*state_->CurrentPlans())->plans.empty());
  auto events = store_->ListEvents(1);
  ASSERT_TRUE(events.ok());
  EXPECT_THAT(events->at(0).message, HasSubstr("this controller has no version yet (epoch 1)"));

  absl::StatusOr<v1::ApplyResponse> applied = Apply(kSpec);
  ASSERT_TRUE(applied.ok()) << applied.status();
  auto current = state_->CurrentPlans();
  ASSERT_TRUE(current.ok());
  EXPECT_EQ((*current)->epoch, 4);
  EXPECT_EQ((*current)->version, 1);
  EXPECT_FALSE(*state_->ObserveAgent("zk1", 3, 2));
}

}  // namespace
}  // namespace bamctl
