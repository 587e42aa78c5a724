#ifndef BAMCTL_TESTS_INTEGRATION_LOCAL_CLUSTER_FIXTURE_H_
#define BAMCTL_TESTS_INTEGRATION_LOCAL_CLUSTER_FIXTURE_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/integration/local_cluster.h"

namespace bamctl::testing {

// The base of tests that run one LocalCluster per test: a test states its
// spec (and options), SetUp lays the cluster out in a fresh temp dir on
// this process's loopback subnet, starts the controller and every agent,
// applies the spec and waits (bounded) until it has converged; TearDown
// kills every process the cluster started, also after a failure, and
// removes the dir unless the test failed (its logs stay for reading).
// Skips when the machine lacks what a local cluster needs.
//
//   class AgentTest : public LocalClusterFixture {
//    protected:
//     AgentTest() : LocalClusterFixture(kSpec) {}
//   };
//
// A subclass that overrides SetUp calls LocalClusterFixture::SetUp() first
// and returns when IsSkipped() or HasFatalFailure().
class LocalClusterFixture : public ::testing::Test {
 public:
  struct Settings {
    LocalCluster::Options cluster;
    // Needs bam-emulator (Hadoop, Cassandra, BAM in the spec).
    bool emulated = false;
    std::chrono::milliseconds converge_timeout = std::chrono::seconds(90);
  };

 protected:
  explicit LocalClusterFixture(std::string spec_text)
      : LocalClusterFixture(std::move(spec_text), Settings()) {}
  LocalClusterFixture(std::string spec_text, Settings settings)
      : spec_text_(std::move(spec_text)), settings_(std::move(settings)) {}

  void SetUp() override;
  void TearDown() override;

  LocalCluster& cluster() { return *cluster_; }
  // What SetUp makes the cluster with; a subclass may change it first.
  Settings& settings() { return settings_; }
  // The status SetUp saw when the cluster had converged.
  const v1::GetStatusResponse& converged_status() const { return converged_; }

  // The pid of `service` on `node` as the controller reports it now; 0 when
  // the controller does not answer or knows no such role.
  int64_t RolePid(const std::string& node, const std::string& service);
  // RolePid of `service` on every node, by node.
  std::map<std::string, int64_t> RolePids(const std::string& service);

 private:
  std::string spec_text_;
  Settings settings_;
  std::filesystem::path dir_;
  std::unique_ptr<LocalCluster> cluster_;
  v1::GetStatusResponse converged_;
};

// True while `pid` names a live process (or a zombie not yet reaped).
bool Alive(int64_t pid);

}  // namespace bamctl::testing

#endif  // BAMCTL_TESTS_INTEGRATION_LOCAL_CLUSTER_FIXTURE_H_
