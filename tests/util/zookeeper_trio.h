#ifndef BAMCTL_TESTS_UTIL_ZOOKEEPER_TRIO_H_
#define BAMCTL_TESTS_UTIL_ZOOKEEPER_TRIO_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "controller/cluster/desired_state.h"
#include "controller/store/store.h"
#include "gtest/gtest.h"
#include "proto/status.pb.h"

namespace bamctl::testing {

// A controller's state layer for the rollout units' tests: a real store
// (SQLite in a temp dir) on a fake clock, the desired state, and version 1
// of a three-node ZooKeeper ensemble (zk1..zk3 at 10.0.0.1..3) applied.
// Agents are simulated by recording their reports.
class ZooKeeperTrioTest : public ::testing::Test {
 protected:
  static constexpr char kSpec[] =
      "name: zookeeper-trio\nrender_addresses: true\nnodes:\n"
      "  - {name: zk1, address: 10.0.0.1, roles: [zookeeper]}\n"
      "  - {name: zk2, address: 10.0.0.2, roles: [zookeeper]}\n"
      "  - {name: zk3, address: 10.0.0.3, roles: [zookeeper]}\n";

  void SetUp() override;
  void TearDown() override;

  // One service as an agent reports it.
  struct ServiceReport {
    std::string service;
    int64_t pid = 0;
    v1::Health health = v1::HEALTH_HEALTHY;
    bool pending = false;
  };
  // The agent of `node` reports that it holds the current version and runs
  // `services` (and nothing else).
  void ReportServices(const std::string& node, const std::vector<ServiceReport>& services);
  // The same with zookeeper alone, as `pid` with `health`, a restart
  // pending or not.
  void ReportZooKeeper(const std::string& node, int64_t pid, v1::Health health = v1::HEALTH_HEALTHY,
                       bool pending = false) {
    ReportServices(node, {{"zookeeper", pid, health, pending}});
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<DesiredState> state_;
};

}  // namespace bamctl::testing

#endif  // BAMCTL_TESTS_UTIL_ZOOKEEPER_TRIO_H_
