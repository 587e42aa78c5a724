// The seed spec on five hosts (tests/hosts/hosts.sh): network and mount
// namespaces on one bridge, the packages' programs, the spec as written but
// for its node addresses. Checks what an operator of real hosts would:
// convergence, one ZooKeeper leader, each host's files exactly what `bamctl
// render` says for that node, a ZooKeeper rolling restart, and a host whose
// link is cut shown disconnected with its roles running, then back with
// nothing restarted, and an agent upgraded in place with its roles adopted.
//
// Needs root, `ip netns` and the packages (scripts/package.sh); without
// them it skips and says why, unless BAMCTL_REQUIRE_HOSTS=1 (scripts/
// test.sh sets it), which makes that a failure.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/net_util.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "proto/controller.grpc.pb.h"
#include "tests/integration/child_process.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using testing::ChildProcess;

constexpr char kController[] = "198.18.4.10:7443";
const std::map<std::string, std::string>& NodeAddresses() {
  static const auto* addresses = new std::map<std::string, std::string>{{"node1", "198.18.4.100"},
                                                                        {"node2", "198.18.4.101"},
                                                                        {"node3", "198.18.4.102"},
                                                                        {"node4", "198.18.4.103"},
                                                                        {"node5", "198.18.4.104"}};
  return *addresses;
}
const std::vector<std::string> kZooKeepers = {"node3", "node4", "node5"};

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Ran {
  int code = -1;
  std::string output;
};

class HostsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const bool required = std::getenv("BAMCTL_REQUIRE_HOSTS") != nullptr;
    packages_ = testing::SourceDir() / "build" / "packages";
    std::string missing;
    if (geteuid() != 0) missing = "not root (network and mount namespaces need it)";
    if (missing.empty() && system("ip netns list >/dev/null 2>&1") != 0) {
      missing = "`ip netns` does not work here";
    }
    if (missing.empty() && !fs::exists(packages_ / "bamctl_0.1.0_amd64.deb")) {
      missing = absl::StrCat("no packages in ", packages_.string(), " (scripts/package.sh)");
    }
    if (!missing.empty()) {
      if (required) FAIL() << missing;
      GTEST_SKIP() << missing;
    }
    run_ = testing::SourceDir() / "build" / "hosts-test";
    fs::create_directories(run_);
    fs::permissions(run_, fs::perms(0755));
    script_ = (testing::SourceDir() / "tests" / "hosts" / "hosts.sh").string();
    // This test's own hosts, left by a run that was killed midway, go; any
    // other set (a demo's) makes `up` refuse, naming it.
    if (absl::StripTrailingAsciiWhitespace(ReadAll("/run/bamctl-hosts")) == run_.string()) {
      Run({script_, "down", run_.string()}, std::chrono::seconds(60));
    }
    std::map<std::string, std::string> env;
    if (const char* emulator = std::getenv("BAMCTL_EMULATOR_BIN")) {
      env["BAMCTL_EMULATOR_BIN"] = emulator;
    }
    const Ran up =
        Run({script_, "up", run_.string(), packages_.string()}, std::chrono::minutes(5), env);
    ASSERT_EQ(up.code, 0) << up.output;
    up_ = true;
    const fs::path pki = run_ / "hosts" / "ctl" / "var" / "lib" / "bam-controller" / "pki";
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = ReadAll(pki / "ca.crt");
    tls.pem_cert_chain = ReadAll(pki / "admin.crt");
    tls.pem_private_key = ReadAll(pki / "admin.key");
    cluster_ =
        v1::ClusterService::NewStub(grpc::CreateChannel(kController, grpc::SslCredentials(tls)));
    bamctl_env_ = {{"BAMCTL_CONFIG", (pki / "bamctl.conf").string()}};
  }

  void TearDown() override {
    if (up_) {
      const Ran down = Run({script_, "down", run_.string()}, std::chrono::seconds(120));
      EXPECT_EQ(down.code, 0) << down.output;
    }
  }

  Ran Run(const std::vector<std::string>& argv, std::chrono::milliseconds bound,
          const std::map<std::string, std::string>& env = {}) {
    // Not in the run dir, which `up` empties.
    if (logs_.empty()) logs_ = testing::MakeTempDir("hosts-test-logs");
    const fs::path log = logs_ / absl::StrCat("run-", ++runs_, ".log");
    absl::StatusOr<std::unique_ptr<ChildProcess>> child =
        ChildProcess::Start(argv, env, testing::SourceDir().string(), log.string());
    Ran ran;
    if (!child.ok()) {
      ran.output = child.status().ToString();
      return ran;
    }
    absl::StatusOr<int> code = (*child)->Wait(bound);
    ran.code = code.ok() ? *code : -1;
    ran.output = ReadAll(log);
    if (!code.ok()) absl::StrAppend(&ran.output, "\n", code.status().ToString());
    return ran;
  }

  Ran Bamctl(std::vector<std::string> args) {
    args.insert(args.begin(), (run_ / "pkg" / "usr" / "bin" / "bamctl").string());
    return Run(args, std::chrono::seconds(60), bamctl_env_);
  }

  absl::StatusOr<v1::GetStatusResponse> Status() {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::GetStatusResponse response;
    grpc::Status s = cluster_->GetStatus(&context, v1::GetStatusRequest(), &response);
    if (!s.ok()) return absl::UnavailableError(s.error_message());
    return response;
  }

  // Polls the status (bounded) until `done`; the last status on failure.
  bool WaitFor(const std::function<bool(const v1::GetStatusResponse&)>& done,
               std::chrono::seconds bound, v1::GetStatusResponse* last) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < deadline) {
      absl::StatusOr<v1::GetStatusResponse> status = Status();
      if (status.ok()) {
        *last = *status;
        if (done(*status)) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return false;
  }

  static const v1::NodeStatus* Node(const v1::GetStatusResponse& status, const std::string& name) {
    for (const v1::NodeStatus& n : status.nodes()) {
      if (n.node() == name) return &n;
    }
    return nullptr;
  }

  // Each role of `node`: its pid and restart count.
  using RoleProcesses = std::map<std::string, std::pair<int64_t, uint32_t>>;
  static RoleProcesses Processes(const v1::GetStatusResponse& status, const std::string& node) {
    RoleProcesses out;
    for (const v1::RoleStatus& r : Node(status, node)->roles()) {
      out[r.service()] = {r.pid(), r.restarts()};
    }
    return out;
  }
  // Every role of `node` in `status` is the process it was in `before`.
  static void ExpectNoneRestarted(const RoleProcesses& before, const v1::GetStatusResponse& status,
                                  const std::string& node) {
    for (const auto& [service, now] : Processes(status, node)) {
      auto was = before.find(service);
      ASSERT_NE(was, before.end()) << node << "/" << service << " is new";
      EXPECT_EQ(now.first, was->second.first) << node << "/" << service << " was restarted";
      EXPECT_EQ(now.second, was->second.second) << node << "/" << service;
    }
  }

  // The ZooKeeper mode of each server, asked from this machine over the
  // bridge: "leader", "follower", or "" when it does not answer.
  std::map<std::string, std::string> ZooKeeperModes() {
    std::map<std::string, std::string> modes;
    for (const std::string& node : kZooKeepers) {
      absl::StatusOr<std::string> reply =
          TcpRequest(NodeAddresses().at(node), 2181, "srvr", std::chrono::seconds(3));
      std::string mode;
      if (reply.ok()) {
        if (absl::StrContains(*reply, "Mode: leader")) mode = "leader";
        if (absl::StrContains(*reply, "Mode: follower")) mode = "follower";
      }
      modes[node] = mode;
    }
    return modes;
  }

  bool OneLeaderAndFollowers(std::chrono::seconds bound) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < deadline) {
      int leaders = 0;
      int followers = 0;
      for (const auto& [node, mode] : ZooKeeperModes()) {
        leaders += mode == "leader" ? 1 : 0;
        followers += mode == "follower" ? 1 : 0;
      }
      if (leaders == 1 && followers == 2) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return false;
  }

  fs::path packages_;
  fs::path run_;
  fs::path logs_;
  std::string script_;
  bool up_ = false;
  int runs_ = 0;
  std::unique_ptr<v1::ClusterService::Stub> cluster_;
  std::map<std::string, std::string> bamctl_env_;
};

