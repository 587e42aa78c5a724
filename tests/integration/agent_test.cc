// bam-agentd with real processes: a real bam-controller, a real agent, and
// the real ZooKeeper server (Debian's package) as the role it supervises.
// kill -9 of the role, of the agent and of the controller, each on its own
// one-node cluster on this process's loopback subnet.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/net_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/local_cluster_fixture.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

using testing::Alive;
using ::testing::HasSubstr;
using testing::LocalCluster;

constexpr char kNode[] = "zk1";

// The local cluster's layout gives the node its loopback address and makes
// the role run as this user with Debian's ZooKeeper.
constexpr char kSpec[] =
    "name: agent-it\nnodes:\n"
    "  - {name: zk1, address: 10.0.0.1, roles: [zookeeper], zookeeper_server_id: 1}\n"
    "zookeeper:\n  client_port: 24181\n  peer_port: 24888\n  election_port: 25888\n"
    "  tick_time_ms: 500\n";

class AgentTest : public testing::LocalClusterFixture {
 protected:
  AgentTest() : LocalClusterFixture(kSpec) {}
  explicit AgentTest(Settings settings) : LocalClusterFixture(kSpec, std::move(settings)) {}

  void SetUp() override {
    LocalClusterFixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    zk_pid_ = RolePid(kNode, "zookeeper");
    ASSERT_TRUE(Alive(zk_pid_)) << "zookeeper pid " << zk_pid_;
  }

  int64_t zk_pid_ = 0;
};

