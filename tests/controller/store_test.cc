#include "controller/store/store.h"

#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/unknown_field_set.h"
#include "gtest/gtest.h"
#include "proto/enum_text.h"
#include "roles/spec/spec_loader.h"
#include "roles/topology/compiler.h"
#include "tests/controller/commit_requests.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("store_test");
    path_ = (dir_ / "controller.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Store> OpenOrDie() {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path_, &clock_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  static CommitRequest Request(const std::string& text, std::optional<int64_t> expected = {}) {
    CommitRequest r = testing::TwoNodeCommit(text);
    r.comment = "test";
    r.expected_version = expected;
    return r;
  }

  fs::path dir_;
  std::string path_;
  FakeClock clock_;
};

TEST_F(StoreTest, FreshDatabaseHasNoVersion) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->CurrentVersion(), 0);
  EXPECT_TRUE(store->ListVersions(10)->empty());
  EXPECT_EQ(store->GetVersion(1).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, CommitStoresTextPlansAndAnEvent) {
  auto store = OpenOrDie();
  absl::StatusOr<CommitResult> r = store->CommitVersion(Request("name: a\n"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->version, 1);
  EXPECT_FALSE(r->unchanged);
  absl::StatusOr<VersionRecord> v = store->GetVersion(1);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->spec_text, "name: a\n");
  EXPECT_EQ(v->author, "alice");
  EXPECT_EQ(v->created_ms, clock_.NowMillis());
  EXPECT_EQ(v->content_hash.size(), 64u);
  auto plans = store->GetPlans(1);
  ASSERT_TRUE(plans.ok());
  ASSERT_EQ(plans->size(), 2u);
  EXPECT_EQ((*plans)[1].node(), "n2");
  EXPECT_EQ(store->GetEffectiveSpec(1)->name(), "c");
  auto events = store->ListEvents(10);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].kind, "apply");
  EXPECT_EQ((*events)[0].actor, "alice");
}

TEST_F(StoreTest, SameTextIsUnchanged) {
  auto store = OpenOrDie();
  ASSERT_TRUE(store->CommitVersion(Request("name: a\n")).ok());
  absl::StatusOr<CommitResult> again = store->CommitVersion(Request("name: a\n"));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->unchanged);
  EXPECT_EQ(again->version, 1);
  EXPECT_EQ(*store->CurrentVersion(), 1);
}

TEST_F(StoreTest, StaleExpectedVersionIsRefusedWithBothNumbers) {
  auto store = OpenOrDie();
  ASSERT_TRUE(store->CommitVersion(Request("a")).ok());
  ASSERT_TRUE(store->CommitVersion(Request("b")).ok());
  absl::StatusOr<CommitResult> stale = store->CommitVersion(Request("c", 1));
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(stale.status().message()),
              HasSubstr("expected version 1 but the current version is 2"));
  EXPECT_EQ(*store->CurrentVersion(), 2);  // nothing changed
  EXPECT_EQ(store->ListEvents(10)->size(), 2u);
  EXPECT_EQ(store->CommitVersion(Request("c", 2))->version, 3);
}

TEST_F(StoreTest, RollbackCreatesANewVersionEqualToTheOld) {
  auto store = OpenOrDie();
  ASSERT_TRUE(store->CommitVersion(Request("one")).ok());
  ASSERT_TRUE(store->CommitVersion(Request("two")).ok());
  absl::StatusOr<CommitResult> r = store->Rollback(1, "bob", 2);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->version, 3);
  auto v = store->GetVersion(3);
  EXPECT_EQ(v->spec_text, "one");
  EXPECT_EQ(v->rollback_of, 1);
  EXPECT_EQ(v->author, "bob");
  auto plans = store->GetPlans(3);
  ASSERT_EQ(plans->size(), 2u);
  EXPECT_EQ((*plans)[0].cluster_name(), "one");
  EXPECT_EQ(store->Rollback(9, "bob", {}).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->Rollback(1, "bob", 2).status().code(), absl::StatusCode::kFailedPrecondition);
  auto versions = store->ListVersions(2);
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].version, 3);
}

