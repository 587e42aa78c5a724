// An in-process controller on a loopback port, driven through its real gRPC
// API by bamctl-like calls and fake agents (real gRPC streams).
#include "controller/server/controller_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/net_util.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "proto/controller.grpc.pb.h"
#include "tests/util/fake_agent_stream.h"
#include "tests/util/loopback_listener.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::bamctl::testing::FakeAgent;
using ::bamctl::testing::ReadSourceFile;
using ::bamctl::testing::ReplaceOnce;
using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

std::chrono::system_clock::time_point Deadline(int seconds) {
  return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
}

// Polls `condition` until true or 10 s pass.
template <typename F>
bool Eventually(F condition) {
  const auto until = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

// A TCP relay between one client and the controller that can freeze: it
// keeps both connections open but stops moving bytes, which is what a
// SIGSTOPped agent or a dead network path looks like to the controller.
class FreezableRelay {
 public:
  explicit FreezableRelay(int target_port) : target_port_(target_port) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~FreezableRelay() {
    stop_ = true;
    shutdown(listener_.fd(), SHUT_RDWR);
    thread_.join();
  }
  uint32_t port() const { return listener_.port(); }
  void Freeze() { frozen_ = true; }

 private:
  void Serve() {
    int client = accept(listener_.fd(), nullptr, nullptr);
    if (client < 0) return;
    int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(target_port_));
    if (connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(client);
      return;
    }
    char buf[16384];
    while (!stop_) {
      if (frozen_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      if (poll(fds, 2, 50) <= 0) continue;
      for (int i = 0; i < 2; ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP)) == 0) continue;
        ssize_t n = read(fds[i].fd, buf, sizeof(buf));
        if (n <= 0) {
          stop_ = true;
          break;
        }
        if (write(fds[1 - i].fd, buf, static_cast<size_t>(n)) != n) stop_ = true;
      }
    }
    close(client);
    close(server);
  }

  int target_port_;
  testing::LoopbackListener listener_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> frozen_{false};
  std::thread thread_;
};

class ControllerServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("controller_test");
    ControllerOptions options = Options("127.0.0.1:0");
    options.metrics_listen = "127.0.0.1:0";
    options.report_flush_interval = std::chrono::milliseconds(20);
    options.keepalive_time = std::chrono::milliseconds(500);
    options.keepalive_timeout = std::chrono::milliseconds(500);
    server_ = std::make_unique<ControllerServer>(options);
    ASSERT_TRUE(server_->Start().ok());
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                       grpc::InsecureChannelCredentials());
    cluster_ = v1::ClusterService::NewStub(channel);
    agents_ = v1::AgentService::NewStub(channel);
    seed_ = ReadSourceFile("examples/seed-cluster.yaml");
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  // A plaintext controller on `listen` over this test's database.
  ControllerOptions Options(const std::string& listen) const {
    ControllerOptions options;
    options.listen = listen;
    options.insecure_plaintext = true;
    options.db_path = (dir_ / "state/controller.db").string();
    options.metrics_listen = "";
    options.shutdown_grace = std::chrono::milliseconds(100);
    return options;
  }

  grpc::Status Apply(const std::string& text, v1::ApplyResponse* response,
                     std::optional<int64_t> expected = {}, bool dry_run = false) {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(20));
    v1::ApplyRequest request;
    request.set_spec_text(text);
    request.set_file_name("seed.yaml");
    request.set_author("tester");
    request.set_dry_run(dry_run);
    if (expected) request.set_expected_version(*expected);
    return cluster_->ApplyDesiredState(&ctx, request, response);
  }

  v1::GetStatusResponse Status() {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(20));
    v1::GetStatusResponse response;
    EXPECT_TRUE(cluster_->GetStatus(&ctx, v1::GetStatusRequest(), &response).ok());
    return response;
  }

  fs::path dir_;
  std::unique_ptr<ControllerServer> server_;
  std::unique_ptr<v1::ClusterService::Stub> cluster_;
  std::unique_ptr<v1::AgentService::Stub> agents_;
  std::string seed_;
};

