// The built binaries together: bam-controller as a process, bamctl as an
// operator runs it against it.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/net_util.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "pki/client_config.h"
#include "tests/integration/child_process.h"
#include "tests/util/http_client.h"
#include "tests/util/loopback_subnet.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

struct Result {
  int code;
  std::string output;  // stdout and stderr together
};

class BamctlControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Env("BAMCTL_CONTROLLER_BIN").empty() || Env("BAMCTL_BIN").empty()) {
      GTEST_SKIP() << "BAMCTL_CONTROLLER_BIN / BAMCTL_BIN not set (CTest sets them)";
    }
    dir_ = testing::MakeTempDir("bamctl_e2e");
    // This process's loopback subnet: fixed ports no other process uses.
    host_ = testing::ProcessLoopbackSubnet().ServerAddress();
    address_ = absl::StrCat(host_, ":7443");
    // The operator's first step: a PKI for the controller's address (its
    // default port), whose bamctl.conf every later call uses.
    pki_ = (dir_ / "pki").string();
    Result init = Bamctl({"pki", "init", "--dir", pki_, "--controller-host", host_});
    ASSERT_EQ(init.code, 0) << init.output;
    absl::StatusOr<std::unique_ptr<testing::ChildProcess>> child = testing::ChildProcess::Start(
        {Env("BAMCTL_CONTROLLER_BIN"), "--listen=" + address_,
         "--db=" + (dir_ / "controller.db").string(),
         absl::StrCat("--metrics_listen=", host_, ":", kMetricsPort), "--tls_dir=" + pki_,
         absl::StrCat("--web_listen=", host_, ":", kWebPort)},
        {}, dir_.string(), (dir_ / "controller.log").string());
    ASSERT_TRUE(child.ok()) << child.status();
    controller_ = std::move(*child);
    absl::StatusOr<ClientConfig> admin = ReadClientConfig(pki_ + "/bamctl.conf");
    ASSERT_TRUE(admin.ok()) << admin.status();
    absl::StatusOr<ClientTls> tls = LoadClientTls(*admin);
    ASSERT_TRUE(tls.ok()) << tls.status();
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = tls->ca_pem;
    options.pem_cert_chain = tls->cert_pem;
    options.pem_private_key = tls->key_pem;
    auto channel = grpc::CreateChannel(address_, grpc::SslCredentials(options));
    ASSERT_TRUE(
        channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(30)))
        << "bam-controller did not start; see " << (dir_ / "controller.log").string();
    spec_ = (dir_ / "seed.yaml").string();
    std::ofstream(spec_) << testing::ReadSourceFile("examples/seed-cluster.yaml");
  }
  void TearDown() override {
    controller_.reset();
    if (!HasFailure() && !dir_.empty()) fs::remove_all(dir_);  // else kept for its logs
  }

  // bamctl as admin (pki/bamctl.conf), or with `config` ("": none).
  Result Bamctl(std::vector<std::string> args) {
    return BamctlWith(std::move(args), pki_ + "/bamctl.conf");
  }
  Result BamctlWith(std::vector<std::string> args, const std::string& config) {
    args.insert(args.begin(), Env("BAMCTL_BIN"));
    const fs::path log = dir_ / absl::StrCat("bamctl-", runs_++, ".log");
    std::map<std::string, std::string> env = {{"USER", "e2e"}};
    env[config.empty() ? "BAMCTL_CONTROLLER" : "BAMCTL_CONFIG"] =
        config.empty() ? address_ : config;
    absl::StatusOr<std::unique_ptr<testing::ChildProcess>> child =
        testing::ChildProcess::Start(args, env, dir_.string(), log.string());
    if (!child.ok()) {
      ADD_FAILURE() << child.status();
      return {-1, ""};
    }
    absl::StatusOr<int> code = (*child)->Wait(std::chrono::seconds(60));
    EXPECT_TRUE(code.ok()) << code.status();
    std::ifstream in(log);
    std::ostringstream text;
    text << in.rdbuf();
    return {code.ok() ? *code : -1, text.str()};
  }

  static constexpr int kMetricsPort = 9464;
  static constexpr int kWebPort = 9443;

  fs::path dir_;
  std::string pki_;
  std::string host_;  // the controller's address, without the port
  std::string address_;
  std::string spec_;
  std::unique_ptr<testing::ChildProcess> controller_;
  int runs_ = 0;
};