TEST_F(StoreTest, ReportsAndConnections) {
  auto store = OpenOrDie();
  v1::NodeReport report;
  report.set_node("n1");
  report.set_agent_version("0.1.0");
  report.set_applied_version(4);
  v1::RoleStatus* zk = report.add_roles();
  zk->set_service("zookeeper");
  zk->set_phase(v1::PHASE_RUNNING);
  zk->set_health(v1::HEALTH_HEALTHY);
  ASSERT_TRUE(store->RecordReports({report}).ok());
  ASSERT_TRUE(store->SetConnected("n2", false).ok());
  auto nodes = store->ListNodes();
  ASSERT_TRUE(nodes.ok()) << nodes.status();
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ((*nodes)[0].name, "n1");
  EXPECT_TRUE((*nodes)[0].connected);
  EXPECT_EQ((*nodes)[0].applied_version, 4);
  ASSERT_EQ((*nodes)[0].roles.size(), 1u);
  EXPECT_EQ((*nodes)[0].roles[0].health(), v1::HEALTH_HEALTHY);
  EXPECT_FALSE((*nodes)[1].connected);
  // A newer report replaces the role list.
  report.clear_roles();
  ASSERT_TRUE(store->RecordReports({report}).ok());
  EXPECT_TRUE(store->ListNodes()->at(0).roles.empty());
  // A controller that starts (or stops leading) has no agent connected.
  ASSERT_TRUE(store->DisconnectAll().ok());
  EXPECT_FALSE(store->ListNodes()->at(0).connected);
  EXPECT_EQ(store->ListNodes()->at(0).applied_version, 4) << "only the flag changes";
}

TEST_F(StoreTest, AMalformedReportIsRefusedAloneAndTheBatchsOthersAreRecorded) {
  auto store = OpenOrDie();
  std::vector<v1::NodeReport> batch(3);
  for (int i = 0; i < 3; ++i) {
    batch[i].set_node(absl::StrCat("n", i + 1));
    batch[i].set_applied_version(2);
    batch[i].add_roles()->set_service("zookeeper");
  }
  batch[1].add_roles()->set_service("zookeeper");  // n2 reports zookeeper twice
  absl::Status s = store->RecordReports(batch);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              ::testing::HasSubstr("n2: service \"zookeeper\" is reported twice"));
  auto nodes = store->ListNodes();
  ASSERT_TRUE(nodes.ok()) << nodes.status();
  std::vector<std::string> names;
  for (const NodeRecord& n : *nodes) names.push_back(n.name);
  EXPECT_THAT(names, ::testing::ElementsAre("n1", "n3"));  // nothing stored for n2
}

TEST_F(StoreTest, ReportsKeepPreflightAndNotices) {
  auto store = OpenOrDie();
  v1::NodeReport report;
  report.set_node("n1");
  report.add_roles()->set_service("zookeeper");
  v1::PreflightCheck* check = report.add_preflight();
  check->set_name("java");
  check->set_severity(v1::SEVERITY_ERROR);
  check->set_message("no Java at /opt/jdk/bin/java");
  report.add_notices("restored /etc/zookeeper/conf/zoo.cfg: it was edited by hand");
  report.set_clock_offset_ms(-730);
  ASSERT_TRUE(store->RecordReports({report}).ok());
  auto nodes = store->ListNodes();
  ASSERT_TRUE(nodes.ok()) << nodes.status();
  const v1::NodeReport& extra = nodes->at(0).report_extra;
  ASSERT_EQ(extra.preflight_size(), 1);
  EXPECT_EQ(extra.preflight(0).message(), "no Java at /opt/jdk/bin/java");
  ASSERT_EQ(extra.notices_size(), 1);
  EXPECT_EQ(extra.clock_offset_ms(), -730);
  EXPECT_EQ(extra.roles_size(), 0);  // roles live in their own rows
}

