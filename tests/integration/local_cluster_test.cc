// Issue 6's scenarios on the seed's five-node cluster, run on this machine:
// a real bam-controller, five real bam-agentd, the real ZooKeeper ensemble
// (Debian's package) and emulated Hadoop, Cassandra and BAM installs
// (tests/emulators). One cluster serves the suite, in order: starting it
// costs the most, and each scenario leaves it converged or says what it
// changed.
#include "tests/integration/local_cluster.h"

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/file_util.h"
#include "common/net_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "roles/driver/endpoint.h"
#include "roles/driver/file_sources.h"
#include "roles/probe/probe_runner.h"
#include "roles/render/node_renderer.h"
#include "roles/spec/spec_loader.h"
#include "roles/topology/compiler.h"
#include "tests/integration/zookeeper_writer.h"
#include "tests/util/sampler.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::LocalCluster;
using ::testing::Not;

constexpr auto kConverge = std::chrono::seconds(180);

bool Alive(int64_t pid) { return pid > 0 && kill(static_cast<pid_t>(pid), 0) == 0; }

// Role pids per "node/service".
std::map<std::string, int64_t> Pids(const v1::GetStatusResponse& status) {
  std::map<std::string, int64_t> pids;
  for (const v1::NodeStatus& n : status.nodes()) {
    for (const v1::RoleStatus& r : n.roles()) pids[n.node() + "/" + r.service()] = r.pid();
  }
  return pids;
}

class SeedClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_ = testing::MissingLocalClusterParts(true);
    if (!skip_.empty()) {
      return;
    }
    dir_ = new fs::path(testing::MakeTempDir("seed_cluster"));
    // On this process's loopback subnet (LocalCluster's default).
    absl::StatusOr<std::unique_ptr<LocalCluster>> cluster = LocalCluster::Create(
        *dir_, testing::ReadSourceFile("examples/seed-cluster.yaml"), LocalCluster::Options());
    if (!cluster.ok()) {
      setup_error_ = new std::string(cluster.status().ToString());
      return;
    }
    cluster_ = cluster->release();
    if (absl::Status s = cluster_->StartAgents(); !s.ok()) {
      setup_error_ = new std::string(s.ToString());
    }
  }

  static void TearDownTestSuite() {
    delete cluster_;  // kills agents, controller and every role
    cluster_ = nullptr;
    if (dir_ != nullptr && !failed_) fs::remove_all(*dir_);
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_EQ(setup_error_, nullptr) << *setup_error_;
    ASSERT_NE(cluster_, nullptr);
  }
  void TearDown() override {
    if (HasFailure()) failed_ = true;
  }

  static v1::GetStatusResponse Converged() {
    absl::StatusOr<v1::GetStatusResponse> status = cluster_->WaitConverged(kConverge);
    EXPECT_TRUE(status.ok()) << status.status();
    return status.ok() ? *status : v1::GetStatusResponse();
  }

  // zoo.cfg on `node`, where the local spec's plan puts it.
  static std::string ZooCfg(const std::string& node) {
    LoadedSpec loaded = LoadSpec(cluster_->spec_text());
    EXPECT_TRUE(loaded.ok());
    absl::StatusOr<v1::ClusterPlan> plan = CompileTopology(loaded.spec);
    EXPECT_TRUE(plan.ok());
    for (const v1::NodePlan& n : plan->nodes()) {
      if (n.node() == node) return cluster_->NodeRoot(node) + n.zookeeper().conf_dir() + "/zoo.cfg";
    }
    ADD_FAILURE() << "no node " << node;
    return "";
  }

  static std::string Spec(const std::string& from = "", const std::string& to = "") {
    return from.empty() ? cluster_->spec_text()
                        : testing::ReplaceOnce(cluster_->spec_text(), from, to);
  }

  static inline LocalCluster* cluster_ = nullptr;
  static inline fs::path* dir_ = nullptr;
  static inline std::string skip_;
  static inline std::string* setup_error_ = nullptr;
  static inline bool failed_ = false;
};