TEST_F(HostsTest, TheSeedSpecRunsOnFiveHostsAsWritten) {
  v1::GetStatusResponse status;
  ASSERT_TRUE(WaitFor([](const v1::GetStatusResponse& s) { return s.converged(); },
                      std::chrono::seconds(180), &status))
      << status.DebugString();
  ASSERT_EQ(status.nodes_size(), 5);
  ASSERT_TRUE(OneLeaderAndFollowers(std::chrono::seconds(60))) << "ZooKeeper: no single leader";

  // Roles run as the users the spec names.
  std::map<std::string, std::string> users = {{"zookeeper", "zookeeper"},
                                              {"cassandra", "cassandra"},
                                              {"datanode", "hadoop"},
                                              {"namenode", "hadoop"},
                                              {"bam", "wso2"}};
  for (const v1::NodeStatus& node : status.nodes()) {
    for (const v1::RoleStatus& role : node.roles()) {
      auto user = users.find(role.service());
      if (user == users.end()) continue;
      const std::string proc = ReadAll(absl::StrCat("/proc/", role.pid(), "/status"));
      const std::string uid_line =
          proc.substr(proc.find("Uid:"), proc.find('\n', proc.find("Uid:")) - proc.find("Uid:"));
      const Ran id = Run({"/usr/bin/id", "-u", user->second}, std::chrono::seconds(10));
      std::string uid = id.output.substr(0, id.output.find('\n'));
      EXPECT_TRUE(absl::StartsWith(uid_line, absl::StrCat("Uid:\t", uid, "\t")))
          << node.node() << "/" << role.service() << " runs as " << uid_line << ", not "
          << user->second;
    }
  }

  // Each host's files are what `bamctl render` says for its node, at the
  // spec's own paths (no prefix, nothing rewritten); only the passwords,
  // which render redacts, differ.
  for (const auto& [node, address] : NodeAddresses()) {
    const fs::path host = run_ / "hosts" / node;
    const fs::path rendered = run_ / "rendered" / node;
    fs::remove_all(rendered);
    const Ran render = Bamctl({"render", "-f", (run_ / "cluster.yaml").string(), "--node", node,
                               "--out", rendered.string(), "--host-root", host.string()});
    ASSERT_EQ(render.code, 0) << render.output;
    int files = 0;
    for (const fs::directory_entry& e : fs::recursive_directory_iterator(rendered)) {
      if (!e.is_regular_file()) continue;
      ++files;
      const fs::path relative = fs::relative(e.path(), rendered);
      const std::string want =
          absl::StrReplaceAll(ReadAll(e.path()), {{"&lt;redacted&gt;", "hosts-demo-password"}});
      EXPECT_EQ(ReadAll(host / relative), want) << node << ": /" << relative.string();
    }
    EXPECT_GT(files, 0) << node;
    // The hosts file: the host's own, with the cluster's block the agent
    // keeps in it.
    const std::string hosts = ReadAll(absl::StrCat("/etc/netns/bamctl-", node, "/hosts"));
    for (const auto& [other, other_address] : NodeAddresses()) {
      EXPECT_THAT(hosts, ::testing::HasSubstr(absl::StrCat(other_address, "\t", other, "\n")))
          << node;
    }
  }

  // A ZooKeeper rolling restart: every server once, followers first.
  std::map<std::string, int64_t> zk_pids;
  for (const std::string& node : kZooKeepers) {
    for (const v1::RoleStatus& r : Node(status, node)->roles()) {
      if (r.service() == "zookeeper") zk_pids[node] = r.pid();
    }
  }
  const Ran restart = Bamctl({"rolling-restart", "zookeeper", "--pause-between", "1s"});
  ASSERT_EQ(restart.code, 0) << restart.output;
  const Ran watch = Run(
      {(run_ / "pkg" / "usr" / "bin" / "bamctl").string(), "op", "watch", "1", "--interval", "1s"},
      std::chrono::minutes(5), bamctl_env_);
  ASSERT_EQ(watch.code, 0) << watch.output;
  ASSERT_TRUE(WaitFor(
      [&](const v1::GetStatusResponse& s) {
        for (const std::string& node : kZooKeepers) {
          for (const v1::RoleStatus& r : Node(s, node)->roles()) {
            if (r.service() == "zookeeper" && (r.pid() == zk_pids[node] || r.pid() == 0)) {
              return false;
            }
          }
        }
        return s.converged();
      },
      std::chrono::seconds(120), &status))
      << status.DebugString();
  EXPECT_TRUE(OneLeaderAndFollowers(std::chrono::seconds(60))) << "ZooKeeper after the restart";

  // node4's link is cut: the controller shows it disconnected, its roles
  // run on; healed, it is back with nothing restarted.
  const RoleProcesses before = Processes(status, "node4");
  ASSERT_EQ(Run({script_, "cut", run_.string(), "node4"}, std::chrono::seconds(30)).code, 0);
  ASSERT_TRUE(WaitFor([](const v1::GetStatusResponse& s) { return !Node(s, "node4")->connected(); },
                      std::chrono::seconds(60), &status))
      << status.DebugString();
  for (const auto& [service, pid_restarts] : before) {
    EXPECT_EQ(kill(static_cast<pid_t>(pid_restarts.first), 0), 0)
        << "node4/" << service << " stopped while its host was cut off";
  }
  ASSERT_EQ(Run({script_, "heal", run_.string(), "node4"}, std::chrono::seconds(30)).code, 0);
  ASSERT_TRUE(WaitFor(
      [](const v1::GetStatusResponse& s) { return Node(s, "node4")->connected() && s.converged(); },
      std::chrono::seconds(120), &status))
      << status.DebugString();
  ExpectNoneRestarted(before, status, "node4");

  // The agent package upgraded on node3 as apt and systemd do it (the
  // agent alone stopped, the new files, a start): the new agent adopts
  // the roles and restarts none.
  const RoleProcesses node3 = Processes(status, "node3");
  const std::string old_agent = ReadAll(run_ / "hosts" / "node3" / "agent.pid");
  const Ran upgrade = Run({script_, "restart-agent", run_.string(), "node3", packages_.string()},
                          std::chrono::seconds(60));
  ASSERT_EQ(upgrade.code, 0) << upgrade.output;
  EXPECT_NE(ReadAll(run_ / "hosts" / "node3" / "agent.pid"), old_agent);
  // The new agent has connected (its log's second "connected"), adopted
  // what runs, and the cluster is converged on its reports.
  const fs::path agent_log = run_ / "hosts" / "node3" / "agent.log";
  const auto connected_twice = [&] {
    const std::string log = ReadAll(agent_log);
    size_t count = 0;
    for (size_t at = log.find(": connected\n"); at != std::string::npos;
         at = log.find(": connected\n", at + 1)) {
      ++count;
    }
    return count >= 2;
  };
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!connected_twice() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(connected_twice()) << ReadAll(agent_log);
  EXPECT_THAT(ReadAll(agent_log), ::testing::HasSubstr("adopted zookeeper"));
  ASSERT_TRUE(WaitFor(
      [](const v1::GetStatusResponse& s) { return Node(s, "node3")->connected() && s.converged(); },
      std::chrono::seconds(120), &status))
      << status.DebugString();
  ExpectNoneRestarted(node3, status, "node3");
}

}  // namespace
}  // namespace bamctl
