#include "tests/util/zookeeper_trio.h"

#include "tests/util/test_util.h"

namespace bamctl::testing {

void ZooKeeperTrioTest::SetUp() {
  dir_ = MakeTempDir("zookeeper_trio");
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open((dir_ / "c.db").string(), &clock_);
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = *std::move(store);
  state_ = std::make_unique<DesiredState>(store_.get());
  v1::ApplyRequest apply;
  apply.set_spec_text(kSpec);
  absl::StatusOr<v1::ApplyResponse> applied = state_->Apply(apply);
  ASSERT_TRUE(applied.ok()) << applied.status();
}

void ZooKeeperTrioTest::TearDown() {
  state_.reset();
  store_.reset();
  std::filesystem::remove_all(dir_);
}

void ZooKeeperTrioTest::ReportServices(const std::string& node,
                                       const std::vector<ServiceReport>& services) {
  absl::StatusOr<std::shared_ptr<const DesiredState::Current>> current = state_->CurrentPlans();
  ASSERT_TRUE(current.ok()) << current.status();
  v1::NodeReport report;
  report.set_node(node);
  report.set_applied_version((*current)->version);
  report.set_applied_plan_hash((*current)->hashes[(*current)->by_node.at(node)]);
  for (const ServiceReport& s : services) {
    v1::RoleStatus* role = report.add_roles();
    role->set_service(s.service);
    role->set_phase(v1::PHASE_RUNNING);
    role->set_health(s.health);
    role->set_pid(s.pid);
    role->set_restart_pending(s.pending);
  }
  ASSERT_TRUE(store_->RecordReports({report}).ok());
}

}  // namespace bamctl::testing
