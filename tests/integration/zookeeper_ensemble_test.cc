// The ZooKeeper driver against the real server: three nodes on loopback
// addresses get the zoo.cfg + myid the driver renders, start with the
// driver's command line (Debian's ZooKeeper 3.8 jars), and must form one
// ensemble with exactly one leader.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/integration/zookeeper_servers.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;

TEST(ZooKeeperEnsembleTest, RenderedConfigFormsAnEnsembleWithOneLeader) {
  if (std::string missing = testing::ZooKeeperServers::Missing(); !missing.empty()) {
    GTEST_SKIP() << missing;
  }
  const fs::path dir = testing::MakeTempDir("zk_ensemble");
  absl::StatusOr<std::unique_ptr<testing::ZooKeeperServers>> servers =
      testing::ZooKeeperServers::Start(dir, 3);
  ASSERT_TRUE(servers.ok()) << servers.status();
  // Bounded wait for the election: every server's own probe healthy, as
  // leader or follower.
  absl::Status serving = (*servers)->AwaitServing(std::chrono::seconds(90));
  ASSERT_TRUE(serving.ok()) << serving << "; logs in " << dir;
  const std::vector<std::string> modes = (*servers)->Modes();
  EXPECT_EQ(std::count(modes.begin(), modes.end(), "leader"), 1) << absl::StrJoin(modes, ", ");
  EXPECT_EQ(std::count(modes.begin(), modes.end(), "follower"), 2) << absl::StrJoin(modes, ", ");
  servers->reset();  // kill before removing their files
  if (!HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace bamctl