TEST_F(ControllerServerTest, ApplyVersionsAndRefusesBadInput) {
  v1::ApplyResponse r;
  ASSERT_TRUE(Apply(seed_, &r).ok());
  EXPECT_EQ(r.version(), 1);
  EXPECT_EQ(r.changed_nodes_size(), 5);

  ASSERT_TRUE(Apply(seed_, &r).ok());
  EXPECT_TRUE(r.unchanged());

  // Invalid: refused with offline validate's diagnostics; nothing stored.
  grpc::Status bad =
      Apply(ReplaceOnce(seed_, "replication_factor: 3", "replication_factor: 4"), &r);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(),
              HasSubstr("seed.yaml:46:23: error: cassandra.replication_factor"));

  // Stale: refused with both numbers.
  const std::string changed = ReplaceOnce(seed_, "heap_mb: 2048", "heap_mb: 4096");
  grpc::Status stale = Apply(changed, &r, /*expected=*/0);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(stale.error_message(), HasSubstr("expected version 0 but the current version is 1"));

  // Dry run: the diff, nothing stored.
  ASSERT_TRUE(Apply(changed, &r, 1, /*dry_run=*/true).ok());
  EXPECT_TRUE(r.dry_run());
  EXPECT_THAT(r.spec_diff(), HasSubstr("+  heap_mb: 4096"));
  EXPECT_THAT(r.changed_nodes(), ::testing::ElementsAre("node1", "node2"));
  EXPECT_EQ(*server_->store()->CurrentVersion(), 1);

  ASSERT_TRUE(Apply(changed, &r, 1).ok());
  EXPECT_EQ(r.version(), 2);
}

TEST_F(ControllerServerTest, AgentsGetTheirPlansAndConverge) {
  v1::ApplyResponse r;
  ASSERT_TRUE(Apply(seed_, &r).ok());
  FakeAgent node3(agents_.get(), "node3");
  std::optional<v1::PlanUpdate> plan = node3.NextPlan();
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->version(), 1);
  EXPECT_EQ(plan->plan().node(), "node3");
  EXPECT_EQ(plan->plan().zookeeper().myid(), 3u);
  EXPECT_TRUE(Eventually([&] { return Status().nodes(2).connected(); }));
  EXPECT_EQ(Status().nodes(0).reason(), "no agent has connected");

  node3.Report(*plan, v1::HEALTH_HEALTHY);
  EXPECT_TRUE(Eventually([&] { return Status().nodes(2).converged(); }));
  EXPECT_FALSE(Status().converged());  // four nodes have no agent
  EXPECT_TRUE(Status().nodes(2).holds_desired_plan());
  EXPECT_FALSE(Status().nodes(0).has_holds_desired_plan());  // no agent: unknown
  FakeAgent node1(agents_.get(), "node1");
  std::optional<v1::PlanUpdate> plan1 = node1.NextPlan();
  ASSERT_TRUE(plan1.has_value());
  node1.Report(*plan1, v1::HEALTH_HEALTHY);
  EXPECT_TRUE(Eventually([&] { return Status().nodes(0).converged(); }));

  // A change that touches node3 reaches it on the open stream.
  ASSERT_TRUE(Apply(ReplaceOnce(seed_, "tick_time_ms: 2000", "tick_time_ms: 3000"), &r).ok());
  std::optional<v1::PlanUpdate> next = node3.NextPlan();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->version(), 2);
  EXPECT_EQ(next->plan().zookeeper().tick_time_ms(), 3000u);
  EXPECT_FALSE(Status().nodes(2).converged());  // holds version 1 until it reports
  EXPECT_EQ(Status().nodes(2).reason(), "agent holds version 1, desired 2");
  EXPECT_FALSE(Status().nodes(2).holds_desired_plan());
  // Version 2 left node1's plan alone: it holds the desired plan, received
  // as version 1.
  ASSERT_EQ(std::count(r.changed_nodes().begin(), r.changed_nodes().end(), "node1"), 0);
  EXPECT_TRUE(Status().nodes(0).converged());
  EXPECT_TRUE(Status().nodes(0).holds_desired_plan());
  EXPECT_EQ(Status().nodes(0).applied_version(), 1);
  EXPECT_EQ(Status().nodes(0).desired_version(), 2);
  node3.Report(*next, v1::HEALTH_UNHEALTHY);
  EXPECT_TRUE(Eventually([&] { return Status().nodes(2).reason() == "svc is unhealthy"; }));

  EXPECT_TRUE(node3.Close().ok());
  EXPECT_TRUE(Eventually([&] { return !Status().nodes(2).connected(); }));
}

