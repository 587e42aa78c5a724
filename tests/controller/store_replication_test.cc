// The store's replicated writes: a leader's writes, applied in log order by
// another replica, give the same state; entries are applied once, in order;
// a snapshot moves a store's history into an empty one.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "controller/store/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/commit_requests.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// A write log in memory: Commit appends and applies to the leader's own
// store with the entry's index, as controller/ha's Replica does.
class MemoryLog : public WriteLog {
 public:
  MemoryLog(Store* leader, const Clock* clock) : leader_(leader), clock_(clock) {}
  absl::StatusOr<v1::StoreWriteResult> Commit(v1::StoreWrite write) override {
    write.set_time_ms(clock_->NowMillis());
    entries.push_back(write);
    return leader_->ApplyWrite(write, static_cast<int64_t>(entries.size()));
  }
  std::vector<v1::StoreWrite> entries;

 private:
  Store* leader_;
  const Clock* clock_;
};

class StoreReplicationTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("store_replication_test"); }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Store> Open(const std::string& name) {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open((dir_ / name).string(), &clock_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  static CommitRequest Request(const std::string& text) { return testing::TwoNodeCommit(text); }

  // Everything replicated, as text, to compare two stores.
  static std::string Dump(Store& store) {
    std::string out;
    auto versions = store.ListVersions(1000);
    EXPECT_TRUE(versions.ok()) << versions.status();
    for (const VersionRecord& v : *versions) {
      absl::StrAppend(&out, "v", v.version, " ", v.content_hash, " ", v.author, " ", v.comment, " ",
                      v.created_ms, " ", v.rollback_of, "\n");
      auto plans = store.GetPlans(v.version);
      EXPECT_TRUE(plans.ok()) << plans.status();
      for (const v1::NodePlan& p : *plans) absl::StrAppend(&out, "  ", p.ShortDebugString(), "\n");
    }
    absl::StrAppend(&out, "epoch ", *store.Epoch(), "\n");
    auto ops = store.ListOperations(1000, false);
    EXPECT_TRUE(ops.ok()) << ops.status();
    for (const v1::Operation& op : *ops) absl::StrAppend(&out, op.ShortDebugString(), "\n");
    auto events = store.ListEvents(1000);
    EXPECT_TRUE(events.ok()) << events.status();
    for (const EventRecord& e : *events) {
      absl::StrAppend(&out, e.id, " ", e.time_ms, " ", e.kind, " ", e.actor, " ", e.node, " ",
                      e.message, "\n");
    }
    return out;
  }

  // Writes some of every kind through `leader`.
  void WriteHistory(Store& leader) {
    ASSERT_TRUE(leader.CommitVersion(Request("one")).ok());
    clock_.AdvanceMillis(10);
    ASSERT_TRUE(leader.CommitVersion(Request("two")).ok());
    ASSERT_TRUE(leader.Rollback(1, "bob", std::nullopt).ok());
    ASSERT_TRUE(leader.AdvanceEpoch(2, "n1", "took it back").ok());
    v1::Operation op;
    op.set_role("zookeeper");
    op.set_author("alice");
    absl::StatusOr<int64_t> id = leader.CreateOperation(op, "started");
    ASSERT_TRUE(id.ok()) << id.status();
    op.set_id(*id);
    op.set_state(v1::OPERATION_STATE_RUNNING);
    clock_.AdvanceMillis(10);
    ASSERT_TRUE(leader.UpdateOperation(op, "running").ok());
    NodeTokenRecord token{"n1", "alice", clock_.NowMillis(), clock_.NowMillis() + 60'000, 0};
    ASSERT_TRUE(leader.AddNodeToken("hash1", token).ok());
    ASSERT_EQ(*leader.RedeemNodeToken("hash1"), "n1");
    ASSERT_TRUE(leader.RecordEvent("renew", "n1", "n1", "renewed").ok());
  }

  fs::path dir_;
  FakeClock clock_;
};

TEST_F(StoreReplicationTest, AReplicaApplyingTheLogHasTheLeadersState) {
  auto leader = Open("leader.db");
  auto follower = Open("follower.db");
  MemoryLog log(leader.get(), &clock_);
  leader->SetWriteLog(&log);
  WriteHistory(*leader);
  // A request the log refuses as a request: a used token. Its entry is
  // applied (it failed) on both.
  absl::StatusOr<std::string> again = leader->RedeemNodeToken("hash1");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  clock_.AdvanceMillis(5000);  // the follower applies later: times come from the entries
  for (size_t i = 0; i < log.entries.size(); ++i) {
    absl::StatusOr<v1::StoreWriteResult> r =
        follower->ApplyWrite(log.entries[i], static_cast<int64_t>(i + 1));
    if (i + 1 == log.entries.size()) {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
    } else {
      EXPECT_TRUE(r.ok()) << i << ": " << r.status();
    }
  }
  EXPECT_EQ(Dump(*follower), Dump(*leader));
  EXPECT_EQ(follower->GetReplicaState()->applied_index, static_cast<int64_t>(log.entries.size()));
  EXPECT_EQ(leader->GetReplicaState()->applied_index, static_cast<int64_t>(log.entries.size()));
}

TEST_F(StoreReplicationTest, EntriesApplyOnceAndInOrder) {
  auto leader = Open("leader.db");
  auto follower = Open("follower.db");
  MemoryLog log(leader.get(), &clock_);
  leader->SetWriteLog(&log);
  ASSERT_TRUE(leader->CommitVersion(Request("one")).ok());
  ASSERT_TRUE(leader->CommitVersion(Request("two")).ok());
  absl::StatusOr<v1::StoreWriteResult> skipped = follower->ApplyWrite(log.entries[1], 2);
  EXPECT_EQ(skipped.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(skipped.status().message(), HasSubstr("out of order"));
  ASSERT_TRUE(follower->ApplyWrite(log.entries[0], 1).ok());
  absl::StatusOr<v1::StoreWriteResult> twice = follower->ApplyWrite(log.entries[0], 1);
  EXPECT_THAT(twice.status().message(), HasSubstr("out of order"));
  EXPECT_EQ(*follower->CurrentVersion(), 1);
  ASSERT_TRUE(follower->ApplyWrite(log.entries[1], 2).ok());
  EXPECT_EQ(*follower->CurrentVersion(), 2);
}

TEST_F(StoreReplicationTest, ADryRunGivesTheResultAndStoresNothing) {
  auto store = Open("a.db");
  v1::StoreWrite write;
  write.set_time_ms(1);
  write.mutable_commit()->set_spec_text("one");
  absl::StatusOr<v1::StoreWriteResult> dry = store->ApplyWrite(write, 0, Store::ApplyMode::kDryRun);
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_EQ(dry->version(), 1);
  EXPECT_EQ(*store->CurrentVersion(), 0);
  write.mutable_commit()->set_expected_version(7);
  dry = store->ApplyWrite(write, 0, Store::ApplyMode::kDryRun);
  EXPECT_EQ(dry.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(dry.status().message(), HasSubstr("expected version 7"));
}

TEST_F(StoreReplicationTest, ASnapshotMovesHistoryIntoAnEmptyStoreOnly) {
  auto source = Open("source.db");
  WriteHistory(*source);
  absl::StatusOr<v1::StoreSnapshot> snapshot = source->Snapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  v1::StoreWrite entry;
  *entry.mutable_snapshot() = *snapshot;
  const std::string before = Dump(*source);

  // The source itself has it all: applying changes nothing but the index.
  ASSERT_TRUE(source->BindLog(42).ok());
  ASSERT_TRUE(source->ApplyWrite(entry, 1).ok());
  EXPECT_EQ(Dump(*source), before);
  // An empty database takes it whole.
  auto empty = Open("empty.db");
  ASSERT_TRUE(empty->BindLog(42).ok());
  ASSERT_TRUE(empty->ApplyWrite(entry, 1).ok());
  EXPECT_EQ(Dump(*empty), before);
  EXPECT_FALSE(empty->RedeemNodeToken("hash1").ok());  // used in the source
  // One with a history of its own refuses, and does not count it applied.
  auto other = Open("other.db");
  ASSERT_TRUE(other->CommitVersion(Request("mine")).ok());
  ASSERT_TRUE(other->BindLog(42).ok());
  absl::StatusOr<v1::StoreWriteResult> refused = other->ApplyWrite(entry, 1);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(refused.status().message(), HasSubstr("history of its own"));
  EXPECT_EQ(other->GetReplicaState()->applied_index, 0);
  EXPECT_EQ(*other->CurrentVersion(), 1);
}

TEST_F(StoreReplicationTest, ADatabaseFollowsOneLog) {
  auto store = Open("a.db");
  ReplicaState state = *store->GetReplicaState();
  EXPECT_NE(state.db_id, 0);
  EXPECT_EQ(state.log_id, 0);
  ASSERT_TRUE(store->BindLog(7).ok());
  ASSERT_TRUE(store->BindLog(7).ok());
  absl::Status other = store->BindLog(8);
  EXPECT_EQ(other.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(other.message(), HasSubstr("another commit log"));
  EXPECT_NE(Open("b.db")->GetReplicaState()->db_id, state.db_id);
}

}  // namespace
}  // namespace bamctl