// Scenario 1.
TEST_F(SeedClusterTest, TheSeedConvergesWithOneZooKeeperLeaderAndTheRenderedFiles) {
  v1::GetStatusResponse status = Converged();
  ASSERT_TRUE(status.converged());
  ASSERT_EQ(status.nodes_size(), 5);
  EXPECT_EQ(Pids(status).size(), 17u);  // node1 3, node2 2, node3-5 4 each

  int leaders = 0;
  int followers = 0;
  for (const std::string node : {"node3", "node4", "node5"}) {
    Probe probe{Probe::Kind::kZooKeeper, "ruok", cluster_->Address(node), 2181, ""};
    ProbeResult r = RunProbe(probe, std::chrono::seconds(2));
    EXPECT_TRUE(r.healthy) << node << ": " << r.reason;
    leaders += r.mode == "leader" ? 1 : 0;
    followers += r.mode == "follower" ? 1 : 0;
  }
  EXPECT_EQ(leaders, 1);
  EXPECT_EQ(followers, 2);

  // Every node's files are what rendering its plan gives (secrets redacted
  // here, so files holding one are checked for their mode only).
  LoadedSpec loaded = LoadSpec(cluster_->spec_text());
  ASSERT_TRUE(loaded.ok());
  absl::StatusOr<v1::ClusterPlan> plan = CompileTopology(loaded.spec);
  ASSERT_TRUE(plan.ok()) << plan.status();
  RedactingSecretSource secrets;
  DirectoryFileSource base("");
  for (const v1::NodePlan& node : plan->nodes()) {
    RenderContext ctx;
    ctx.secrets = &secrets;
    ctx.base = &base;
    ctx.root = cluster_->NodeRoot(node.node());
    absl::StatusOr<std::vector<ServicePlan>> services = RenderNode(node, ctx);
    ASSERT_TRUE(services.ok()) << services.status();
    absl::StatusOr<std::vector<ConfigFile>> files = NodeFiles(*services);
    ASSERT_TRUE(files.ok());
    for (const ConfigFile& f : *files) {
      absl::StatusOr<std::optional<std::string>> disk = ReadFileIfExists(f.path);
      ASSERT_TRUE(disk.ok() && disk->has_value()) << node.node() << ": missing " << f.path;
      struct stat st;
      ASSERT_EQ(stat(f.path.c_str(), &st), 0);
      EXPECT_EQ(st.st_mode & 0777, f.mode) << f.path;
      if (!f.secret) {
        EXPECT_EQ(**disk, f.content) << node.node() << ": " << f.path;
      }
    }
  }
}

// Scenario 2.
TEST_F(SeedClusterTest, AKilledCassandraIsRestartedAndCounted) {
  v1::GetStatusResponse before = Converged();
  const v1::RoleStatus* c = LocalCluster::FindRole(before, "node4", "cassandra");
  ASSERT_NE(c, nullptr);
  const int64_t pid = c->pid();
  const uint32_t restarts = c->restarts();
  ASSERT_EQ(kill(static_cast<pid_t>(pid), SIGKILL), 0);
  absl::StatusOr<v1::GetStatusResponse> after = cluster_->WaitFor(
      [&](const v1::GetStatusResponse& s) {
        const v1::RoleStatus* r = LocalCluster::FindRole(s, "node4", "cassandra");
        return s.converged() && r != nullptr && r->pid() != pid;
      },
      kConverge);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(LocalCluster::FindRole(*after, "node4", "cassandra")->restarts(), restarts + 1);
  absl::StatusOr<std::string> metrics = TcpRequest(
      cluster_->Address("node4"), 9465, "GET /metrics HTTP/1.0\r\n\r\n", std::chrono::seconds(5));
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(*metrics,
              HasSubstr(absl::StrCat("bam_agent_role_restarts_total{service=\"cassandra\"} ",
                                     restarts + 1)));
}

// Scenario 3.
TEST_F(SeedClusterTest, AKilledAgentsRolesKeepTheirPidsAndAreAdopted) {
  std::map<std::string, int64_t> before = Pids(Converged());
  cluster_->KillAgent("node3");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  ASSERT_TRUE(cluster_->StartAgent("node3").ok());
  absl::StatusOr<v1::GetStatusResponse> after = cluster_->WaitFor(
      [](const v1::GetStatusResponse& s) { return s.converged() && s.nodes(2).connected(); },
      kConverge);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(Pids(*after), before);
  for (const std::string service : {"zookeeper", "cassandra", "datanode", "tasktracker"}) {
    EXPECT_EQ(testing::ProcessesWithMarker(
                  absl::StrCat("node3/", service, "@", cluster_->StateDir("node3")))
                  .size(),
              1u)
        << service;
  }
}

