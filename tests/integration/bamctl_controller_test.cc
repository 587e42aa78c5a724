// The built binaries together: bam-controller as a process, bamctl as an
// operator runs it against it.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/net_util.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "tests/integration/child_process.h"
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
    absl::StatusOr<std::unique_ptr<testing::ChildProcess>> child = testing::ChildProcess::Start(
        {Env("BAMCTL_CONTROLLER_BIN"), "--listen=" + address_,
         "--db=" + (dir_ / "controller.db").string(),
         absl::StrCat("--metrics_listen=", host_, ":", kMetricsPort), "--insecure_plaintext"},
        {}, dir_.string(), (dir_ / "controller.log").string());
    ASSERT_TRUE(child.ok()) << child.status();
    controller_ = std::move(*child);
    auto channel = grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
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

  Result Bamctl(std::vector<std::string> args) {
    args.insert(args.begin(), Env("BAMCTL_BIN"));
    const fs::path log = dir_ / absl::StrCat("bamctl-", runs_++, ".log");
    absl::StatusOr<std::unique_ptr<testing::ChildProcess>> child = testing::ChildProcess::Start(
        args, {{"BAMCTL_CONTROLLER", address_}, {"USER", "e2e"}}, dir_.string(), log.string());
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

  fs::path dir_;
  std::string host_;  // the controller's address, without the port
  std::string address_;
  std::string spec_;
  std::unique_ptr<testing::ChildProcess> controller_;
  int runs_ = 0;
};

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
