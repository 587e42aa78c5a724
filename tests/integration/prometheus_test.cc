// A real Prometheus server (Debian's) against the local seed cluster, with
// the packaged configuration and rules: it finds every agent and the
// controller through the controller's service discovery (over TLS, with a
// viewer certificate), scrapes them, and the crash-loop alert fires when a
// role is made to crash-loop and resolves when it is mended, as read from
// Prometheus's own API.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/file_util.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "pki/pki_dir.h"
#include "tests/integration/child_process.h"
#include "tests/integration/local_cluster_fixture.h"
#include "tests/util/http_client.h"
#include "tests/util/loopback_subnet.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::google::protobuf::Value;
using testing::LocalCluster;
using testing::LocalClusterFixture;

constexpr int kPrometheusPort = 9090;

LocalClusterFixture::Settings SeedSettings() {
  LocalClusterFixture::Settings settings;
  settings.emulated = true;
  const std::string ctl = testing::ProcessLoopbackSubnet().ServerAddress();
  settings.cluster.controller_flags = {"--web_listen=" + ctl + ":0",
                                       "--metrics_listen=" + ctl + ":0"};
  return settings;
}

// A field of a JSON object, or null.
const Value* Field(const Value& v, const std::string& name) {
  if (!v.has_struct_value()) return nullptr;
  auto it = v.struct_value().fields().find(name);
  return it == v.struct_value().fields().end() ? nullptr : &it->second;
}

std::string Text(const Value* v) { return v != nullptr ? v->string_value() : ""; }

class PrometheusTest : public LocalClusterFixture {
 protected:
  PrometheusTest()
      : LocalClusterFixture(testing::ReadSourceFile("examples/seed-cluster.yaml"), SeedSettings()) {
  }

  void SetUp() override {
    if (!fs::exists("/usr/bin/prometheus")) {
      GTEST_SKIP() << "Debian's prometheus is not installed (scripts/install-deps.sh)";
    }
    LocalClusterFixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    host_ = testing::ProcessLoopbackSubnet().Address(200);
    dir_ = testing::MakeTempDir("prometheus");
    // Prometheus's viewer certificate, as docs/operations.md makes it.
    const std::string pki = cluster().pki_dir().string();
    ASSERT_TRUE(IssueInDir(pki, "prometheus", PeerRole::kViewer).ok());
    absl::StatusOr<v1::CreateWebLoginResponse> login = cluster().WebLogin();
    ASSERT_TRUE(login.ok()) << login.status();
    std::string web = login->url();  // https://HOST:PORT/login#token=...
    web = web.substr(std::string("https://").size());
    web = web.substr(0, web.find('/'));

    // The packaged configuration with this cluster's controller, the
    // certificate's place and the rules' source; intervals of a second so
    // the test does not wait out production's 15 s.
    std::string config = testing::ReadSourceFile("packaging/prometheus/bamctl-prometheus.yml");
    config = absl::StrReplaceAll(
        config, {{"CONTROLLER", web},
                 {"/etc/prometheus/bamctl/ca.crt", pki + "/ca.crt"},
                 {"/etc/prometheus/bamctl/prometheus.crt", pki + "/prometheus.crt"},
                 {"/etc/prometheus/bamctl/prometheus.key", pki + "/prometheus.key"},
                 {"/usr/share/bam-controller/prometheus/bamctl-rules.yml",
                  (testing::SourceDir() / "packaging/prometheus/bamctl-rules.yml").string()},
                 {"scrape_interval: 15s", "scrape_interval: 1s"},
                 {"evaluation_interval: 15s", "evaluation_interval: 1s"},
                 {"refresh_interval: 30s", "refresh_interval: 1s"}});
    ASSERT_TRUE(WriteFileAtomically((dir_ / "prometheus.yml").string(), config, 0644).ok());
    absl::StatusOr<std::unique_ptr<testing::ChildProcess>> prometheus =
        testing::ChildProcess::Start(
            {"/usr/bin/prometheus", "--config.file=" + (dir_ / "prometheus.yml").string(),
             "--storage.tsdb.path=" + (dir_ / "data").string(),
             absl::StrCat("--web.listen-address=", host_, ":", kPrometheusPort),
             "--log.level=warn"},
            {}, dir_.string(), (dir_ / "prometheus.log").string());
    ASSERT_TRUE(prometheus.ok()) << prometheus.status();
    prometheus_ = *std::move(prometheus);
  }