// Issue 12: the host list travels once beside each node's plan (the seed
// manages hosts files), not inside it; a host list change alone reaches
// every node.
TEST_F(ControllerServerTest, PlansArriveWithTheVersionsHostList) {
  v1::ApplyResponse r;
  ASSERT_TRUE(Apply(seed_, &r).ok());
  FakeAgent node1(agents_.get(), "node1");
  std::optional<v1::PlanUpdate> plan = node1.NextPlan();
  ASSERT_TRUE(plan.has_value());
  EXPECT_TRUE(plan->plan().manage_hosts_file());
  EXPECT_EQ(plan->plan().hosts_size(), 0);  // the legacy field stays empty
  ASSERT_EQ(plan->hosts().entries_size(), 5);
  EXPECT_EQ(plan->hosts().entries(4).name(), "node5");
  EXPECT_EQ(plan->hosts().entries(4).address(), "192.168.4.104");
  node1.Report(*plan, v1::HEALTH_HEALTHY);
  EXPECT_TRUE(Eventually([&] { return Status().nodes(0).converged(); }));

  // node5 moves: node1's own plan is the same, its host list is not.
  ASSERT_TRUE(
      Apply(ReplaceOnce(seed_, "address: 192.168.4.104", "address: 192.168.4.114"), &r).ok());
  EXPECT_EQ(std::count(r.changed_nodes().begin(), r.changed_nodes().end(), "node1"), 1);
  std::optional<v1::PlanUpdate> next = node1.NextPlan();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->version(), 2);
  EXPECT_EQ(next->plan().SerializeAsString(), plan->plan().SerializeAsString());
  EXPECT_NE(next->plan_hash(), plan->plan_hash());
  ASSERT_EQ(next->hosts().entries_size(), 5);
  EXPECT_EQ(next->hosts().entries(4).address(), "192.168.4.114");

  // Without manage_hosts_file no list is sent.
  ASSERT_TRUE(
      Apply(ReplaceOnce(seed_, "manage_hosts_file: true", "manage_hosts_file: false"), &r).ok());
  std::optional<v1::PlanUpdate> off = node1.NextPlan();
  ASSERT_TRUE(off.has_value());
  EXPECT_FALSE(off->plan().manage_hosts_file());
  EXPECT_FALSE(off->has_hosts());
}

TEST_F(ControllerServerTest, UnknownAndDuplicateAgentsAreRefused) {
  v1::ApplyResponse r;
  ASSERT_TRUE(Apply(seed_, &r).ok());
  FakeAgent stranger(agents_.get(), "node9");
  EXPECT_FALSE(stranger.NextPlan().has_value());
  grpc::Status refused = stranger.Close();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(refused.error_message(), HasSubstr("\"node9\" is not in the desired state"));
  EXPECT_THAT(refused.error_message(), Not(HasSubstr("node1")));  // others stay unnamed

  FakeAgent first(agents_.get(), "node1");
  ASSERT_TRUE(first.NextPlan().has_value());
  FakeAgent second(agents_.get(), "node1");
  EXPECT_FALSE(second.NextPlan().has_value());
  grpc::Status twice = second.Close();
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(twice.error_message(), HasSubstr("already connected"));
}