TEST_F(StoreTest, KeepsWhereEachAgentServesMetrics) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->SetMetricsAddress("node1", "198.18.4.1:9465").ok());
  ASSERT_TRUE(store->SetConnected("node1", true).ok());
  ASSERT_TRUE(store->SetMetricsAddress("node2", "0.0.0.0:9465").ok());
  ASSERT_TRUE(store->SetMetricsAddress("node2", "0.0.0.0:9466").ok());  // a new one replaces it
  ASSERT_TRUE(store->SetConnected("node1", false).ok());                // and a disconnect keeps it
  absl::StatusOr<std::vector<NodeRecord>> nodes = store->ListNodes();
  ASSERT_TRUE(nodes.ok()) << nodes.status();
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ(nodes->at(0).metrics_address, "198.18.4.1:9465");
  EXPECT_FALSE(nodes->at(0).connected);
  EXPECT_EQ(nodes->at(1).metrics_address, "0.0.0.0:9466");
}

TEST_F(StoreTest, MigratesADatabaseOfTheFirstSchema) {
  // An operation as schema 1 stored it: kind, state and step states were
  // strings in fields that are reserved now.
  v1::Operation legacy;
  legacy.set_id(4);
  legacy.set_service("zookeeper");
  google::protobuf::UnknownFieldSet* fields = legacy.GetReflection()->MutableUnknownFields(&legacy);
  fields->AddLengthDelimited(2, "rolling-restart");
  fields->AddLengthDelimited(5, "paused");
  for (const char* state : {"done", "pending"}) {
    v1::RolloutStep* step = legacy.add_steps();
    step->GetReflection()->MutableUnknownFields(step)->AddLengthDelimited(3, state);
  }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    // Schema 1's tables that later migrations touch, with rows, as the
    // first release left them.
    ASSERT_EQ(sqlite3_exec(db,
                           "PRAGMA application_id = 1650552163;"
                           "CREATE TABLE nodes (name TEXT PRIMARY KEY, agent_version TEXT NOT "
                           "NULL DEFAULT '', connected INTEGER NOT NULL DEFAULT 0, last_seen_ms "
                           "INTEGER NOT NULL DEFAULT 0, applied_version INTEGER NOT NULL DEFAULT "
                           "0, applied_plan_hash TEXT NOT NULL DEFAULT '');"
                           "CREATE TABLE role_status (node TEXT NOT NULL REFERENCES "
                           "nodes(name) ON DELETE CASCADE, role TEXT NOT NULL, status BLOB NOT "
                           "NULL, PRIMARY KEY (node, role));"
                           "CREATE TABLE operations (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, "
                           "state TEXT NOT NULL, definition BLOB NOT NULL, created_ms INTEGER "
                           "NOT NULL, updated_ms INTEGER NOT NULL);"
                           "INSERT INTO nodes (name, applied_version) VALUES ('n1', 3);"
                           "INSERT INTO role_status VALUES ('n1', 'zookeeper', x'0a027a6b');"
                           "CREATE TABLE spec_versions (version INTEGER PRIMARY KEY, "
                           "effective_spec BLOB NOT NULL);"
                           "CREATE TABLE plans (version INTEGER NOT NULL, node TEXT NOT NULL, "
                           "plan BLOB NOT NULL, plan_hash TEXT NOT NULL);"
                           "PRAGMA user_version = 1;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_stmt* insert = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "INSERT INTO operations VALUES (4, 'rolling-restart', 'paused', "
                                 "?, 1, 1)",
                                 -1, &insert, nullptr),
              SQLITE_OK);
    const std::string blob = legacy.SerializeAsString();
    sqlite3_bind_blob(insert, 1, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(insert), SQLITE_DONE);
    sqlite3_finalize(insert);
    sqlite3_close(db);
  }
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path_, &clock_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(Store::SchemaVersion(), 10);
  EXPECT_EQ(*(*store)->Epoch(), 1);
  auto nodes = (*store)->ListNodes();
  ASSERT_TRUE(nodes.ok()) << nodes.status();
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ(nodes->at(0).applied_version, 3);
  EXPECT_EQ(nodes->at(0).metrics_address, "");  // migration 10: none said yet
  EXPECT_EQ(nodes->at(0).report_extra.ByteSizeLong(), 0u);
  EXPECT_TRUE(nodes->at(0).roles.empty());  // reports of the old shape are dropped

  auto active = (*store)->ListOperations(10, /*active_only=*/true);
  ASSERT_TRUE(active.ok()) << active.status();
  ASSERT_EQ(active->size(), 1u);
  const v1::Operation& op = active->at(0);
  EXPECT_EQ(op.kind(), v1::OPERATION_KIND_ROLLING_RESTART);
  EXPECT_EQ(op.state(), v1::OPERATION_STATE_PAUSED);
  ASSERT_EQ(op.steps_size(), 2);
  EXPECT_EQ(op.steps(0).state(), v1::STEP_STATE_DONE);
  EXPECT_EQ(op.steps(1).state(), v1::STEP_STATE_PENDING);
  EXPECT_EQ(op.GetReflection()->GetUnknownFields(op).field_count(), 0);
}

