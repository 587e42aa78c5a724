// bamctl over mutual TLS: a real gRPC server that requires and verifies
// client certificates, with certificates from InitPkiDir.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bamctl/cli.h"
#include "bamctl/controller_client.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "pki/pki_dir.h"
#include "proto/controller.grpc.pb.h"
#include "tests/util/loopback_subnet.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

// The port of the test's server on its own loopback address: the subnet is
// this process's, so a fixed port cannot collide with another test.
constexpr int kPort = 7443;

// GetStatus only; records the certificate name of each caller.
class StatusOnlyService final : public v1::ClusterService::Service {
 public:
  grpc::Status GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest*,
                         v1::GetStatusResponse* response) override {
    absl::MutexLock lock(&mu_);
    for (const grpc::string_ref& name :
         context->auth_context()->FindPropertyValues("x509_common_name")) {
      callers_.emplace_back(name.data(), name.size());
    }
    // What an authorizing controller answers a certificate it refuses.
    if (!callers_.empty() && callers_.back() == "vic") {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          "status needs an operator certificate; \"vic\" holds a viewer one");
    }
    response->set_converged(true);
    v1::NodeStatus* node = response->add_nodes();
    node->set_node("node1");
    node->set_converged(true);
    node->set_connected(true);
    return grpc::Status::OK;
  }

  std::vector<std::string> callers() {
    absl::MutexLock lock(&mu_);
    return callers_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> callers_ ABSL_GUARDED_BY(mu_);
};

std::string Read(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Result {
  int code;
  std::string out;
  std::string err;
};

class TlsCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::MakeTempDir("tls_commands_test");
    host_ = testing::ProcessLoopbackSubnet().ServerAddress();
    pki_ = root_ / "pki";
    auto written = InitPkiDir(pki_.string(), "tls-test", {host_}, kPort);
    ASSERT_TRUE(written.ok()) << written.status();

    grpc::SslServerCredentialsOptions options(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    options.pem_root_certs = Read(pki_ / "ca.crt");
    options.pem_key_cert_pairs.push_back(
        {Read(pki_ / "controller.key"), Read(pki_ / "controller.crt")});
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(absl::StrCat(host_, ":", kPort), grpc::SslServerCredentials(options),
                             &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_EQ(port, kPort);
    // Far below the test timeout, so a hung call fails the test instead.
    context_.rpc_timeout = absl::Seconds(10);
    context_.user = "alice";
  }

  void TearDown() override {
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
      server_->Wait();
    }
    fs::remove_all(root_);
  }

  Result Run(const std::vector<std::string>& args) {
    std::ostringstream out;
    std::ostringstream err;
    const int code = RunBamctl(args, context_, out, err);
    return {code, out.str(), err.str()};
  }

  // A config in the test's root naming these files (absolute paths).
  std::string WriteConfig(const std::string& name, const fs::path& ca, const fs::path& cert,
                          const fs::path& key) {
    const fs::path path = root_ / name;
    std::ofstream(path) << "controller = " << host_ << ":" << kPort << "\nca_file = " << ca.string()
                        << "\ncert_file = " << cert.string() << "\nkey_file = " << key.string()
                        << "\n";
    return path.string();
  }

  fs::path root_;
  fs::path pki_;
  std::string host_;
  StatusOnlyService service_;
  std::unique_ptr<grpc::Server> server_;
  CommandContext context_;
};

TEST_F(TlsCommandsTest, StatusWithConfigTalksMutualTls) {
  Result r = Run({"status", "--config", (pki_ / "bamctl.conf").string()});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("node1"));
  // The server saw admin's certificate.
  EXPECT_EQ(service_.callers(), std::vector<std::string>{"admin"});
}

TEST_F(TlsCommandsTest, ConfigFromTheEnvironmentAndControllerPriority) {
  // $BAMCTL_CONFIG; its controller wins over $BAMCTL_CONTROLLER.
  context_.default_config = (pki_ / "bamctl.conf").string();
  context_.default_controller = "127.0.0.1:1";
  Result r = Run({"status"});
  EXPECT_EQ(r.code, kExitOk) << r.err;

  // --controller wins over the config's.
  r = Run({"status", "--controller", "127.0.0.1:1"});
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_THAT(r.err, HasSubstr("cannot reach the controller at 127.0.0.1:1"));

  // A person issued later talks with their own config.
  ASSERT_TRUE(IssueInDir(pki_.string(), "bob", PeerRole::kViewer).ok());
  r = Run({"status", "--config", (pki_ / "bob.conf").string()});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(service_.callers(), (std::vector<std::string>{"admin", "bob"}));
}