// `bamctl web login` prints a one-time link alone on stdout, for viewers as
// for operators; the link logs a browser in once.
TEST_F(BamctlControllerTest, WebLoginPrintsAOneTimeLink) {
  Result issue = Bamctl({"pki", "issue", "--dir", pki_, "--name", "ann", "--role", "viewer"});
  ASSERT_EQ(issue.code, 0) << issue.output;
  Result login = BamctlWith({"web", "login"}, pki_ + "/ann.conf");
  ASSERT_EQ(login.code, 0) << login.output;
  const std::string prefix = absl::StrCat("https://", host_, ":", kWebPort, "/login#token=");
  ASSERT_THAT(login.output, HasSubstr(prefix));
  EXPECT_THAT(login.output, HasSubstr("one-time login link, works until"));
  const size_t at = login.output.find(prefix) + prefix.size();
  const std::string token = login.output.substr(at, login.output.find('\n', at) - at);
  ASSERT_EQ(token.size(), 64u) << login.output;

  testing::HttpClientOptions tls;
  tls.tls = true;
  std::ifstream ca(pki_ + "/ca.crt");
  tls.ca_pem.assign(std::istreambuf_iterator<char>(ca), {});
  absl::StatusOr<testing::HttpAnswer> in =
      testing::HttpPostForm(host_, kWebPort, "/login", "token=" + token, tls);
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->status, 303);
  EXPECT_THAT(in->headers["set-cookie"], HasSubstr("__Host-bamctl_session="));
  absl::StatusOr<testing::HttpAnswer> again =
      testing::HttpPostForm(host_, kWebPort, "/login", "token=" + token, tls);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->status, 401);

  Result json = Bamctl({"web", "login", "-o", "json"});
  EXPECT_EQ(json.code, 0) << json.output;
  EXPECT_THAT(json.output, HasSubstr("\"expires_ms\""));
}

TEST_F(BamctlControllerTest, ApplyGetStatusAndRefusal) {
  Result apply = Bamctl({"desired-state", "apply", "-f", spec_, "-m", "first"});
  EXPECT_EQ(apply.code, 0) << apply.output;
  EXPECT_THAT(apply.output, HasSubstr("version 1"));

  Result get = Bamctl({"desired-state", "get", "-o", "json"});
  EXPECT_EQ(get.code, 0) << get.output;
  EXPECT_THAT(get.output, HasSubstr("\"version\": 1"));

  Result history = Bamctl({"desired-state", "history"});
  EXPECT_EQ(history.code, 0) << history.output;
  EXPECT_THAT(history.output, HasSubstr("first"));

  // No agents: not converged, and scripts see it in the exit code.
  Result status = Bamctl({"status"});
  EXPECT_EQ(status.code, 1) << status.output;
  EXPECT_THAT(status.output, HasSubstr("node3"));

  // An invalid spec is refused with offline validate's message; nothing changes.
  std::string text = testing::ReadSourceFile("examples/seed-cluster.yaml");
  std::ofstream((dir_ / "bad.yaml").string())
      << testing::ReplaceOnce(text, "replication_factor: 3", "replication_factor: 4");
  Result bad = Bamctl({"desired-state", "apply", "-f", (dir_ / "bad.yaml").string()});
  EXPECT_EQ(bad.code, 1);
  EXPECT_THAT(bad.output, HasSubstr("bad.yaml:46:23: error: cassandra.replication_factor"));
  EXPECT_THAT(Bamctl({"desired-state", "get", "-o", "json"}).output, HasSubstr("\"version\": 1"));
}

