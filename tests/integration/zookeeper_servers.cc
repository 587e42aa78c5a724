#include "tests/integration/zookeeper_servers.h"

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_util.h"
#include "roles/driver/render_context.h"
#include "roles/probe/probe_runner.h"
#include "roles/spec/spec_loader.h"
#include "roles/topology/compiler.h"
#include "roles/zookeeper/zookeeper_driver.h"
#include "tests/util/loopback_subnet.h"
#include "tests/util/test_util.h"

namespace bamctl::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kJavaHome[] = "/usr/lib/jvm/default-java";
constexpr int kClientPort = 22181;

}  // namespace

std::string ZooKeeperServers::Missing() {
  if (!fs::exists("/usr/share/java/zookeeper.jar") || !fs::exists(kJavaHome)) {
    return "Debian's zookeeper package or default-java is not installed "
           "(scripts/install-deps.sh installs both)";
  }
  return "";
}

absl::StatusOr<std::unique_ptr<ZooKeeperServers>> ZooKeeperServers::Start(const fs::path& dir,
                                                                          int count) {
  const LoopbackSubnet& subnet = ProcessLoopbackSubnet();
  std::string spec = "name: zk-test\nrender_addresses: true\nnodes:\n";
  for (int id = 1; id <= count; ++id) {
    absl::StrAppend(&spec, "  - {name: zk", id, ", address: ", subnet.Address(id),
                    ", roles: [zookeeper], zookeeper_server_id: ", id, "}\n");
  }
  // A 500 ms tick: sessions may time out from 1 s (2 ticks) to 10 s.
  absl::StrAppend(&spec, "zookeeper:\n  home: /usr/share/zookeeper\n  java_home: ", kJavaHome,
                  "\n  version: 3.8.0\n  client_port: ", kClientPort,
                  "\n  peer_port: 22888\n  election_port: 23888\n  tick_time_ms: 500\n");
  LoadedSpec loaded = LoadSpec(spec);
  if (!loaded.ok()) return absl::InternalError("the test's ZooKeeper spec does not load");
  absl::StatusOr<v1::ClusterPlan> plan = CompileTopology(loaded.spec);
  if (!plan.ok()) return plan.status();

  std::unique_ptr<ZooKeeperServers> servers(new ZooKeeperServers());
  for (const v1::NodePlan& node : plan->nodes()) {
    // Each server under its own root: data and conf dirs do not collide.
    // The root holds the installs the spec names, as links to the
    // machine's own Java and ZooKeeper jars.
    RenderContext ctx;
    ctx.root = (dir / node.node()).string();
    for (const char* install : {"/usr/lib/jvm", "/usr/share/java"}) {
      std::error_code error;
      fs::create_directories(fs::path(ctx.root + install).parent_path(), error);
      fs::create_directory_symlink(install, ctx.root + install, error);
    }
    absl::StatusOr<std::vector<ServicePlan>> services = ZooKeeperDriver().Render(node, ctx);
    if (!services.ok()) return services.status();
    if (services->size() != 1 || services->front().probes.size() != 1) {
      return absl::InternalError("the ZooKeeper driver rendered other than one service and probe");
    }
    const ServicePlan& s = services->front();
    for (const ConfigFile& f : s.files) {
      if (absl::Status w = WriteFileAtomically(f.path, f.content, f.mode); !w.ok()) return w;
    }
    if (absl::Status d = MakeDirs(s.process.working_dir, 0755); !d.ok()) return d;
    Server server;
    server.argv = s.process.argv;
    server.env = s.process.env;
    server.working_dir = s.process.working_dir;
    server.log = (dir / absl::StrCat(node.node(), ".log")).string();
    server.probe = s.probes[0];
    servers->servers_.push_back(std::move(server));
    servers->addresses_.push_back(absl::StrCat(node.address(), ":", kClientPort));
  }
  for (int i = 0; i < servers->size(); ++i) {
    if (absl::Status s = servers->Restart(i); !s.ok()) return s;
  }
  return servers;
}

absl::Status ZooKeeperServers::Restart(int i) {
  Server& s = servers_.at(i);
  s.process.reset();
  absl::StatusOr<std::unique_ptr<ChildProcess>> child =
      ChildProcess::Start(s.argv, s.env, s.working_dir, s.log);
  if (!child.ok()) return child.status();
  s.process = *std::move(child);
  return absl::OkStatus();
}

void ZooKeeperServers::Kill(int i) { servers_.at(i).process.reset(); }

std::string ZooKeeperServers::ConnectString() const { return absl::StrJoin(addresses_, ","); }

std::vector<std::string> ZooKeeperServers::Modes() {
  std::vector<std::string> modes;
  for (Server& s : servers_) {
    if (s.process == nullptr) {
      modes.emplace_back();
      continue;
    }
    ProbeResult r = RunProbe(s.probe, std::chrono::seconds(2));
    modes.push_back(r.healthy ? r.mode : "");
  }
  return modes;
}

absl::Status ZooKeeperServers::AwaitServing(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<std::string> modes;
  while (std::chrono::steady_clock::now() < deadline) {
    for (size_t i = 0; i < servers_.size(); ++i) {
      if (servers_[i].process != nullptr && !servers_[i].process->Running()) {
        return absl::InternalError(
            absl::StrCat("ZooKeeper server ", i + 1, " exited; its log: ", servers_[i].log));
      }
    }
    modes = Modes();
    bool serving = true;
    for (size_t i = 0; i < servers_.size(); ++i) {
      if (servers_[i].process != nullptr && modes[i].empty()) serving = false;
    }
    if (serving) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return absl::DeadlineExceededError(absl::StrCat("ZooKeeper servers not serving within ",
                                                  timeout.count(), " ms; modes: [",
                                                  absl::StrJoin(modes, ", "), "]"));
}

std::filesystem::path* ZooKeeperServerSuite::dir_ = nullptr;
ZooKeeperServers* ZooKeeperServerSuite::servers_ = nullptr;

void ZooKeeperServerSuite::SetUpTestSuite() {
  if (!ZooKeeperServers::Missing().empty()) return;
  dir_ = new fs::path(MakeTempDir("zk_suite"));
  absl::StatusOr<std::unique_ptr<ZooKeeperServers>> servers = ZooKeeperServers::Start(*dir_, 1);
  ASSERT_TRUE(servers.ok()) << servers.status();
  servers_ = servers->release();
  absl::Status serving = servers_->AwaitServing(std::chrono::seconds(60));
  ASSERT_TRUE(serving.ok()) << serving << "; log in " << *dir_;
}

void ZooKeeperServerSuite::TearDownTestSuite() {
  delete servers_;
  servers_ = nullptr;
  if (dir_ != nullptr) fs::remove_all(*dir_);
  delete dir_;
  dir_ = nullptr;
}

void ZooKeeperServerSuite::SetUp() {
  if (std::string missing = ZooKeeperServers::Missing(); !missing.empty()) {
    GTEST_SKIP() << missing;
  }
  ASSERT_NE(servers_, nullptr);
}

}  // namespace bamctl::testing
