// Store::Prune against a real SQLite file: what retention deletes, what it
// keeps (versions in use), its bounds per pass, and the errors for a version
// it pruned.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "controller/store/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/commit_requests.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kDayMs = int64_t{24} * 3600 * 1000;

class StoreRetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("store_retention");
    absl::StatusOr<std::unique_ptr<Store>> store =
        Store::Open((dir_ / "controller.db").string(), &clock_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  // Versions 1..n, each with two plans and a host list.
  void Commit(int n) {
    for (int i = 0; i < n; ++i) {
      CommitRequest r = testing::TwoNodeCommit(absl::StrCat("name: v", next_));
      r.hosts.add_entries()->set_name(absl::StrCat("h", next_));
      ++next_;
      ASSERT_TRUE(store_->CommitVersion(r).ok());
    }
  }

  std::vector<int64_t> Versions() {
    absl::StatusOr<std::vector<VersionRecord>> versions = store_->ListVersions(1000);
    EXPECT_TRUE(versions.ok()) << versions.status();
    std::vector<int64_t> out;
    for (const VersionRecord& v : versions.value_or(std::vector<VersionRecord>())) {
      out.push_back(v.version);
    }
    return out;
  }

  std::vector<EventRecord> Events() { return *store_->ListEvents(100000); }

  static RetentionPolicy KeepVersions(int64_t n) {
    RetentionPolicy policy;
    policy.max_versions = n;
    return policy;
  }

  fs::path dir_;
  FakeClock clock_;
  std::unique_ptr<Store> store_;
  int next_ = 1;
};

// 10 versions, keep 3: 1..7 go but for those in use (a node holds 2, a
// waiting auto-rollout names 4); a finished operation pins nothing (5).
TEST_F(StoreRetentionTest, KeepsTheNewestVersionsAndThoseInUse) {
  Commit(10);
  v1::NodeReport report;
  report.set_node("n1");
  report.set_applied_version(2);
  ASSERT_TRUE(store_->RecordReports({report}).ok());
  v1::Operation waiting;
  waiting.set_kind(v1::OPERATION_KIND_AUTO_ROLLOUT);
  waiting.set_state(v1::OPERATION_STATE_WAITING);
  waiting.set_version(4);
  ASSERT_TRUE(store_->CreateOperation(waiting, "").ok());
  v1::Operation done = waiting;
  done.set_state(v1::OPERATION_STATE_SUCCEEDED);
  done.set_version(5);
  ASSERT_TRUE(store_->CreateOperation(done, "").ok());

  absl::StatusOr<PruneResult> pruned = store_->Prune(KeepVersions(3));
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->versions, 5);
  EXPECT_EQ(pruned->events, 0);
  EXPECT_FALSE(pruned->more);
  EXPECT_THAT(Versions(), ElementsAre(10, 9, 8, 4, 2));
  // A pruned version's plans and host list went with it; a kept one's stay.
  EXPECT_TRUE(store_->GetPlans(1)->empty());
  EXPECT_EQ(store_->GetHosts(1).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetPlans(2)->size(), 2u);
  EXPECT_EQ(store_->GetHosts(4)->entries(0).name(), "h4");
  EXPECT_EQ(store_->GetVersion(8)->spec_text, "name: v8");

  std::vector<EventRecord> events = Events();
  EXPECT_EQ(events[0].kind, "retention");
  EXPECT_EQ(events[0].message, "pruned 0 events and 5 versions (versions 1, 3, 5, 6, 7)");

  // Nothing more to prune: no pass, no event.
  const size_t before = events.size();
  pruned = store_->Prune(KeepVersions(3));
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->versions, 0);
  EXPECT_EQ(Events().size(), before);

  // Once nothing uses 2 and 4, they go too; the current version never does.
  report.set_applied_version(10);
  ASSERT_TRUE(store_->RecordReports({report}).ok());
  waiting.set_id(1);
  waiting.set_state(v1::OPERATION_STATE_SUCCEEDED);
  ASSERT_TRUE(store_->UpdateOperation(waiting, "").ok());
  ASSERT_TRUE(store_->Prune(KeepVersions(1)).ok());
  EXPECT_THAT(Versions(), ElementsAre(10));
  EXPECT_EQ(Events()[0].message, "pruned 0 events and 4 versions (versions 2, 4, 8, 9)");
}

TEST_F(StoreRetentionTest, RollbackToAPrunedVersionSaysSoAndChangesNothing) {
  Commit(5);
  ASSERT_TRUE(store_->Prune(KeepVersions(2)).ok());
  ASSERT_THAT(Versions(), ElementsAre(5, 4));
  const size_t events = Events().size();

  absl::StatusOr<CommitResult> r = store_->Rollback(2, "bob", std::nullopt);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(),
            "version 2 was pruned by the controller's retention (--retain_versions); the oldest "
            "version kept is 4 (bamctl desired-state history lists those kept)");
  EXPECT_EQ(*store_->CurrentVersion(), 5);
  EXPECT_THAT(Versions(), ElementsAre(5, 4));
  EXPECT_EQ(Events().size(), events);

  // The same for reading it; a version never stored is not "pruned".
  for (const absl::Status& s :
       {store_->GetVersion(1).status(), store_->GetEffectiveSpec(3).status(),
        store_->GetHosts(3).status()}) {
    EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
    EXPECT_THAT(s.message(), HasSubstr("pruned by the controller's retention"));
  }
  EXPECT_EQ(store_->Rollback(9, "bob", std::nullopt).status().message(),
            "no version 9; the current version is 5");
  EXPECT_EQ(store_->GetVersion(0).status().message(), "no version 0; the current version is 5");

  // A kept one still rolls back.
  r = store_->Rollback(4, "bob", 5);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->version, 6);
}