// The namenode is formatted once and never again, whatever happens to the
// agent: its done marker is the name dir's current/VERSION on the host (what
// `namenode -format` writes last), never the agent's state. An agent that
// lost its whole state dir (certificate, plan, processes) enrols again,
// adopts the roles still running by their markers, starts the namenode it
// finds stopped on the same image: same namespaceID, no format run.
TEST_F(SeedClusterTest, TheNamenodeIsNeverFormattedAgainEvenWhenTheAgentLosesItsState) {
  v1::GetStatusResponse before = Converged();
  // The namenode's image, as the format wrote it.
  std::vector<fs::path> images;
  for (const auto& entry : fs::recursive_directory_iterator(cluster_->NodeRoot("node1"))) {
    if (entry.path().filename() != "VERSION") continue;
    std::ifstream in(entry.path());
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    if (absl::StrContains(text, "storageType=NAME_NODE")) images.push_back(entry.path());
  }
  ASSERT_EQ(images.size(), 1u);
  auto read = [](const fs::path& p) {
    std::ifstream in(p);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  };
  const std::string image = read(images[0]);
  // The init step's output goes to the service's log: one format so far.
  const fs::path log = fs::path(cluster_->LogDir("node1")) / "namenode.log";
  auto formats = [&] {
    const std::string text = read(log);
    int n = 0;
    for (size_t at = text.find("successfully formatted"); at != std::string::npos;
         at = text.find("successfully formatted", at + 1)) {
      ++n;
    }
    return n;
  };
  ASSERT_EQ(formats(), 1);
  const v1::RoleStatus* nn = LocalCluster::FindRole(before, "node1", "namenode");
  const v1::RoleStatus* jt = LocalCluster::FindRole(before, "node1", "jobtracker");
  ASSERT_NE(nn, nullptr);
  ASSERT_NE(jt, nullptr);
  const int64_t jobtracker_pid = jt->pid();

  cluster_->KillAgent("node1");
  ASSERT_EQ(kill(static_cast<pid_t>(nn->pid()), SIGKILL), 0);
  fs::remove_all(cluster_->StateDir("node1"));
  ASSERT_TRUE(cluster_->StartAgent("node1").ok());  // enrols again: its certificate went too
  absl::StatusOr<v1::GetStatusResponse> after = cluster_->WaitFor(
      [&](const v1::GetStatusResponse& s) {
        const v1::RoleStatus* r = LocalCluster::FindRole(s, "node1", "namenode");
        return s.converged() && r != nullptr && r->pid() != nn->pid();
      },
      kConverge);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(read(images[0]), image) << "the namenode was formatted again";
  EXPECT_EQ(LocalCluster::FindRole(*after, "node1", "jobtracker")->pid(), jobtracker_pid)
      << "the jobtracker was adopted, not restarted";
  EXPECT_EQ(formats(), 1);
  EXPECT_THAT(read(log), Not(HasSubstr("Re-format filesystem")));
}

// Scenario 4.
TEST_F(SeedClusterTest, AControllerOutageLeavesRolesAloneAndAgentsComeBack) {
  v1::GetStatusResponse before = Converged();
  std::map<std::string, int64_t> pids = Pids(before);
  cluster_->KillController();
  std::this_thread::sleep_for(std::chrono::seconds(4));
  for (const auto& [role, pid] : pids) EXPECT_TRUE(Alive(pid)) << role;
  ASSERT_TRUE(cluster_->StartController().ok());
  absl::StatusOr<v1::GetStatusResponse> after = cluster_->WaitFor(
      [](const v1::GetStatusResponse& s) {
        for (const v1::NodeStatus& n : s.nodes()) {
          if (!n.connected()) return false;
        }
        return s.converged();
      },
      kConverge);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->desired_version(), before.desired_version());
  EXPECT_EQ(Pids(*after), pids);
}

// Scenario 6 (before 5, which leaves restarts pending).
TEST_F(SeedClusterTest, AnInvalidSpecIsRefusedAndChangesNothing) {
  v1::GetStatusResponse before = Converged();
  const std::string zoo_cfg = ZooCfg("node3");
  absl::StatusOr<std::optional<std::string>> cfg_before = ReadFileIfExists(zoo_cfg);
  // A fourth ZooKeeper server: an even ensemble.
  absl::StatusOr<v1::ApplyResponse> applied =
      cluster_->Apply(Spec("      - bam-dashboard\n  - name: node3",
                           "      - bam-dashboard\n      - zookeeper\n  - name: node3"));
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(applied.status().message()), HasSubstr("even ensemble"));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  absl::StatusOr<v1::GetStatusResponse> after = cluster_->Status();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->desired_version(), before.desired_version());
  EXPECT_EQ(Pids(*after), Pids(before));
  EXPECT_EQ(*ReadFileIfExists(zoo_cfg), *cfg_before);
}

// Scenario 5.
TEST_F(SeedClusterTest, ASpecChangeRerendersAndMarksRestartsPendingWithoutRestarting) {
  v1::GetStatusResponse before = Converged();
  absl::StatusOr<v1::ApplyResponse> applied =
      cluster_->Apply(Spec("tick_time_ms: 2000", "tick_time_ms: 3000"));
  ASSERT_TRUE(applied.ok()) << applied.status();
  absl::StatusOr<v1::GetStatusResponse> after = cluster_->WaitFor(
      [&](const v1::GetStatusResponse& s) {
        int pending = 0;
        for (const std::string node : {"node3", "node4", "node5"}) {
          const v1::RoleStatus* zk = LocalCluster::FindRole(s, node, "zookeeper");
          pending += zk != nullptr && zk->restart_pending() ? 1 : 0;
        }
        return pending == 3 && s.converged();
      },
      kConverge);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(Pids(*after), Pids(before));  // nothing restarted on its own
  for (const std::string node : {"node3", "node4", "node5"}) {
    absl::StatusOr<std::optional<std::string>> cfg = ReadFileIfExists(ZooCfg(node));
    ASSERT_TRUE(cfg.ok() && cfg->has_value());
    EXPECT_THAT(**cfg, HasSubstr("tickTime=3000")) << node;
  }
}

