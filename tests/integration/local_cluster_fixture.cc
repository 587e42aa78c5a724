#include "tests/integration/local_cluster_fixture.h"

#include <signal.h>

#include "tests/util/test_util.h"

namespace bamctl::testing {

namespace fs = std::filesystem;

bool Alive(int64_t pid) { return pid > 0 && kill(static_cast<pid_t>(pid), 0) == 0; }

void LocalClusterFixture::SetUp() {
  if (std::string missing = MissingLocalClusterParts(settings_.emulated); !missing.empty()) {
    GTEST_SKIP() << missing;
  }
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  dir_ = MakeTempDir(std::string(test->test_suite_name()) + "_");
  absl::StatusOr<std::unique_ptr<LocalCluster>> cluster =
      LocalCluster::Create(dir_, spec_text_, settings_.cluster);
  ASSERT_TRUE(cluster.ok()) << cluster.status() << "\nlogs in " << dir_.string();
  cluster_ = std::move(*cluster);
  absl::Status started = cluster_->StartAgents();
  ASSERT_TRUE(started.ok()) << started;
  absl::StatusOr<v1::GetStatusResponse> status =
      cluster_->WaitConverged(settings_.converge_timeout);
  ASSERT_TRUE(status.ok()) << status.status();
  converged_ = *status;
}

void LocalClusterFixture::TearDown() {
  cluster_.reset();  // kills the agents, the controller and every role
  if (!HasFailure() && !dir_.empty()) fs::remove_all(dir_);
}

int64_t LocalClusterFixture::RolePid(const std::string& node, const std::string& service) {
  absl::StatusOr<v1::GetStatusResponse> status = cluster_->Status();
  if (!status.ok()) return 0;
  const v1::RoleStatus* role = LocalCluster::FindRole(*status, node, service);
  return role == nullptr ? 0 : role->pid();
}

std::map<std::string, int64_t> LocalClusterFixture::RolePids(const std::string& service) {
  std::map<std::string, int64_t> pids;
  absl::StatusOr<v1::GetStatusResponse> status = cluster_->Status();
  for (const std::string& node : cluster_->nodes()) {
    const v1::RoleStatus* role =
        status.ok() ? LocalCluster::FindRole(*status, node, service) : nullptr;
    pids[node] = role == nullptr ? 0 : role->pid();
  }
  return pids;
}

}  // namespace bamctl::testing