// Who may do what, end to end through bamctl's own config files.
TEST_F(BamctlControllerTest, ViewersReadOperatorsChangeAndPlaintextIsRefused) {
  ASSERT_EQ(Bamctl({"desired-state", "apply", "-f", spec_}).code, 0);
  Result issue = Bamctl({"pki", "issue", "--dir", pki_, "--name", "ann", "--role", "viewer"});
  ASSERT_EQ(issue.code, 0) << issue.output;
  const std::string viewer = pki_ + "/ann.conf";

  Result history = BamctlWith({"desired-state", "history"}, viewer);
  EXPECT_EQ(history.code, 0) << history.output;
  Result apply = BamctlWith({"desired-state", "apply", "-f", spec_, "-m", "again"}, viewer);
  EXPECT_NE(apply.code, 0);
  EXPECT_THAT(apply.output, HasSubstr("ann"));
  EXPECT_THAT(apply.output, HasSubstr("viewer"));
  Result token = BamctlWith({"node", "token", "create", "node1"}, viewer);
  EXPECT_NE(token.code, 0) << token.output;

  // An operator makes tokens; a token is never for a node the spec lacks.
  Result made = Bamctl({"node", "token", "create", "node1", "--ttl", "10m"});
  EXPECT_EQ(made.code, 0) << made.output;
  Result stranger = Bamctl({"node", "token", "create", "node9"});
  EXPECT_NE(stranger.code, 0);
  EXPECT_THAT(stranger.output, HasSubstr("node9"));

  // No config: bamctl talks plaintext, which a TLS controller refuses.
  Result plain = BamctlWith({"status"}, "");
  EXPECT_NE(plain.code, 0);
  EXPECT_THAT(plain.output, HasSubstr(address_));
  EXPECT_THAT(plain.output, HasSubstr("plaintext"));
  EXPECT_THAT(plain.output, HasSubstr("BAMCTL_CONFIG"));
  EXPECT_EQ(Bamctl({"desired-state", "history"}).output.find("again"), std::string::npos);
}

// systemd stops the controller with SIGTERM: it must exit 0, not abort
// while its signal thread is still shutting it down.
TEST_F(BamctlControllerTest, SigtermStopsTheControllerCleanly) {
  ASSERT_EQ(Bamctl({"desired-state", "apply", "-f", spec_}).code, 0);
  ASSERT_EQ(kill(controller_->pid(), SIGTERM), 0);
  absl::StatusOr<int> code = controller_->Wait(std::chrono::seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << "see " << (dir_ / "controller.log").string();
}

// /metrics as Prometheus' own linter sees it.
TEST_F(BamctlControllerTest, MetricsPassPromtool) {
  ASSERT_TRUE(fs::exists("/usr/bin/promtool")) << "promtool missing: run scripts/install-deps.sh";
  ASSERT_EQ(Bamctl({"desired-state", "apply", "-f", spec_}).code, 0);
  absl::StatusOr<std::string> reply =
      TcpRequest(host_, kMetricsPort, "GET /metrics HTTP/1.0\r\n\r\n", std::chrono::seconds(10));
  ASSERT_TRUE(reply.ok()) << reply.status();
  const size_t body = reply->find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  const std::string text = reply->substr(body + 4);
  EXPECT_THAT(text, HasSubstr("bamctl_controller_desired_version 1"));
  EXPECT_THAT(text, HasSubstr("bamctl_controller_applies_total{result=\"ok\"} 1"));
  EXPECT_THAT(text, HasSubstr("bamctl_controller_operations{state=\"running\"} 0"));
  // pki init's certificates: the controller's and the CA's expiry, years away.
  for (const char* which : {"controller", "ca"}) {
    const std::string series = absl::StrCat(
        "bamctl_controller_certificate_expiry_timestamp_seconds{certificate=\"", which, "\"} ");
    const size_t at = text.find(series);
    ASSERT_NE(at, std::string::npos) << which;
    const double expiry = std::stod(text.substr(at + series.size()));
    EXPECT_GT(expiry, static_cast<double>(time(nullptr)) + 30 * 86400.0) << which;
  }
  std::ofstream((dir_ / "metrics.txt").string()) << text;
  absl::StatusOr<std::unique_ptr<testing::ChildProcess>> check = testing::ChildProcess::Start(
      {"/bin/sh", "-c", "/usr/bin/promtool check metrics < metrics.txt"}, {}, dir_.string(),
      (dir_ / "promtool.log").string());
  ASSERT_TRUE(check.ok());
  absl::StatusOr<int> code = (*check)->Wait(std::chrono::seconds(60));
  ASSERT_TRUE(code.ok());
  std::ifstream log(dir_ / "promtool.log");
  std::ostringstream findings;
  findings << log.rdbuf();
  EXPECT_EQ(*code, 0) << findings.str();
}

}  // namespace
}  // namespace bamctl