  void TearDown() override {
    prometheus_.reset();  // kills it
    if (!HasFailure() && !dir_.empty()) fs::remove_all(dir_);
    LocalClusterFixture::TearDown();
  }

  // GET `path` of Prometheus's API: its "data", or an error.
  absl::StatusOr<Value> Api(const std::string& path) {
    absl::StatusOr<testing::HttpAnswer> answer = testing::HttpGet(host_, kPrometheusPort, path, {});
    if (!answer.ok()) return answer.status();
    Value root;
    if (!google::protobuf::util::JsonStringToMessage(answer->body, &root).ok()) {
      return absl::DataLossError(absl::StrCat("not JSON: ", answer->body.substr(0, 200)));
    }
    if (Text(Field(root, "status")) != "success") {
      return absl::UnavailableError(answer->body.substr(0, 300));
    }
    return *Field(root, "data");
  }

  // Polls `check` on the API's `path` every 500 ms for up to `timeout`.
  absl::StatusOr<Value> WaitApi(const std::string& path,
                                const std::function<bool(const Value&)>& check,
                                std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    absl::StatusOr<Value> last = absl::DeadlineExceededError("never asked");
    while (std::chrono::steady_clock::now() < deadline) {
      last = Api(path);
      if (last.ok() && check(*last)) return last;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    std::string got;
    if (last.ok()) (void)google::protobuf::util::MessageToJsonString(*last, &got);
    absl::StatusOr<std::optional<std::string>> log =
        ReadFileIfExists((dir_ / "prometheus.log").string());
    return absl::DeadlineExceededError(absl::StrCat(
        "after ", timeout.count(), " s, ", path,
        " gives: ", last.ok() ? got.substr(0, 4000) : last.status().ToString(),
        "\nprometheus.log: ", log.ok() && log->has_value() ? (*log)->substr(0, 4000) : ""));
  }

  std::string host_;
  fs::path dir_;
  std::unique_ptr<testing::ChildProcess> prometheus_;
};

// The active targets that are up, as "job/node" (controller: "job/controller").
std::set<std::string> UpTargets(const Value& data) {
  std::set<std::string> out;
  const Value* active = Field(data, "activeTargets");
  if (active == nullptr) return out;
  for (const Value& t : active->list_value().values()) {
    if (Text(Field(t, "health")) != "up") continue;
    const Value* labels = Field(t, "labels");
    const std::string job = Text(Field(*labels, "job"));
    const std::string node = Text(Field(*labels, "node"));
    out.insert(absl::StrCat(job, "/", node.empty() ? Text(Field(*labels, "controller")) : node));
  }
  return out;
}

// Alerts named `name` in `state` ("firing", "pending"), as "node/service".
std::set<std::string> Alerts(const Value& data, const std::string& name, const std::string& state) {
  std::set<std::string> out;
  const Value* alerts = Field(data, "alerts");
  if (alerts == nullptr) return out;
  for (const Value& a : alerts->list_value().values()) {
    const Value* labels = Field(a, "labels");
    if (Text(Field(*labels, "alertname")) != name || Text(Field(a, "state")) != state) continue;
    out.insert(absl::StrCat(Text(Field(*labels, "node")), "/", Text(Field(*labels, "service"))));
  }
  return out;
}

TEST_F(PrometheusTest, FindsTheClusterThroughTheControllerAndAlertsOnACrashLoop) {
  // Every agent with its node and roles, and the controller, scraped.
  const std::set<std::string> expected = {"bam-agent/node1", "bam-agent/node2",
                                          "bam-agent/node3", "bam-agent/node4",
                                          "bam-agent/node5", "bam-controller/controller"};
  absl::StatusOr<Value> targets = WaitApi(
      "/api/v1/targets?state=active", [&](const Value& d) { return UpTargets(d) == expected; },
      std::chrono::seconds(60));
  ASSERT_TRUE(targets.ok()) << targets.status();
  bool saw_roles = false;
  for (const Value& t : Field(*targets, "activeTargets")->list_value().values()) {
    const Value* labels = Field(t, "labels");
    if (Text(Field(*labels, "node")) == "node5") {
      EXPECT_EQ(Text(Field(*labels, "roles")), "zookeeper,cassandra,datanode,tasktracker");
      EXPECT_EQ(Text(Field(*labels, "instance")), cluster().Address("node5") + ":9465");
      saw_roles = true;
    }
  }
  EXPECT_TRUE(saw_roles);
  // Scraped for real: a role's series carries the target's labels.
  absl::StatusOr<Value> up = WaitApi(
      "/api/v1/query?query=bam_agent_role_up%7Bnode%3D%22node5%22%2Cservice%3D%22cassandra%22%7D",
      [](const Value& d) { return !Field(d, "result")->list_value().values().empty(); },
      std::chrono::seconds(30));
  ASSERT_TRUE(up.ok()) << up.status();

  // node5's Cassandra made to crash-loop (the emulator exits at start).
  const std::string fault = cluster().NodeRoot("node5") + "/opt/cassandra/emulator-fault";
  ASSERT_TRUE(WriteFileAtomically(fault, "exit-at-start\n", 0644).ok());
  absl::StatusOr<v1::GetStatusResponse> running = cluster().WaitFor(
      [](const v1::GetStatusResponse& s) {
        const v1::RoleStatus* r = LocalCluster::FindRole(s, "node5", "cassandra");
        return r != nullptr && r->pid() > 0;
      },
      std::chrono::seconds(30));
  ASSERT_TRUE(running.ok()) << running.status();
  const int64_t pid = LocalCluster::FindRole(*running, "node5", "cassandra")->pid();
  ASSERT_EQ(kill(static_cast<pid_t>(pid), SIGKILL), 0);
  absl::StatusOr<v1::GetStatusResponse> looping = cluster().WaitFor(
      [](const v1::GetStatusResponse& s) {
        const v1::RoleStatus* r = LocalCluster::FindRole(s, "node5", "cassandra");
        return r != nullptr && r->phase() == v1::PHASE_CRASH_LOOP;
      },
      std::chrono::seconds(90));
  ASSERT_TRUE(looping.ok()) << looping.status();
  // The rule holds for a minute before it fires.
  absl::StatusOr<Value> firing = WaitApi(
      "/api/v1/alerts",
      [](const Value& d) {
        return Alerts(d, "BamRoleCrashLooping", "firing") ==
               std::set<std::string>{"node5/cassandra"};
      },
      std::chrono::seconds(150));
  ASSERT_TRUE(firing.ok()) << firing.status();

  // Mended: the agent's next try starts it, and the alert resolves.
  fs::remove(fault);
  absl::StatusOr<v1::GetStatusResponse> mended = cluster().WaitFor(
      [](const v1::GetStatusResponse& s) {
        const v1::RoleStatus* r = LocalCluster::FindRole(s, "node5", "cassandra");
        return r != nullptr && r->phase() == v1::PHASE_RUNNING && r->health() == v1::HEALTH_HEALTHY;
      },
      std::chrono::seconds(120));
  ASSERT_TRUE(mended.ok()) << mended.status();
  absl::StatusOr<Value> resolved = WaitApi(
      "/api/v1/alerts",
      [](const Value& d) {
        return Alerts(d, "BamRoleCrashLooping", "firing").empty() &&
               Alerts(d, "BamRoleCrashLooping", "pending").empty();
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(resolved.ok()) << resolved.status();
}

}  // namespace
}  // namespace bamctl