// Issue 17: a spec change that touches ZooKeeper, Cassandra and BAM at once
// rolls out as one operation, service group by service group, under
// ZooKeeper writes; a second operation started meanwhile waits for the
// disruption budget (max_nodes_disrupted, 1 by default). Measured from
// outside: each host's service ports are sampled all along, and never two
// hosts have one closed at the same moment.
// When the emulated Cassandra at `log` logged a line containing `text`, in
// Unix ms, each time it did (its log lines start " INFO [main] 2026-11-27
// 19:29:30.123 ", local time).
std::vector<int64_t> LogTimes(const std::string& log, const std::string& text) {
  std::vector<int64_t> times;
  absl::StatusOr<std::optional<std::string>> content = ReadFileIfExists(log);
  if (!content.ok() || !content->has_value()) return times;
  for (absl::string_view line : absl::StrSplit(**content, '\n')) {
    const size_t at = line.find("[main] ");
    if (!absl::StrContains(line, text) || at == absl::string_view::npos) continue;
    absl::Time t;
    std::string error;
    if (absl::ParseTime("%Y-%m-%d %H:%M:%E3S", std::string(line.substr(at + 7, 23)),
                        absl::LocalTimeZone(), &t, &error)) {
      times.push_back(absl::ToUnixMillis(t));
    }
  }
  return times;
}