TEST_F(StoreTest, MigratesAutoRolloutsToTheirOwnMessage) {
  // Schema 3 kept an auto-rollout's children as fake steps: the service in
  // nodes(0), the child operation's id in command_ids(0).
  v1::Operation child;
  child.set_id(5);
  child.set_kind(v1::OPERATION_KIND_ROLLING_RESTART);
  child.set_state(v1::OPERATION_STATE_RUNNING);
  child.set_role("zookeeper");
  child.set_service("zookeeper");
  v1::Operation legacy;
  legacy.set_id(4);
  legacy.set_kind(v1::OPERATION_KIND_AUTO_ROLLOUT);
  legacy.set_state(v1::OPERATION_STATE_WAITING);
  legacy.set_version(2);
  v1::RolloutStep* step = legacy.add_steps();
  step->set_index(1);
  step->add_nodes("zookeeper");
  step->set_state(v1::STEP_STATE_DONE);
  step->set_started_ms(1234);
  step->set_message("operation 5");
  step->add_command_ids("5");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "PRAGMA application_id = 1650552163;"
                           "CREATE TABLE operations (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, "
                           "state TEXT NOT NULL, definition BLOB NOT NULL, created_ms INTEGER "
                           "NOT NULL, updated_ms INTEGER NOT NULL);"
                           "CREATE TABLE spec_versions (version INTEGER PRIMARY KEY, "
                           "effective_spec BLOB NOT NULL);"
                           "CREATE TABLE plans (version INTEGER NOT NULL, node TEXT NOT NULL, "
                           "plan BLOB NOT NULL, plan_hash TEXT NOT NULL);"
                           "CREATE TABLE nodes (name TEXT PRIMARY KEY);"
                           "PRAGMA user_version = 3;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    for (const v1::Operation* op : {&legacy, &child}) {
      sqlite3_stmt* insert = nullptr;
      ASSERT_EQ(sqlite3_prepare_v2(db, "INSERT INTO operations VALUES (?, ?, ?, ?, 1, 1)", -1,
                                   &insert, nullptr),
                SQLITE_OK);
      const std::string kind = EnumText(op->kind());
      const std::string state = EnumText(op->state());
      const std::string blob = op->SerializeAsString();
      sqlite3_bind_int64(insert, 1, op->id());
      sqlite3_bind_text(insert, 2, kind.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(insert, 3, state.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_blob(insert, 4, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
      ASSERT_EQ(sqlite3_step(insert), SQLITE_DONE);
      sqlite3_finalize(insert);
    }
    sqlite3_close(db);
  }
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<v1::Operation> op = store->GetOperation(4);
  ASSERT_TRUE(op.ok()) << op.status();
  EXPECT_EQ(op->steps_size(), 0);  // no fake steps any more
  ASSERT_EQ(op->auto_rollout().children_size(), 1);
  const v1::AutoRollout::Child& converted = op->auto_rollout().children(0);
  EXPECT_EQ(converted.service(), "zookeeper");
  EXPECT_EQ(converted.role(), "zookeeper");  // from the child operation
  EXPECT_EQ(converted.operation_id(), 5);
  EXPECT_EQ(converted.started_ms(), 1234);
  EXPECT_EQ(op->state(), v1::OPERATION_STATE_WAITING);
  absl::StatusOr<v1::Operation> untouched = store->GetOperation(5);
  ASSERT_TRUE(untouched.ok());
  EXPECT_EQ(untouched->SerializeAsString(), child.SerializeAsString());
}

TEST_F(StoreTest, PlansFromBeforeEndpointsAreCompiledAgainFromTheStoredSpec) {
  LoadedSpec seed = LoadSpec(testing::ReadSourceFile("examples/seed-cluster.yaml"));
  ASSERT_TRUE(seed.ok());
  {
    auto store = OpenOrDie();
    CommitRequest r = Request("seed");
    r.effective_spec = seed.spec;  // plans as an older controller stored them
    ASSERT_TRUE(store->CommitVersion(r).ok());
  }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 4", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<std::vector<v1::NodePlan>> plans = store->GetPlans(1);
  ASSERT_TRUE(plans.ok()) << plans.status();
  absl::StatusOr<v1::ClusterPlan> compiled = CompileTopology(seed.spec);
  ASSERT_TRUE(compiled.ok());
  ASSERT_EQ(plans->size(), static_cast<size_t>(compiled->nodes_size()));
  for (const v1::NodePlan& plan : *plans) {
    bool found = false;
    for (const v1::NodePlan& want : compiled->nodes()) {
      if (want.node() == plan.node()) {
        found = true;
        EXPECT_EQ(plan.SerializeAsString(), want.SerializeAsString()) << plan.node();
      }
    }
    EXPECT_TRUE(found) << plan.node();
  }
}

TEST_F(StoreTest, HostListIsStoredOncePerVersionAndRolledBackWithIt) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  CommitRequest r = Request("one");
  v1::HostEntry* entry = r.hosts.add_entries();
  entry->set_name("n1");
  entry->set_address("10.0.0.1");
  ASSERT_TRUE(store->CommitVersion(r).ok());
  ASSERT_TRUE(store->CommitVersion(Request("two")).ok());  // no host list
  absl::StatusOr<v1::HostList> one = store->GetHosts(1);
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_EQ(one->entries_size(), 1);
  EXPECT_EQ(one->entries(0).address(), "10.0.0.1");
  EXPECT_EQ(store->GetHosts(2)->entries_size(), 0);
  ASSERT_TRUE(store->Rollback(1, "bob", std::nullopt).ok());
  absl::StatusOr<v1::HostList> three = store->GetHosts(3);
  ASSERT_TRUE(three.ok()) << three.status();
  EXPECT_EQ(three->SerializeAsString(), one->SerializeAsString());
  EXPECT_EQ(store->GetHosts(9).status().code(), absl::StatusCode::kNotFound);
}