TEST_F(ControllerServerTest, AnAgentThatDoesNotReadIsDropped) {
  v1::ApplyResponse r;
  ASSERT_TRUE(Apply(seed_, &r).ok());
  FakeAgent agent(agents_.get(), "node1");
  // Each heartbeat is answered; the agent never reads the answers, so once
  // the transport's windows are full they queue at the controller.
  v1::AgentMessage beat;
  beat.mutable_heartbeat()->set_sent_ms(1);
  int written = 0;
  while (written < 200000 && agent.Write(beat)) ++written;
  grpc::Status dropped = agent.Close();
  EXPECT_EQ(dropped.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << written;
  EXPECT_THAT(dropped.error_message(), HasSubstr("it does not read"));
  // The node may connect again (it was unregistered).
  FakeAgent again(agents_.get(), "node1");
  EXPECT_TRUE(again.NextPlan().has_value());
}

TEST_F(ControllerServerTest, RollbackHistoryEventsAndMetrics) {
  v1::ApplyResponse r;
  ASSERT_TRUE(Apply(seed_, &r).ok());
  ASSERT_TRUE(Apply(ReplaceOnce(seed_, "heap_mb: 2048", "heap_mb: 3072"), &r).ok());
  {
    grpc::ClientContext ctx;
    v1::RollbackRequest request;
    request.set_version(1);
    request.set_author("tester");
    ASSERT_TRUE(cluster_->Rollback(&ctx, request, &r).ok());
    EXPECT_EQ(r.version(), 3);
    EXPECT_THAT(r.spec_diff(), HasSubstr("-  heap_mb: 3072\n+  heap_mb: 2048"));
  }
  {
    grpc::ClientContext ctx;
    v1::GetDesiredStateRequest request;
    v1::GetDesiredStateResponse got;
    ASSERT_TRUE(cluster_->GetDesiredState(&ctx, request, &got).ok());
    EXPECT_EQ(got.version(), 3);
    EXPECT_EQ(got.spec_text(), seed_);
    EXPECT_EQ(got.rollback_of(), 1);
  }
  {
    grpc::ClientContext ctx;
    v1::ListVersionsResponse versions;
    ASSERT_TRUE(cluster_->ListVersions(&ctx, v1::ListVersionsRequest(), &versions).ok());
    ASSERT_EQ(versions.versions_size(), 3);
    EXPECT_EQ(versions.versions(0).version(), 3);
  }
  {
    grpc::ClientContext ctx;
    v1::ListEventsResponse events;
    ASSERT_TRUE(cluster_->ListEvents(&ctx, v1::ListEventsRequest(), &events).ok());
    ASSERT_GE(events.events_size(), 3);
    EXPECT_EQ(events.events(0).kind(), "rollback");
  }
  absl::StatusOr<std::string> metrics =
      TcpRequest("127.0.0.1", std::stoi(server_->metrics_address().substr(10)),
                 "GET /metrics HTTP/1.0\r\n\r\n", std::chrono::seconds(5));
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(*metrics, HasSubstr("bamctl_controller_desired_version 3"));
  EXPECT_THAT(*metrics, HasSubstr("bamctl_controller_applies_total{result=\"ok\"} 2"));
}

// The maintenance loop prunes with --retain_versions: asking for a pruned
// version is NOT_FOUND naming the oldest kept, and the metric counts it.
TEST_F(ControllerServerTest, RetentionPrunesOldVersionsAndSaysSo) {
  server_.reset();
  ControllerOptions options = Options("127.0.0.1:0");
  options.metrics_listen = "127.0.0.1:0";
  options.retain_versions = 2;
  options.retention_interval = std::chrono::milliseconds(50);
  server_ = std::make_unique<ControllerServer>(options);
  ASSERT_TRUE(server_->Start().ok());
  cluster_ = v1::ClusterService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
  v1::ApplyResponse r;
  ASSERT_TRUE(Apply(seed_, &r).ok());
  ASSERT_TRUE(Apply(ReplaceOnce(seed_, "heap_mb: 2048", "heap_mb: 3072"), &r).ok());
  ASSERT_TRUE(Apply(ReplaceOnce(seed_, "heap_mb: 2048", "heap_mb: 4096"), &r).ok());
  grpc::Status got;
  EXPECT_TRUE(Eventually([&] {
    grpc::ClientContext ctx;
    v1::GetDesiredStateRequest request;
    request.set_version(1);
    v1::GetDesiredStateResponse response;
    got = cluster_->GetDesiredState(&ctx, request, &response);
    return !got.ok();
  }));
  EXPECT_EQ(got.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(got.error_message(), HasSubstr("version 1 was pruned by the controller's retention"));
  EXPECT_THAT(got.error_message(), HasSubstr("the oldest version kept is 2"));
  {
    grpc::ClientContext ctx;
    v1::RollbackRequest request;
    request.set_version(1);
    grpc::Status rollback = cluster_->Rollback(&ctx, request, &r);
    EXPECT_EQ(rollback.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_THAT(rollback.error_message(), HasSubstr("pruned"));
    EXPECT_EQ(*server_->store()->CurrentVersion(), 3);
  }
  absl::StatusOr<std::vector<EventRecord>> events = server_->store()->ListEvents(100);
  ASSERT_TRUE(events.ok());
  EXPECT_TRUE(std::any_of(events->begin(), events->end(), [](const EventRecord& e) {
    return e.kind == "retention" && e.message == "pruned 0 events and 1 version (version 1)";
  }));
  absl::StatusOr<std::string> metrics =
      TcpRequest("127.0.0.1", std::stoi(server_->metrics_address().substr(10)),
                 "GET /metrics HTTP/1.0\r\n\r\n", std::chrono::seconds(5));
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(*metrics, HasSubstr("bamctl_controller_retention_pruned_total{what=\"versions\"} 1"));
}

TEST_F(ControllerServerTest, NegativeRetentionIsRefusedNamingTheFlag) {
  server_.reset();
  ControllerOptions options = Options("127.0.0.1:0");
  options.retain_events = -1;
  ControllerServer server(options);
  absl::Status started = server.Start();
  EXPECT_EQ(started.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(started.message(), "--retain_events must be >= 0 (0 keeps all), got -1");
}

TEST_F(ControllerServerTest, DiffShowsRenderedFileChangesWithSecretsRedacted) {
  v1::ApplyResponse r;
  ASSERT_TRUE(Apply(seed_, &r).ok());
  grpc::ClientContext ctx;
  v1::DiffRequest request;
  request.set_spec_text(ReplaceOnce(seed_, "username: reg_user", "username: registry"));
  request.set_file_name("new.yaml");
  v1::DiffResponse diff;
  ASSERT_TRUE(cluster_->Diff(&ctx, request, &diff).ok());
  EXPECT_EQ(diff.current_version(), 1);
  EXPECT_THAT(diff.spec_diff(), HasSubstr("+    username: registry"));
  ASSERT_EQ(diff.nodes_size(), 2);  // node1 and node2 run BAM
  EXPECT_EQ(diff.nodes(0).node(), "node1");
  ASSERT_EQ(diff.nodes(0).files_size(), 1);
  EXPECT_THAT(diff.nodes(0).files(0).path(), HasSubstr("master-datasources.xml"));
  EXPECT_THAT(diff.nodes(0).files(0).diff(), HasSubstr("+                    <username>registry"));
}

TEST_F(ControllerServerTest, StateSurvivesARestart) {
  v1::ApplyResponse r;
  ASSERT_TRUE(Apply(seed_, &r).ok());
  const int port = server_->port();
  server_.reset();
  server_ = std::make_unique<ControllerServer>(Options(absl::StrCat("127.0.0.1:", port)));
  ASSERT_TRUE(server_->Start().ok());
  EXPECT_EQ(*server_->store()->CurrentVersion(), 1);
  // The old channel reconnects by itself.
  EXPECT_TRUE(Eventually([&] {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(2));
    v1::GetStatusResponse s;
    return cluster_->GetStatus(&ctx, v1::GetStatusRequest(), &s).ok() && s.desired_version() == 1;
  }));
}

// A controller on a new database meets an agent that converged on another
// database (version 7 of epoch 1): it takes the cluster back in epoch 2,
// sends nothing before its first apply, then its version 1 in epoch 2 (which
// the agent orders above what it holds); the epoch survives a restart.
TEST_F(ControllerServerTest, AFreshDatabaseTakesTheClusterBackAndKeepsItsEpoch) {
  v1::PlanUpdate held;
  held.set_epoch(1);
  held.set_version(7);
  held.set_plan_hash("from-the-lost-database");
  FakeAgent node3(agents_.get(), "node3", held);
  ASSERT_TRUE(Eventually([&] { return *server_->store()->Epoch() == 2; }));
  {
    grpc::ClientContext ctx;
    v1::ListEventsResponse events;
    ASSERT_TRUE(cluster_->ListEvents(&ctx, v1::ListEventsRequest(), &events).ok());
    ASSERT_GE(events.events_size(), 1);
    const v1::Event* take_back = nullptr;
    for (const v1::Event& e : events.events()) {
      if (e.kind() == "take-back") take_back = &e;
    }
    ASSERT_NE(take_back, nullptr);
    EXPECT_EQ(take_back->node(), "node3");
    EXPECT_THAT(take_back->message(), HasSubstr("holds version 7 of epoch 1"));
    EXPECT_THAT(take_back->message(), HasSubstr("epoch 2"));
  }

  v1::ApplyResponse r;
  ASSERT_TRUE(Apply(seed_, &r).ok());
  std::optional<v1::PlanUpdate> plan = node3.NextPlan();  // the first plan it gets
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->epoch(), 2);
  EXPECT_EQ(plan->version(), 1);
  node3.Report(*plan, v1::HEALTH_HEALTHY);
  EXPECT_TRUE(Eventually([&] { return Status().nodes(2).converged(); }));
  EXPECT_EQ(Status().epoch(), 2);
  EXPECT_EQ(Status().nodes(2).applied_epoch(), 2);
  absl::StatusOr<std::string> metrics =
      TcpRequest("127.0.0.1", std::stoi(server_->metrics_address().substr(10)),
                 "GET /metrics HTTP/1.0\r\n\r\n", std::chrono::seconds(5));
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(*metrics, HasSubstr("bamctl_controller_epoch 2"));
  node3.Close();

  server_.reset();
  server_ = std::make_unique<ControllerServer>(Options("127.0.0.1:0"));
  ASSERT_TRUE(server_->Start().ok());
  EXPECT_EQ(*server_->store()->Epoch(), 2);
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                     grpc::InsecureChannelCredentials());
  auto agents = v1::AgentService::NewStub(channel);
  FakeAgent node1(agents.get(), "node1");
  std::optional<v1::PlanUpdate> plan1 = node1.NextPlan();
  ASSERT_TRUE(plan1.has_value());
  EXPECT_EQ(plan1->epoch(), 2);
  EXPECT_EQ(*server_->store()->Epoch(), 2);
}

// An agent that stops answering (frozen process, dead path) without closing
// its connection is noticed by keepalive within seconds.
TEST_F(ControllerServerTest, SilentAgentIsDroppedByKeepalive) {
  v1::ApplyResponse r;
  ASSERT_TRUE(Apply(seed_, &r).ok());
  FreezableRelay relay(server_->port());
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", relay.port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::AgentService::NewStub(channel);
  FakeAgent agent(stub.get(), "node5");
  ASSERT_TRUE(agent.NextPlan().has_value());
  ASSERT_TRUE(Eventually([&] { return Status().nodes(4).connected(); }));
  relay.Freeze();
  const auto frozen_at = Clock::now();
  EXPECT_TRUE(Eventually([&] { return !Status().nodes(4).connected(); }));
  // keepalive 0.5 s + timeout 0.5 s: well within seconds.
  EXPECT_LT(Clock::now() - frozen_at, std::chrono::seconds(8));
  agent.Cancel();
}

}  // namespace
}  // namespace bamctl