TEST_F(SeedClusterTest, AChangeAcrossServicesRollsOutAsOneOperationWithinTheBudget) {
  const v1::GetStatusResponse before = Converged();
  LoadedSpec loaded = LoadSpec(cluster_->spec_text());
  ASSERT_TRUE(loaded.ok());
  absl::StatusOr<v1::ClusterPlan> plan = CompileTopology(loaded.spec);
  ASSERT_TRUE(plan.ok()) << plan.status();
  // Each host's ports: ZooKeeper, Cassandra, BAM and the tasktracker.
  std::vector<std::pair<std::string, Probe>> ports;
  std::string zookeeper_hosts;
  for (const v1::NodePlan& node : plan->nodes()) {
    absl::StatusOr<std::vector<ServiceDescription>> services = DescribeNode(node);
    ASSERT_TRUE(services.ok()) << services.status();
    for (const ServiceDescription& s : *services) {
      if (s.name != "zookeeper" && s.name != "cassandra" && s.name != "bam" &&
          s.name != "tasktracker") {
        continue;
      }
      Probe port = s.probes.front();
      port.kind = Probe::Kind::kTcp;
      ports.emplace_back(node.node(), port);
      if (s.name == "zookeeper") {
        absl::StrAppend(&zookeeper_hosts, zookeeper_hosts.empty() ? "" : ",",
                        HostPort(port.host, port.port));
      }
    }
  }
  testing::ZooKeeperWriter writer(zookeeper_hosts, "/issue17");
  ASSERT_TRUE(writer.Start()) << "no ZooKeeper session through " << zookeeper_hosts;

  const std::string changed = testing::ReplaceOnce(
      testing::ReplaceOnce(Spec("tick_time_ms: 2000", "tick_time_ms: 2500"),
                           "SimpleStrategy\n  heap_mb: 2048", "SimpleStrategy\n  heap_mb: 1536"),
      "coordination_session_timeout_ms: 5000", "coordination_session_timeout_ms: 6000");
  absl::StatusOr<v1::ApplyResponse> applied = cluster_->Apply(changed);
  ASSERT_TRUE(applied.ok()) << applied.status();
  auto pending_on = [](const v1::GetStatusResponse& s, const std::string& service) {
    int n = 0;
    for (const v1::NodeStatus& node : s.nodes()) {
      const v1::RoleStatus* r = LocalCluster::FindRole(s, node.node(), service);
      n += r != nullptr && r->restart_pending() ? 1 : 0;
    }
    return n;
  };
  absl::StatusOr<v1::GetStatusResponse> marked = cluster_->WaitFor(
      [&](const v1::GetStatusResponse& s) {
        return s.converged() && pending_on(s, "zookeeper") == 3 &&
               pending_on(s, "cassandra") == 3 && pending_on(s, "bam") == 2;
      },
      kConverge);
  ASSERT_TRUE(marked.ok()) << marked.status();

  // The dry run prints the whole order with every pre-check.
  v1::RollingRestartRequest request;
  request.set_pending_only(true);
  request.set_dry_run(true);
  absl::StatusOr<v1::Operation> dry = cluster_->StartRollingRestart(request);
  ASSERT_TRUE(dry.ok()) << dry.status();
  std::vector<std::string> services;
  for (const v1::RolloutStep& step : dry->steps()) services.push_back(step.service());
  EXPECT_THAT(services, ::testing::ElementsAre("zookeeper", "zookeeper", "zookeeper", "cassandra",
                                               "cassandra", "cassandra", "bam", "bam"));
  for (const v1::PreCheckResult& c : dry->checks()) EXPECT_TRUE(c.ok()) << c.name() << c.detail();
  // The analyzer holding the scheduled tasks (as their ZooKeeper task group
  // says) goes last, after the standby.
  const std::string standby = dry->steps(6).nodes(0);
  const std::string holder = dry->steps(7).nodes(0);
  auto task_holder_check = [](const v1::Operation& op) {
    for (const v1::PreCheckResult& c : op.checks()) {
      if (c.name() == "bam: task holder known" || c.name() == "task holder known") return c;
    }
    return v1::PreCheckResult();
  };
  EXPECT_THAT(task_holder_check(*dry).detail(), HasSubstr(holder + " node"));
  EXPECT_THAT(task_holder_check(*dry).detail(), HasSubstr("(holds the tasks)"));
  const std::string standby_log = cluster_->LogDir(standby) + "/bam.log";
  auto takeovers = [&] {
    absl::StatusOr<std::optional<std::string>> log = ReadFileIfExists(standby_log);
    if (!log.ok() || !log->has_value()) return 0;
    int n = 0;
    for (size_t at = (*log)->find("Task server leader changed [HIVE_TASK]");
         at != std::string::npos;
         at = (*log)->find("Task server leader changed [HIVE_TASK]", at + 1)) {
      ++n;
    }
    return n;
  };
  const int takeovers_before = takeovers();

  // Sample every host's ports until both operations end.
  std::atomic<int> most_down{0};
  std::mutex mu;
  std::string worst;
  testing::Sampler monitor(std::chrono::milliseconds(50), [&] {
    std::set<std::string> down;
    std::string which;
    for (const auto& [node, port] : ports) {
      if (!RunProbe(port, std::chrono::milliseconds(300)).healthy) {
        down.insert(node);
        absl::StrAppend(&which, " ", node, ":", port.port);
      }
    }
    if (static_cast<int>(down.size()) > most_down) {
      most_down = static_cast<int>(down.size());
      std::lock_guard<std::mutex> lock(mu);
      worst = which;
    }
  });

  request.set_dry_run(false);
  request.set_health_timeout_ms(120'000);
  absl::StatusOr<v1::Operation> op = cluster_->StartRollingRestart(request);
  ASSERT_TRUE(op.ok()) << op.status();
  ASSERT_EQ(op->steps_size(), 8);
  // A second operation on hosts the first one is busy with waits its turn.
  v1::RollingRestartRequest tasktrackers;
  tasktrackers.set_role("tasktracker");
  tasktrackers.set_health_timeout_ms(120'000);
  absl::StatusOr<v1::Operation> second = cluster_->StartRollingRestart(tasktrackers);
  ASSERT_TRUE(second.ok()) << second.status();
  bool waited = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  absl::StatusOr<v1::Operation> first_done = op;
  absl::StatusOr<v1::Operation> second_done = second;
  while (std::chrono::steady_clock::now() < deadline) {
    first_done = cluster_->GetOperation(op->id());
    second_done = cluster_->GetOperation(second->id());
    ASSERT_TRUE(first_done.ok() && second_done.ok());
    for (const v1::RolloutStep& s : second_done->steps()) {
      waited = waited || absl::StrContains(s.message(), "waiting for the disruption budget");
    }
    if (first_done->state() != v1::OPERATION_STATE_RUNNING &&
        second_done->state() != v1::OPERATION_STATE_RUNNING) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  monitor.Stop();
  writer.Stop();
  ASSERT_EQ(first_done->state(), v1::OPERATION_STATE_SUCCEEDED) << first_done->DebugString();
  ASSERT_EQ(second_done->state(), v1::OPERATION_STATE_SUCCEEDED) << second_done->DebugString();
  EXPECT_TRUE(waited) << "the second operation never waited for the budget";
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_LE(most_down.load(), 1) << "hosts disturbed at once; ports closed:" << worst;
  }

  // Every pending instance restarted once; the rest untouched.
  absl::StatusOr<v1::GetStatusResponse> after = cluster_->WaitConverged(kConverge);
  ASSERT_TRUE(after.ok()) << after.status();
  std::map<std::string, int64_t> old_pids = Pids(before);
  for (const auto& [key, pid] : Pids(*after)) {
    const bool restarted = absl::StrContains(key, "/zookeeper") ||
                           absl::StrContains(key, "/cassandra") || absl::StrContains(key, "/bam") ||
                           absl::StrContains(key, "/tasktracker");
    EXPECT_EQ(pid != old_pids[key], restarted) << key;
  }
  EXPECT_EQ(
      pending_on(*after, "zookeeper") + pending_on(*after, "cassandra") + pending_on(*after, "bam"),
      0);
  // The standby took the tasks over when the holder left, and holds them.
  EXPECT_EQ(takeovers(), takeovers_before + 1) << standby_log;
  v1::RollingRestartRequest analyzers;
  analyzers.set_role("bam-analyzer");
  analyzers.set_dry_run(true);
  absl::StatusOr<v1::Operation> now = cluster_->StartRollingRestart(analyzers);
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_THAT(task_holder_check(*now).detail(),
              ::testing::ContainsRegex(standby + " node[0-9]+ \\(holds the tasks\\)"));
  ASSERT_EQ(now->steps_size(), 2);
  EXPECT_EQ(now->steps(1).nodes(0), standby);
  // Each Cassandra node was drained before its stop, through the JMX port
  // cassandra-env.sh gave it, and runs with the heap the file sets.
  for (const std::string node : {"node3", "node4", "node5"}) {
    absl::StatusOr<std::optional<std::string>> log =
        ReadFileIfExists(cluster_->LogDir(node) + "/cassandra.log");
    ASSERT_TRUE(log.ok() && log->has_value()) << node;
    EXPECT_THAT(**log, HasSubstr("DRAINED")) << node;
    EXPECT_THAT(**log, Not(HasSubstr("Failed to connect"))) << node;
    EXPECT_THAT(**log, HasSubstr("-Xmx1536M, -Xmn384M, -Dcom.sun.management.jmxremote.port="))
        << node;
  }
  // Each Cassandra step ended only once the other nodes' gossip had seen
  // the restarted node come back (the controller asks their peer views):
  // every other node logged it UP within the step.
  for (const v1::RolloutStep& step : first_done->steps()) {
    if (step.service() != "cassandra") continue;
    const std::string& restarted = step.nodes(0);
    std::string address;
    for (const v1::NodePlan& node : plan->nodes()) {
      if (node.node() == restarted) address = AddressOf(node.address());
    }
    ASSERT_FALSE(address.empty()) << restarted;
    for (const std::string peer : {"node3", "node4", "node5"}) {
      if (peer == restarted) continue;
      const std::vector<int64_t> ups =
          LogTimes(cluster_->LogDir(peer) + "/cassandra.log",
                   absl::StrCat("Node /", address, " has restarted, now UP"));
      EXPECT_TRUE(
          std::any_of(ups.begin(), ups.end(),
                      [&](int64_t t) { return t >= step.started_ms() && t <= step.finished_ms(); }))
          << peer << " did not see " << restarted << " up within its step (" << step.started_ms()
          << " to " << step.finished_ms() << " ms)";
    }
  }
  // Writes stopped only around the ZooKeeper leader's restart (its one
  // election): every stretch of over 2 s without a write lies within it.
  const v1::RolloutStep& leader = first_done->steps(2);
  for (const auto& [from, to] : writer.Gaps(2000)) {
    EXPECT_GE(from, leader.started_ms() - 1000)
        << "no write succeeded for " << (to - from) << " ms before the leader's step";
    EXPECT_LE(to, leader.finished_ms() + 3000)
        << "no write succeeded for " << (to - from) << " ms after the leader's step";
  }
  EXPECT_GT(writer.writes(), 50);
}

// Issue 17: Hadoop 1.x has no standby namenode. Its restart (only with
// --allow-downtime) saves the namespace first, in safe mode, and does not
// stop the namenode when that fails; the restarted namenode is healthy only
// once out of safe mode, and the datanodes' steps come after that.
TEST_F(SeedClusterTest, ANameNodeRestartSavesTheNamespaceFirstAndDatanodesWaitForSafeModeToEnd) {
  const v1::GetStatusResponse before = Converged();
  const std::string namenode_log = cluster_->LogDir("node1") + "/namenode.log";
  auto count = [&](const std::string& text) {
    absl::StatusOr<std::optional<std::string>> log = ReadFileIfExists(namenode_log);
    if (!log.ok() || !log->has_value()) return 0;
    int n = 0;
    for (size_t at = (*log)->find(text); at != std::string::npos; at = (*log)->find(text, at + 1)) {
      ++n;
    }
    return n;
  };
  // A namespace that cannot be saved: the namenode is not stopped.
  const std::string fault = cluster_->NodeRoot("node1") + "/home/hadoop/hadoop/emulator-fault";
  ASSERT_TRUE(WriteFileAtomically(fault, "namenode:save-fails\n", 0644).ok());
  v1::RollingRestartRequest namenode;
  namenode.set_role("namenode");
  namenode.set_allow_downtime(true);
  namenode.set_health_timeout_ms(60'000);
  absl::StatusOr<v1::Operation> refused = cluster_->StartRollingRestart(namenode);
  ASSERT_TRUE(refused.ok()) << refused.status();
  absl::StatusOr<v1::Operation> failed =
      cluster_->WaitOperationDone(refused->id(), std::chrono::seconds(60));
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->state(), v1::OPERATION_STATE_FAILED) << failed->DebugString();
  EXPECT_THAT(failed->reason(), HasSubstr("dfsadmin -saveNamespace` exited 255; not stopped"));
  absl::StatusOr<v1::GetStatusResponse> still = cluster_->Status();
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(Pids(*still)["node1/namenode"], Pids(before)["node1/namenode"]);
  fs::remove(fault);
  Converged();  // safe mode was left again: healthy

  // A Hadoop change, rolled out with the downtime allowed.
  const int saved_before = count("Saving image file");
  const int left_before = count("STATE* Safe mode is OFF.");
  // On top of what earlier scenarios applied, so only Hadoop is pending.
  absl::StatusOr<v1::ApplyResponse> applied = cluster_->Apply(
      testing::ReplaceOnce(cluster_->applied_spec_text(), "  heap_mb: 1000\n  dfs_replication",
                           "  heap_mb: 1100\n  dfs_replication"));
  ASSERT_TRUE(applied.ok()) << applied.status();
  ASSERT_TRUE(cluster_
                  ->WaitFor(
                      [](const v1::GetStatusResponse& s) {
                        const v1::RoleStatus* nn = LocalCluster::FindRole(s, "node1", "namenode");
                        return s.converged() && nn != nullptr && nn->restart_pending();
                      },
                      kConverge)
                  .ok());
  v1::RollingRestartRequest hadoop;
  hadoop.set_pending_only(true);
  hadoop.set_allow_downtime(true);
  hadoop.set_health_timeout_ms(60'000);
  absl::StatusOr<v1::Operation> op = cluster_->StartRollingRestart(hadoop);
  ASSERT_TRUE(op.ok()) << op.status();
  std::vector<std::string> services;
  for (const v1::RolloutStep& step : op->steps()) services.push_back(step.service());
  EXPECT_THAT(services, ::testing::ElementsAre("namenode", "secondarynamenode", "datanode",
                                               "datanode", "datanode", "jobtracker", "tasktracker",
                                               "tasktracker", "tasktracker"));
  absl::StatusOr<v1::Operation> done =
      cluster_->WaitOperationDone(op->id(), std::chrono::seconds(240));
  ASSERT_TRUE(done.ok()) << done.status();
  ASSERT_EQ(done->state(), v1::OPERATION_STATE_SUCCEEDED) << done->DebugString();
  // Saved before the stop, and out of safe mode before the next step.
  EXPECT_EQ(count("Saving image file"), saved_before + 1);
  EXPECT_EQ(count("STATE* Safe mode is OFF."), left_before + 1);
  EXPECT_LE(done->steps(0).finished_ms(), done->steps(2).started_ms());
  absl::StatusOr<std::optional<std::string>> log = ReadFileIfExists(namenode_log);
  ASSERT_TRUE(log.ok() && log->has_value());
  const size_t saved = (*log)->rfind("Saving image file");
  const size_t stopped = (*log)->rfind("RECEIVED SIGNAL");
  ASSERT_NE(saved, std::string::npos);
  ASSERT_NE(stopped, std::string::npos);
  EXPECT_LT(saved, stopped);
  Converged();
}

// Issue 7: a rolling restart of Cassandra whose second node does not come
// back stops at that step, with the reason, and restarts nothing after it.
TEST_F(SeedClusterTest, ARollingRestartStopsAtAnInstanceThatDoesNotComeBack) {
  v1::GetStatusResponse before = Converged();
  const std::string fault = cluster_->NodeRoot("node4") + "/opt/cassandra/emulator-fault";
  ASSERT_TRUE(WriteFileAtomically(fault, "cassandra:hang-at-start\n", 0644).ok());
  v1::RollingRestartRequest request;
  request.set_role("cassandra");
  request.set_health_timeout_ms(8000);
  absl::StatusOr<v1::Operation> started = cluster_->StartRollingRestart(request);
  ASSERT_TRUE(started.ok()) << started.status();
  ASSERT_EQ(started->steps_size(), 3);
  ASSERT_EQ(started->steps(1).nodes(0), "node4");
  absl::StatusOr<v1::Operation> done =
      cluster_->WaitOperationDone(started->id(), std::chrono::seconds(120));
  ASSERT_TRUE(done.ok()) << done.status();
  const v1::Operation& op = *done;
  EXPECT_EQ(op.state(), v1::OPERATION_STATE_FAILED) << op.DebugString();
  EXPECT_EQ(op.steps(0).state(), v1::STEP_STATE_DONE);
  EXPECT_EQ(op.steps(1).state(), v1::STEP_STATE_FAILED);
  EXPECT_THAT(op.reason(), HasSubstr("step 2 failed: not healthy within 8 s: node4"));
  EXPECT_EQ(op.steps(2).state(), v1::STEP_STATE_PENDING);
  absl::StatusOr<v1::GetStatusResponse> after = cluster_->Status();
  ASSERT_TRUE(after.ok());
  EXPECT_NE(Pids(*after)["node3/cassandra"], Pids(before)["node3/cassandra"]);
  EXPECT_EQ(Pids(*after)["node5/cassandra"], Pids(before)["node5/cassandra"]);  // untouched

  // Mend node4 for what follows: without the fault it starts again.
  fs::remove(fault);
  const v1::RoleStatus* hung = LocalCluster::FindRole(*after, "node4", "cassandra");
  ASSERT_NE(hung, nullptr);
  kill(static_cast<pid_t>(hung->pid()), SIGKILL);
  Converged();
}

// For a role without a quorum, --on-failure continue goes past a node that
// does not come back and restarts the rest; the operation still fails.
TEST_F(SeedClusterTest, ContinuingPastAFailedTaskTrackerRestartsTheOthers) {
  v1::GetStatusResponse before = Converged();
  const std::string fault = cluster_->NodeRoot("node4") + "/home/hadoop/hadoop/emulator-fault";
  ASSERT_TRUE(WriteFileAtomically(fault, "tasktracker:hang-at-start\n", 0644).ok());
  v1::RollingRestartRequest request;
  request.set_role("tasktracker");
  request.set_health_timeout_ms(5000);
  request.set_continue_on_failure(true);
  absl::StatusOr<v1::Operation> started = cluster_->StartRollingRestart(request);
  ASSERT_TRUE(started.ok()) << started.status();
  absl::StatusOr<v1::Operation> done =
      cluster_->WaitOperationDone(started->id(), std::chrono::seconds(120));
  ASSERT_TRUE(done.ok()) << done.status();
  const v1::Operation& op = *done;
  EXPECT_EQ(op.state(), v1::OPERATION_STATE_FAILED) << op.DebugString();
  EXPECT_THAT(op.reason(), HasSubstr("every step ran; failed on node4"));
  absl::StatusOr<v1::GetStatusResponse> after = cluster_->Status();
  ASSERT_TRUE(after.ok());
  for (const std::string node : {"node3", "node5"}) {
    EXPECT_NE(Pids(*after)[node + "/tasktracker"], Pids(before)[node + "/tasktracker"]) << node;
  }

  fs::remove(fault);
  const v1::RoleStatus* hung = LocalCluster::FindRole(*after, "node4", "tasktracker");
  ASSERT_NE(hung, nullptr);
  kill(static_cast<pid_t>(hung->pid()), SIGKILL);
  Converged();
}

// Scenario 7.
TEST_F(SeedClusterTest, ARoleThatAlwaysFailsCrashLoopsAndTheRestRunOn) {
  v1::GetStatusResponse before = Converged();
  const v1::RoleStatus* c = LocalCluster::FindRole(before, "node5", "cassandra");
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(WriteFileAtomically(cluster_->NodeRoot("node5") + "/opt/cassandra/emulator-fault",
                                  "exit-at-start\n", 0644)
                  .ok());
  ASSERT_EQ(kill(static_cast<pid_t>(c->pid()), SIGKILL), 0);
  absl::StatusOr<v1::GetStatusResponse> looping = cluster_->WaitFor(
      [](const v1::GetStatusResponse& s) {
        const v1::RoleStatus* r = LocalCluster::FindRole(s, "node5", "cassandra");
        return r != nullptr && r->phase() == v1::PHASE_CRASH_LOOP;
      },
      std::chrono::seconds(90));
  ASSERT_TRUE(looping.ok()) << looping.status();
  const v1::RoleStatus* r = LocalCluster::FindRole(*looping, "node5", "cassandra");
  EXPECT_THAT(r->reason(), HasSubstr("quick failures in a row"));
  EXPECT_EQ(r->last_exit_code(), 1);
  // Every other role still runs with the same process.
  std::map<std::string, int64_t> now = Pids(*looping);
  for (const auto& [role, pid] : Pids(before)) {
    if (role == "node5/cassandra") continue;
    EXPECT_EQ(now[role], pid) << role;
  }
  EXPECT_FALSE(looping->converged());
}

}  // namespace
}  // namespace bamctl