TEST_F(AgentTest, AKilledRoleIsRestartedAndCounted) {
  ASSERT_EQ(kill(static_cast<pid_t>(zk_pid_), SIGKILL), 0);
  absl::StatusOr<v1::GetStatusResponse> status = cluster().WaitFor(
      [&](const v1::GetStatusResponse& s) {
        const v1::RoleStatus* zk = LocalCluster::FindRole(s, kNode, "zookeeper");
        return zk != nullptr && zk->pid() != zk_pid_ && zk->pid() != 0 && s.converged();
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(status.ok()) << status.status();
  const v1::RoleStatus* zk = LocalCluster::FindRole(*status, kNode, "zookeeper");
  EXPECT_EQ(zk->restarts(), 1u);
  EXPECT_EQ(zk->last_exit_code(), 128 + SIGKILL);
  EXPECT_TRUE(Alive(zk->pid()));

  // The agent's /metrics counts it too.
  absl::StatusOr<std::string> metrics = TcpRequest(
      cluster().Address(kNode), 9465, "GET /metrics HTTP/1.0\r\n\r\n", std::chrono::seconds(5));
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(*metrics, HasSubstr("bam_agent_role_restarts_total{service=\"zookeeper\"} 1"));
  EXPECT_THAT(*metrics, HasSubstr("bam_agent_role_up{service=\"zookeeper\"} 1"));
  EXPECT_THAT(*metrics, HasSubstr("bam_agent_controller_connected 1"));
  EXPECT_THAT(*metrics, HasSubstr("bam_agent_plan_epoch 1\n"));  // a new controller's
  // Enrolled over mutual TLS: the node certificate's expiry, 30 days out.
  const std::string expiry = "\nbam_agent_certificate_expiry_timestamp_seconds ";  // not HELP
  const size_t at = metrics->find(expiry);
  ASSERT_NE(at, std::string::npos) << *metrics;
  const double seconds = std::stod(metrics->substr(at + expiry.size()));
  EXPECT_GT(seconds, static_cast<double>(time(nullptr)) + 29 * 86400.0);
  EXPECT_LT(seconds, static_cast<double>(time(nullptr)) + 31 * 86400.0);
}

TEST_F(AgentTest, AKilledAgentLeavesItsRoleRunningAndTheNextOneAdoptsIt) {
  cluster().KillAgent(kNode);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_TRUE(Alive(zk_pid_)) << "the role died with its agent";

  ASSERT_TRUE(cluster().StartAgent(kNode).ok());
  const pid_t agent = cluster().AgentPid(kNode);
  // Converged again, reported by the new agent (its reports follow a new
  // hello), with the same role process.
  absl::StatusOr<v1::GetStatusResponse> status = cluster().WaitFor(
      [&](const v1::GetStatusResponse& s) {
        const v1::RoleStatus* zk = LocalCluster::FindRole(s, kNode, "zookeeper");
        return s.converged() && zk != nullptr && s.nodes(0).connected() &&
               zk->phase() == v1::PHASE_RUNNING;
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(Alive(agent));
  EXPECT_EQ(RolePid(kNode, "zookeeper"), zk_pid_);
  // No second copy: one process carries the node's ZooKeeper marker.
  EXPECT_EQ(
      testing::ProcessesWithMarker(absl::StrCat(kNode, "/zookeeper@", cluster().StateDir(kNode)))
          .size(),
      1u);
}

TEST_F(AgentTest, AControllerOutageLeavesRolesUntouched) {
  const pid_t agent = cluster().AgentPid(kNode);
  cluster().KillController();
  // The agent keeps enforcing the plan it holds: a role killed meanwhile
  // comes back without the controller.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_TRUE(Alive(zk_pid_));
  EXPECT_TRUE(Alive(agent));

  ASSERT_TRUE(cluster().StartController().ok());
  absl::StatusOr<v1::GetStatusResponse> status = cluster().WaitFor(
      [&](const v1::GetStatusResponse& s) { return s.converged() && s.nodes(0).connected(); },
      std::chrono::seconds(60));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->desired_version(), 1);
  EXPECT_EQ(status->nodes(0).applied_version(), 1);
  EXPECT_EQ(RolePid(kNode, "zookeeper"), zk_pid_);
  EXPECT_TRUE(Alive(agent));
}

// The controller's database is lost after the agent accepted version 2; a
// controller on a new database takes the cluster back: its version 1 (in
// epoch 2) is accepted instead of refused as older.
TEST_F(AgentTest, AControllerOnANewDatabaseTakesTheClusterBack) {
  const std::string changed =
      testing::ReplaceOnce(cluster().spec_text(), "tick_time_ms: 500", "tick_time_ms: 600");
  ASSERT_TRUE(cluster().Apply(changed).ok());
  absl::StatusOr<v1::GetStatusResponse> status = cluster().WaitFor(
      [&](const v1::GetStatusResponse& s) {
        return s.nodes(0).holds_desired_plan() && s.nodes(0).applied_version() == 2;
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->epoch(), 1);
  EXPECT_EQ(status->nodes(0).applied_epoch(), 1);

  cluster().KillController();
  for (const std::filesystem::directory_entry& f :
       std::filesystem::directory_iterator(cluster().dir())) {
    if (f.path().filename().string().starts_with("controller.db")) {
      std::filesystem::remove(f.path());
    }
  }
  ASSERT_TRUE(cluster().StartController().ok());
  // The agent reconnects holding version 2 of epoch 1; the new controller
  // has nothing to send until its first apply.
  status = cluster().WaitFor([&](const v1::GetStatusResponse& s) { return s.epoch() == 2; },
                             std::chrono::seconds(60));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->desired_version(), 0);

  ASSERT_TRUE(cluster().Apply(cluster().spec_text()).ok());
  status = cluster().WaitFor(
      [&](const v1::GetStatusResponse& s) {
        return s.converged() && s.nodes(0).applied_version() == 1 &&
               s.nodes(0).applied_epoch() == 2;
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(RolePid(kNode, "zookeeper"), zk_pid_);  // taken back, not restarted
}

// Node certificates that live a minute (plus the minute of clock skew the CA
// grants at the start): the agent renews 20 s after each issue, while its
// role runs.
class AgentRenewalTest : public AgentTest {
 protected:
  AgentRenewalTest() : AgentTest(ShortCertificates()) {}
  static Settings ShortCertificates() {
    Settings settings;
    settings.cluster.controller_flags = {"--node_cert_lifetime_ms=60000"};
    return settings;
  }
};

TEST_F(AgentRenewalTest, ARenewalRestartsNoRoleAndLosesNoReport) {
  const std::string first = cluster().NodeCertificate(kNode);
  ASSERT_FALSE(first.empty());
  std::string renewed = first;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (renewed == first && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    renewed = cluster().NodeCertificate(kNode);
  }
  ASSERT_NE(renewed, first) << "no renewal within 60 s; logs in " << cluster().dir();

  // Back on its stream with the new certificate, the same role process,
  // never restarted.
  absl::StatusOr<v1::GetStatusResponse> status = cluster().WaitFor(
      [&](const v1::GetStatusResponse& s) { return s.converged() && s.nodes(0).connected(); },
      std::chrono::seconds(30));
  ASSERT_TRUE(status.ok()) << status.status();
  const v1::RoleStatus* zk = LocalCluster::FindRole(*status, kNode, "zookeeper");
  ASSERT_NE(zk, nullptr);
  EXPECT_EQ(zk->pid(), zk_pid_);
  EXPECT_EQ(zk->restarts(), 0u);

  // What happens next still reaches the controller: a kill is reported.
  ASSERT_EQ(kill(static_cast<pid_t>(zk_pid_), SIGKILL), 0);
  status = cluster().WaitFor(
      [&](const v1::GetStatusResponse& s) {
        const v1::RoleStatus* r = LocalCluster::FindRole(s, kNode, "zookeeper");
        return r != nullptr && r->restarts() == 1 && r->pid() != zk_pid_ && s.converged();
      },
      std::chrono::seconds(60));
  EXPECT_TRUE(status.ok()) << status.status();
}

}  // namespace
}  // namespace bamctl
