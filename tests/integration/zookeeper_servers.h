#ifndef BAMCTL_TESTS_INTEGRATION_ZOOKEEPER_SERVERS_H_
#define BAMCTL_TESTS_INTEGRATION_ZOOKEEPER_SERVERS_H_

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "roles/driver/service_plan.h"
#include "tests/integration/child_process.h"

namespace bamctl::testing {

// A real ZooKeeper ensemble for tests: Debian's ZooKeeper 3.8 jars, one
// server per loopback address of this process's subnet (hosts .1 to .N),
// each configured by the ZooKeeper driver exactly as an agent configures it
// and run as a ChildProcess (killed with this object, also on failure).
class ZooKeeperServers {
 public:
  // Empty when Debian's zookeeper and default-java are installed, else why
  // not (a test skips with it).
  static std::string Missing();

  // Renders and starts `count` servers under `dir` (with a short tick, so
  // sessions can time out within seconds); does not wait for them.
  static absl::StatusOr<std::unique_ptr<ZooKeeperServers>> Start(const std::filesystem::path& dir,
                                                                 int count);

  // Waits until every running server serves as leader or follower (or
  // standalone, for one server).
  absl::Status AwaitServing(std::chrono::milliseconds timeout);
  // "127.X.Y.1:22181,...": the client connect string.
  std::string ConnectString() const;
  int size() const { return static_cast<int>(servers_.size()); }
  // Each server's mode now ("leader", "follower", "standalone"; "" when it
  // does not answer).
  std::vector<std::string> Modes();

  // Server `i` (0-based) killed with SIGKILL, or started again.
  void Kill(int i);
  absl::Status Restart(int i);

 private:
  struct Server {
    std::vector<std::string> argv;
    std::map<std::string, std::string> env;
    std::string working_dir;
    std::string log;
    Probe probe;
    std::unique_ptr<ChildProcess> process;
  };
  ZooKeeperServers() = default;

  std::vector<Server> servers_;
  std::vector<std::string> addresses_;
};

// The base of a test suite that shares one standalone server (started once
// for the suite, killed after it); each test skips where Debian's ZooKeeper
// is missing and should use its own paths.
class ZooKeeperServerSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  static ZooKeeperServers& servers() { return *servers_; }

 private:
  static std::filesystem::path* dir_;
  static ZooKeeperServers* servers_;
};

}  // namespace bamctl::testing

#endif  // BAMCTL_TESTS_INTEGRATION_ZOOKEEPER_SERVERS_H_
