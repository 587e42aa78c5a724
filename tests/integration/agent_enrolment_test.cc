// Enrolment with real processes: bam-controller serving mutual TLS from a
// directory with the CA key, and bam-agentd enrolling with a one-time token
// and then connecting with the certificate it received.
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "pki/certs.h"
#include "proto/controller.grpc.pb.h"
#include "tests/integration/child_process.h"
#include "tests/util/loopback_subnet.h"
#include "tests/util/test_pki.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kNode[] = "zk1";

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

std::chrono::system_clock::time_point Deadline(int seconds) {
  return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class AgentEnrolmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Env("BAMCTL_CONTROLLER_BIN").empty() || Env("BAMCTL_AGENTD_BIN").empty()) {
      GTEST_SKIP() << "BAMCTL_CONTROLLER_BIN / BAMCTL_AGENTD_BIN not set (CTest sets them)";
    }
    dir_ = testing::MakeTempDir("agent_enrolment");
    const testing::LoopbackSubnet& subnet = testing::ProcessLoopbackSubnet();
    host_ = subnet.ServerAddress();
    address_ = absl::StrCat(host_, ":7443");
    node_address_ = subnet.Address(1);

    const fs::path tls = dir_ / "tls";
    absl::StatusOr<CertificateAuthority> ca = testing::MakeControllerTlsDir(tls, host_);
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::make_unique<CertificateAuthority>(*std::move(ca));

    std::vector<std::string> argv = {Env("BAMCTL_CONTROLLER_BIN"), "--listen=" + address_,
                                     "--db=" + (dir_ / "controller.db").string(),
                                     "--metrics_listen=", "--tls_dir=" + tls.string()};
    argv.insert(argv.end(), controller_flags_.begin(), controller_flags_.end());
    absl::StatusOr<std::unique_ptr<testing::ChildProcess>> child =
        testing::ChildProcess::Start(argv, {}, dir_.string(), (dir_ / "controller.log").string());
    ASSERT_TRUE(child.ok()) << child.status();
    controller_ = std::move(*child);

    absl::StatusOr<grpc::SslCredentialsOptions> admin =
        testing::ClientTlsOptions(*ca_, "admin", PeerRole::kOperator);
    ASSERT_TRUE(admin.ok()) << admin.status();
    auto channel = grpc::CreateChannel(address_, grpc::SslCredentials(*admin));
    ASSERT_TRUE(channel->WaitForConnected(Deadline(30)))
        << "bam-controller did not start; see " << (dir_ / "controller.log").string();
    cluster_ = v1::ClusterService::NewStub(channel);

    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(20));
    v1::ApplyRequest apply;
    apply.set_spec_text(
        absl::StrCat("name: enrol-it\nnodes:\n  - {name: zk1, address: ", node_address_,
                     ", roles: [zookeeper], zookeeper_server_id: 1}\n"));
    apply.set_author("e2e");
    v1::ApplyResponse applied;
    grpc::Status s = cluster_->ApplyDesiredState(&ctx, apply, &applied);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  void TearDown() override {
    agent_.reset();
    controller_.reset();
    if (!HasFailure() && !dir_.empty()) fs::remove_all(dir_);  // else kept for its logs
  }

  std::string CreateToken() {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(10));
    v1::CreateNodeTokenRequest request;
    request.set_node(kNode);
    v1::CreateNodeTokenResponse response;
    grpc::Status s = cluster_->CreateNodeToken(&ctx, request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.token();
  }

  // Starts bam-agentd for kNode with its state in `name`; the token, if
  // any, comes in a file.
  absl::StatusOr<std::unique_ptr<testing::ChildProcess>> StartAgent(const std::string& name,
                                                                    const std::string& token) {
    const fs::path base = dir_ / name;
    fs::create_directories(base / "root");
    std::vector<std::string> argv = {Env("BAMCTL_AGENTD_BIN"),
                                     "--config=/dev/null",
                                     absl::StrCat("--node=", kNode),
                                     "--controller=" + address_,
                                     "--state_dir=" + (base / "state").string(),
                                     "--root_dir=" + (base / "root").string(),
                                     "--log_dir=" + (base / "log").string(),
                                     "--metrics_listen=",
                                     "--heartbeat_ms=500",
                                     "--ca_file=" + (dir_ / "tls/ca.crt").string()};
    if (!token.empty()) {
      const std::string token_file = (base / "token").string();
      if (absl::Status s = WriteFileAtomically(token_file, token, 0600); !s.ok()) return s;
      argv.push_back("--bootstrap_token_file=" + token_file);
    }
    return testing::ChildProcess::Start(argv, {}, dir_.string(), (base / "agent.log").string());
  }

  bool WaitConnected(std::chrono::seconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      grpc::ClientContext ctx;
      ctx.set_deadline(Deadline(5));
      v1::GetStatusResponse status;
      if (cluster_->GetStatus(&ctx, v1::GetStatusRequest(), &status).ok()) {
        for (const v1::NodeStatus& n : status.nodes()) {
          if (n.node() == kNode && n.connected()) return true;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }

  std::vector<std::string> controller_flags_;
  fs::path dir_;
  std::string host_;
  std::string address_;
  std::string node_address_;
  std::unique_ptr<CertificateAuthority> ca_;
  std::unique_ptr<testing::ChildProcess> controller_;
  std::unique_ptr<testing::ChildProcess> agent_;
  std::unique_ptr<v1::ClusterService::Stub> cluster_;
};

TEST_F(AgentEnrolmentTest, AnAgentEnrolsWithATokenAndTheTokenIsThenUsedUp) {
  const std::string token = CreateToken();
  ASSERT_FALSE(token.empty());
  absl::StatusOr<std::unique_ptr<testing::ChildProcess>> agent = StartAgent("a", token);
  ASSERT_TRUE(agent.ok()) << agent.status();
  agent_ = std::move(*agent);
  ASSERT_TRUE(WaitConnected(std::chrono::seconds(60)))
      << "not connected; see " << (dir_ / "a/agent.log").string();

  const fs::path state = dir_ / "a/state";
  struct stat st {};
  ASSERT_EQ(stat((state / "node.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  absl::StatusOr<Identity> identity = IdentityOfCertificate(ReadText(state / "node.crt"));
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->name, kNode);
  EXPECT_EQ(identity->role, PeerRole::kNode);

  // The same token again, with no certificate: refused in the controller's
  // words, exit code 2, nothing written.
  absl::StatusOr<std::unique_ptr<testing::ChildProcess>> second = StartAgent("b", token);
  ASSERT_TRUE(second.ok()) << second.status();
  absl::StatusOr<int> code = (*second)->Wait(std::chrono::seconds(60));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 2);
  const std::string log = ReadText(dir_ / "b/agent.log");
  EXPECT_THAT(log, HasSubstr("refused by the controller"));
  EXPECT_THAT(log, HasSubstr("used"));
  EXPECT_THAT(log, ::testing::Not(HasSubstr(token)));
  EXPECT_FALSE(fs::exists(dir_ / "b/state/node.key"));
  EXPECT_FALSE(fs::exists(dir_ / "b/state/node.crt"));
}

TEST_F(AgentEnrolmentTest, WithoutTlsOrPlaintextTheAgentRefusesToStart) {
  absl::StatusOr<std::unique_ptr<testing::ChildProcess>> agent = testing::ChildProcess::Start(
      {Env("BAMCTL_AGENTD_BIN"), "--config=/dev/null", "--node=zk1", "--controller=" + address_,
       "--state_dir=" + (dir_ / "c/state").string(), "--root_dir=" + (dir_ / "c").string(),
       "--metrics_listen="},
      {}, dir_.string(), (dir_ / "c.log").string());
  ASSERT_TRUE(agent.ok());
  absl::StatusOr<int> code = (*agent)->Wait(std::chrono::seconds(30));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 2);
  const std::string log = ReadText(dir_ / "c.log");
  EXPECT_THAT(log, HasSubstr("--ca_file"));
  EXPECT_THAT(log, HasSubstr("--insecure_plaintext"));
}

// Node certificates that live a minute (plus the minute of clock skew the CA
// grants at the start): renewal is due 20 s after each issue.
class AgentRenewalTest : public AgentEnrolmentTest {
 protected:
  AgentRenewalTest() { controller_flags_ = {"--node_cert_lifetime_ms=60000"}; }
};

TEST_F(AgentRenewalTest, TheAgentRenewsItsCertificateOverItsStreamAndStaysConnected) {
  absl::StatusOr<std::unique_ptr<testing::ChildProcess>> agent = StartAgent("a", CreateToken());
  ASSERT_TRUE(agent.ok()) << agent.status();
  agent_ = std::move(*agent);
  ASSERT_TRUE(WaitConnected(std::chrono::seconds(60)))
      << "not connected; see " << (dir_ / "a/agent.log").string();
  const fs::path state = dir_ / "a/state";
  const std::string first = ReadText(state / "node.crt");

  std::string renewed = first;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (renewed == first && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    renewed = ReadText(state / "node.crt");
  }
  ASSERT_NE(renewed, first) << "no renewal; see " << (dir_ / "a/agent.log").string();
  EXPECT_TRUE(CheckKeyMatchesCertificate(renewed, ReadText(state / "node.key")).ok());
  absl::StatusOr<Identity> identity = IdentityOfCertificate(renewed);
  ASSERT_TRUE(identity.ok());
  EXPECT_EQ(identity->name, kNode);
  struct stat st {};
  ASSERT_EQ(stat((state / "node.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  // The agent dials again with the new pair and is back.
  EXPECT_TRUE(WaitConnected(std::chrono::seconds(30)));
  EXPECT_EQ(kill(agent_->pid(), 0), 0) << "the agent exited";
}

}  // namespace
}  // namespace bamctl