// Foreign keys: a kept version that restored a pruned one loses the
// reference (its comment keeps the number), or the delete would fail.
TEST_F(StoreRetentionTest, AKeptRollbackOfAPrunedVersionKeepsItsComment) {
  Commit(2);
  ASSERT_TRUE(store_->Rollback(1, "bob", 2).ok());  // version 3
  Commit(2);
  absl::StatusOr<PruneResult> pruned = store_->Prune(KeepVersions(3));
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_THAT(Versions(), ElementsAre(5, 4, 3));
  absl::StatusOr<VersionRecord> v3 = store_->GetVersion(3);
  ASSERT_TRUE(v3.ok());
  EXPECT_EQ(v3->rollback_of, 0);
  EXPECT_EQ(v3->comment, "rollback to version 1");
  EXPECT_EQ(v3->spec_text, "name: v1");
}

TEST_F(StoreRetentionTest, EventsAreCappedWithTheRetentionEventAmongThoseKept) {
  for (int i = 1; i <= 20; ++i) {
    ASSERT_TRUE(store_->RecordEvent("test", "", "", absl::StrCat("e", i)).ok());
  }
  RetentionPolicy policy;
  policy.max_events = 5;
  absl::StatusOr<PruneResult> pruned = store_->Prune(policy);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->events, 16);
  std::vector<EventRecord> events = Events();
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].kind, "retention");
  EXPECT_EQ(events[0].message, "pruned 16 events and 0 versions");
  EXPECT_EQ(events[1].message, "e20");
  EXPECT_EQ(events[4].message, "e17");

  // A full log that gained nothing: nothing pruned, no new event.
  pruned = store_->Prune(policy);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->events, 0);
  EXPECT_EQ(Events()[0].message, "pruned 16 events and 0 versions");
  EXPECT_EQ(Events().size(), 5u);

  // Versions pruned with a full log: their event is still the 5th.
  Commit(3);
  policy.max_versions = 1;
  ASSERT_TRUE(store_->Prune(policy).ok());
  events = Events();
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].message, "pruned 4 events and 2 versions (versions 1 to 2)");
}

TEST_F(StoreRetentionTest, EventsOlderThanTheAgeLimitArePruned) {
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(store_->RecordEvent("test", "", "", "old").ok());
  clock_.AdvanceMillis(2 * kDayMs);
  for (int i = 1; i <= 2; ++i) ASSERT_TRUE(store_->RecordEvent("test", "", "", "new").ok());
  RetentionPolicy policy;
  policy.max_event_age_ms = kDayMs;
  absl::StatusOr<PruneResult> pruned = store_->Prune(policy);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->events, 3);
  std::vector<EventRecord> events = Events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kind, "retention");
  EXPECT_EQ(events[1].message, "new");
  EXPECT_EQ(events[2].message, "new");
}

// A pass deletes at most its bounds (one short transaction); the backlog
// goes in the next passes, which `more` asks for.
TEST_F(StoreRetentionTest, APassIsBoundedAndSaysWhenMoreRemains) {
  for (int i = 1; i <= 25; ++i) ASSERT_TRUE(store_->RecordEvent("test", "", "", "e").ok());
  RetentionPolicy policy;
  policy.max_events = 5;
  policy.events_per_pass = 10;
  std::vector<int64_t> counts;
  for (int pass = 0; pass < 4; ++pass) {
    absl::StatusOr<PruneResult> pruned = store_->Prune(policy);
    ASSERT_TRUE(pruned.ok()) << pruned.status();
    counts.push_back(pruned->events);
    EXPECT_EQ(pruned->more, pass < 2) << pass;
  }
  EXPECT_THAT(counts, ElementsAre(10, 10, 3, 0));
  EXPECT_EQ(Events().size(), 5u);

  Commit(6);
  RetentionPolicy versions = KeepVersions(1);
  versions.versions_per_pass = 2;
  absl::StatusOr<PruneResult> pruned = store_->Prune(versions);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->versions, 2);
  EXPECT_TRUE(pruned->more);
  EXPECT_THAT(Versions(), ElementsAre(6, 5, 4, 3));
}

TEST_F(StoreRetentionTest, ZeroKeepsAllAndNegativeLimitsAreRefused) {
  Commit(3);
  absl::StatusOr<PruneResult> pruned = store_->Prune(RetentionPolicy());
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->versions + pruned->events, 0);
  EXPECT_THAT(Versions(), ElementsAre(3, 2, 1));

  RetentionPolicy bad;
  bad.max_versions = -1;
  EXPECT_EQ(store_->Prune(bad).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Versions(), ElementsAre(3, 2, 1));
}

TEST_F(StoreRetentionTest, PrunedStateSurvivesReopen) {
  Commit(4);
  ASSERT_TRUE(store_->Prune(KeepVersions(2)).ok());
  store_.reset();
  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::Open((dir_ / "controller.db").string(), &clock_);
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = *std::move(store);
  EXPECT_THAT(Versions(), ElementsAre(4, 3));
  EXPECT_THAT(store_->GetVersion(1).status().message(), HasSubstr("the oldest version kept is 3"));
}

}  // namespace
}  // namespace bamctl