// Schema 7 stored a copy of the host list in every node's plan: migration 8
// keeps one per version and compiles the plans again without the copies.
TEST_F(StoreTest, PlansWithAHostListPerNodeKeepOneListPerVersion) {
  LoadedSpec seed = LoadSpec(testing::ReadSourceFile("examples/seed-cluster.yaml"));
  ASSERT_TRUE(seed.ok());
  absl::StatusOr<v1::ClusterPlan> compiled = CompileTopology(seed.spec);
  ASSERT_TRUE(compiled.ok());
  ASSERT_EQ(compiled->hosts().entries_size(), 5);
  {
    auto store = OpenOrDie();
    CommitRequest r = Request("seed");
    r.effective_spec = seed.spec;
    r.plans.clear();
    for (v1::NodePlan plan : compiled->nodes()) {  // as schema 6 stored them
      *plan.mutable_hosts() = compiled->hosts().entries();
      r.plans.push_back(plan);
    }
    ASSERT_TRUE(store->CommitVersion(r).ok());
  }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(
        sqlite3_exec(db, "ALTER TABLE spec_versions DROP COLUMN hosts; PRAGMA user_version = 7",
                     nullptr, nullptr, nullptr),
        SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<std::vector<v1::NodePlan>> plans = store->GetPlans(1);
  ASSERT_TRUE(plans.ok()) << plans.status();
  ASSERT_EQ(plans->size(), 5u);
  for (size_t i = 0; i < plans->size(); ++i) {
    EXPECT_EQ((*plans)[i].hosts_size(), 0) << (*plans)[i].node();
    EXPECT_EQ((*plans)[i].SerializeAsString(),
              compiled->nodes(static_cast<int>(i)).SerializeAsString());
  }
  absl::StatusOr<v1::HostList> hosts = store->GetHosts(1);
  ASSERT_TRUE(hosts.ok()) << hosts.status();
  EXPECT_EQ(hosts->SerializeAsString(), compiled->hosts().SerializeAsString());
}

TEST_F(StoreTest, StateSurvivesReopen) {
  {
    auto store = OpenOrDie();
    ASSERT_TRUE(store->CommitVersion(Request("kept")).ok());
  }
  auto store = OpenOrDie();
  EXPECT_EQ(*store->CurrentVersion(), 1);
  EXPECT_EQ(store->GetVersion(1)->spec_text, "kept");
}

TEST_F(StoreTest, TheEpochStartsAtOneOnlyRisesAndSurvivesReopen) {
  {
    auto store = OpenOrDie();
    EXPECT_EQ(*store->Epoch(), 1);
    ASSERT_TRUE(store->AdvanceEpoch(3, "n1", "taken back").ok());
    absl::Status back = store->AdvanceEpoch(3, "n2", "again");
    EXPECT_EQ(back.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(back.message()),
                HasSubstr("cannot move to epoch 3: the controller is at epoch 3 already"));
    auto events = store->ListEvents(10);
    ASSERT_TRUE(events.ok());
    ASSERT_EQ(events->size(), 1u);  // the refused move recorded nothing
    EXPECT_EQ(events->at(0).kind, "take-back");
    EXPECT_EQ(events->at(0).node, "n1");
    EXPECT_EQ(events->at(0).message, "taken back");
  }
  auto store = OpenOrDie();
  EXPECT_EQ(*store->Epoch(), 3);
}

// A database of schema 6 (before epochs) is at epoch 1 once migrated.
TEST_F(StoreTest, ADatabaseFromBeforeEpochsIsAtEpochOne) {
  {
    auto store = OpenOrDie();
    ASSERT_TRUE(store->CommitVersion(Request("old")).ok());
  }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(
        sqlite3_exec(db, "DROP TABLE settings; PRAGMA user_version = 6", nullptr, nullptr, nullptr),
        SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->Epoch(), 1);
  EXPECT_EQ(*store->CurrentVersion(), 1);
}

TEST_F(StoreTest, OneControllerPerDatabase) {
  auto first = OpenOrDie();
  absl::StatusOr<std::unique_ptr<Store>> second = Store::Open(path_, &clock_);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("in use by another"));
}