TEST_F(TlsCommandsTest, ARefusalOfTheCertificateIsToldInWords) {
  ASSERT_TRUE(IssueInDir(pki_.string(), "vic", PeerRole::kViewer).ok());
  Result r = Run({"status", "--config", (pki_ / "vic.conf").string()});
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_EQ(r.err, absl::StrCat("bamctl: status: the controller at ", host_, ":", kPort,
                                " refused: status needs an operator certificate; \"vic\" holds a "
                                "viewer one\n"));
}

TEST_F(TlsCommandsTest, CertificateFromAnotherCaIsRefused) {
  const fs::path other = root_ / "other";
  ASSERT_TRUE(InitPkiDir(other.string(), "other", {host_}, kPort).ok());
  // Trusts the right CA for the server, but presents another CA's client.
  const std::string config =
      WriteConfig("mallory.conf", pki_ / "ca.crt", other / "admin.crt", other / "admin.key");
  Result r = Run({"status", "--config", config});
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_THAT(r.err, AllOf(HasSubstr("cannot reach the controller at " + host_),
                           HasSubstr("does not trust the config's cert_file")));
  EXPECT_TRUE(service_.callers().empty());

  // And a config whose CA is not the controller's does not trust the server.
  const std::string wrong_ca =
      WriteConfig("wrong-ca.conf", other / "ca.crt", pki_ / "admin.crt", pki_ / "admin.key");
  r = Run({"status", "--config", wrong_ca});
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_THAT(r.err, HasSubstr("cannot reach the controller"));
  EXPECT_TRUE(service_.callers().empty());
}

TEST_F(TlsCommandsTest, PlaintextIsRefusedByATlsController) {
  Result r = Run({"status", "--controller", absl::StrCat(host_, ":", kPort)});
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_THAT(r.err, HasSubstr("cannot reach the controller"));
  EXPECT_TRUE(service_.callers().empty());
}

TEST_F(TlsCommandsTest, BrokenConfigFailsBeforeAnyCall) {
  // Any connection attempt fails the test.
  context_.make_stub = [](const std::string& address, const std::optional<ClientTls>& tls) {
    ADD_FAILURE() << "connected to " << address << " with a broken config";
    return NewClusterStub(address, tls);
  };
  const std::string missing_key =
      WriteConfig("missing.conf", pki_ / "ca.crt", pki_ / "admin.crt", pki_ / "gone.key");
  Result r = Run({"status", "--config", missing_key});
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_THAT(r.err, HasSubstr(missing_key + ":4: key_file " + (pki_ / "gone.key").string() +
                               ": no such file"));

  ASSERT_TRUE(IssueInDir(pki_.string(), "carol", PeerRole::kOperator).ok());
  const std::string mismatched =
      WriteConfig("mismatched.conf", pki_ / "ca.crt", pki_ / "admin.crt", pki_ / "carol.key");
  r = Run({"status", "--config", mismatched});
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_THAT(r.err, HasSubstr(mismatched + ":4: key_file " + (pki_ / "carol.key").string() +
                               ": the key is not the key of certificate"));

  r = Run({"status", "--config", (root_ / "none.conf").string()});
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_THAT(r.err, HasSubstr("none.conf: no such file"));
}

TEST(CommandContextTest, ReadsTheConfigFromTheEnvironment) {
  ASSERT_EQ(setenv("BAMCTL_CONFIG", "/etc/bamctl/admin.conf", 1), 0);
  EXPECT_EQ(CommandContextFromEnvironment().default_config, "/etc/bamctl/admin.conf");
  ASSERT_EQ(unsetenv("BAMCTL_CONFIG"), 0);
  EXPECT_EQ(CommandContextFromEnvironment().default_config, "");
  EXPECT_FALSE(CommandContextFromEnvironment().tls.has_value());
}

}  // namespace
}  // namespace bamctl
