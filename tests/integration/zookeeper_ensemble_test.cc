// The ZooKeeper driver against the real server: three nodes on loopback
// addresses get the zoo.cfg + myid the driver renders, start with the
// driver's command line (Debian's ZooKeeper 3.8 jars), and must form one
// ensemble with exactly one leader.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "gtest/gtest.h"
#include "roles/probe/probe_runner.h"
#include "roles/spec/spec_loader.h"
#include "roles/topology/compiler.h"
#include "roles/zookeeper/zookeeper_driver.h"
#include "tests/integration/child_process.h"
#include "tests/util/loopback_subnet.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr char kJavaHome[] = "/usr/lib/jvm/default-java";

TEST(ZooKeeperEnsembleTest, RenderedConfigFormsAnEnsembleWithOneLeader) {
  if (!fs::exists("/usr/share/java/zookeeper.jar") || !fs::exists(kJavaHome)) {
    GTEST_SKIP() << "Debian's zookeeper package or default-java is not installed "
                    "(scripts/install-deps.sh installs both)";
  }
  const fs::path dir = testing::MakeTempDir("zk_ensemble");
  // Three servers on this process's loopback subnet.
  const testing::LoopbackSubnet& subnet = testing::ProcessLoopbackSubnet();
  std::string spec = "name: zk-it\nrender_addresses: true\nnodes:\n";
  for (int id : {3, 4, 5}) {
    absl::StrAppend(&spec, "  - {name: zk", id, ", address: ", subnet.Address(id),
                    ", roles: [zookeeper], zookeeper_server_id: ", id, "}\n");
  }
  absl::StrAppend(&spec, "zookeeper:\n  home: /usr/share/zookeeper\n  java_home: ", kJavaHome,
                  "\n  version: 3.8.0\n  client_port: 22181\n  peer_port: 22888\n",
                  "  election_port: 23888\n  tick_time_ms: 500\n");
  LoadedSpec loaded = LoadSpec(spec);
  ASSERT_TRUE(loaded.ok());
  absl::StatusOr<v1::ClusterPlan> plan = CompileTopology(loaded.spec);
  ASSERT_TRUE(plan.ok()) << plan.status();

  std::vector<std::unique_ptr<testing::ChildProcess>> servers;
  std::vector<Probe> probes;  // each server's probe, as its driver declares it
  for (const v1::NodePlan& node : plan->nodes()) {
    // Each node lives under its own root: data and conf dirs do not collide.
    RenderContext ctx;
    ctx.root = (dir / node.node()).string();
    // The node's root holds the installs the spec names, as links to the
    // machine's own Java and ZooKeeper jars.
    for (const char* install : {"/usr/lib/jvm", "/usr/share/java"}) {
      fs::create_directories(fs::path(ctx.root + install).parent_path());
      fs::create_directory_symlink(install, ctx.root + install);
    }
    absl::StatusOr<std::vector<ServicePlan>> services = ZooKeeperDriver().Render(node, ctx);
    ASSERT_TRUE(services.ok()) << services.status();
    ASSERT_EQ(services->size(), 1u);
    const ServicePlan& s = services->front();
    ASSERT_EQ(s.probes.size(), 1u);
    probes.push_back(s.probes[0]);
    for (const ConfigFile& f : s.files) {
      ASSERT_TRUE(WriteFileAtomically(f.path, f.content, f.mode).ok()) << f.path;
    }
    ASSERT_TRUE(MakeDirs(s.process.working_dir, 0755).ok());
    absl::StatusOr<std::unique_ptr<testing::ChildProcess>> child =
        testing::ChildProcess::Start(s.process.argv, s.process.env, s.process.working_dir,
                                     (dir / absl::StrCat(node.node(), ".log")).string());
    ASSERT_TRUE(child.ok()) << child.status();
    servers.push_back(std::move(*child));
  }

  // Bounded wait for the election: every server's own probe healthy, as
  // leader or follower.
  std::vector<ProbeResult> results;
  auto count = [&](absl::string_view mode) {
    return std::count_if(results.begin(), results.end(),
                         [&](const ProbeResult& r) { return r.healthy && r.mode == mode; });
  };
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(90);
  while (Clock::now() < deadline) {
    results.clear();
    for (const Probe& probe : probes) results.push_back(RunProbe(probe, std::chrono::seconds(2)));
    if (count("leader") + count("follower") == 3) break;
    for (auto& server : servers) {
      ASSERT_TRUE(server->Running()) << "a ZooKeeper server exited; logs in " << dir;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  std::string seen;
  for (const ProbeResult& r : results) absl::StrAppend(&seen, r.reason, "; ");
  EXPECT_EQ(count("leader"), 1) << seen << "logs in " << dir;
  EXPECT_EQ(count("follower"), 2) << seen;
  servers.clear();  // kill before removing their files
  if (!HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace bamctl