TEST_F(StoreTest, ForeignSqliteDatabaseIsRefused) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE other (x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path_, &clock_);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("is not a bam-controller database"));
}

TEST_F(StoreTest, NonDatabaseFileIsRefused) {
  std::ofstream(path_) << std::string(8192, 'x');
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path_, &clock_);
  EXPECT_FALSE(store.ok());
  EXPECT_THAT(std::string(store.status().message()), HasSubstr(path_));
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("not"));
}

TEST_F(StoreTest, NewerSchemaIsRefused) {
  { OpenOrDie(); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path_, &clock_);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("schema version 99, newer"));
}

TEST_F(StoreTest, DamagedFileGivesAnErrorNotACrash) {
  {
    auto store = OpenOrDie();
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(
          store->CommitVersion(Request(std::string(2000, 'a' + i % 26) + std::to_string(i))).ok());
    }
  }
  // Overwrite pages in the middle of the file (after a clean close the WAL
  // is checkpointed into it).
  std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(std::streamoff{4096} * 3);
  const std::string junk(size_t{4096} * 4, '\xA5');
  f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  f.close();
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path_, &clock_);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(std::string(store.status().message()), HasSubstr(path_));
}

TEST_F(StoreTest, UsesWalAndTheSchemaVersion) {
  { OpenOrDie(); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))), "wal");
  sqlite3_finalize(stmt);
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), Store::SchemaVersion());
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

}  // namespace
}  // namespace bamctl
