#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "bamctl/cli.h"
#include "bamctl/controller_client.h"
#include "bamctl/table.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/controller.grpc.pb.h"
#include "tests/util/loopback_listener.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// One canned answer of the fake and the requests that reached it.
template <typename Request, typename Response>
struct Rpc {
  grpc::Status status;
  Response response;
  std::vector<Request> requests;
};

// ClusterService with canned answers that records every request. Tests set
// the answers before running a command and read the requests after it, so
// the lock only orders those with the server's handler threads.
class FakeClusterService final : public v1::ClusterService::Service {
 public:
  ~FakeClusterService() override { ReleaseBlockedCalls(); }

  // Canned answers and recorded requests, under the lock.
  template <typename F>
  void With(F f) {
    absl::MutexLock lock(&mu_);
    f(*this);
  }

  // Makes ListEvents hang until the client gives up (its deadline passes)
  // or ReleaseBlockedCalls, for testing the deadline.
  void BlockListEvents() { block_events_ = true; }
  void ReleaseBlockedCalls() {
    if (!release_.HasBeenNotified()) release_.Notify();
  }

  grpc::Status ApplyDesiredState(grpc::ServerContext*, const v1::ApplyRequest* request,
                                 v1::ApplyResponse* response) override {
    return Answer(apply, *request, response);
  }
  grpc::Status GetDesiredState(grpc::ServerContext*, const v1::GetDesiredStateRequest* request,
                               v1::GetDesiredStateResponse* response) override {
    return Answer(get, *request, response);
  }
  grpc::Status ListVersions(grpc::ServerContext*, const v1::ListVersionsRequest* request,
                            v1::ListVersionsResponse* response) override {
    return Answer(history, *request, response);
  }
  grpc::Status Diff(grpc::ServerContext*, const v1::DiffRequest* request,
                    v1::DiffResponse* response) override {
    return Answer(diff, *request, response);
  }
  grpc::Status Rollback(grpc::ServerContext*, const v1::RollbackRequest* request,
                        v1::ApplyResponse* response) override {
    return Answer(rollback, *request, response);
  }
  grpc::Status GetStatus(grpc::ServerContext*, const v1::GetStatusRequest* request,
                         v1::GetStatusResponse* response) override {
    return Answer(status, *request, response);
  }
  grpc::Status ListNodes(grpc::ServerContext*, const v1::ListNodesRequest* request,
                         v1::ListNodesResponse* response) override {
    return Answer(nodes, *request, response);
  }
  grpc::Status ListEvents(grpc::ServerContext* context, const v1::ListEventsRequest* request,
                          v1::ListEventsResponse* response) override {
    if (block_events_) {
      // Bounded: a test that forgets to release cannot hang the server.
      release_.WaitForNotificationWithTimeout(absl::Seconds(20));
    }
    return Answer(events, *request, response);
  }

  grpc::Status StartRollingRestart(grpc::ServerContext*, const v1::RollingRestartRequest* request,
                                   v1::Operation* response) override {
    return Answer(rolling, *request, response);
  }
  grpc::Status GetOperation(grpc::ServerContext*, const v1::GetOperationRequest* request,
                            v1::Operation* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    get_op.requests.push_back(*request);
    // Successive answers, the last one repeated: an operation progressing.
    const size_t i = std::min(get_op.requests.size(), operation_sequence.size()) - 1;
    *response = operation_sequence.empty() ? v1::Operation() : operation_sequence[i];
    return get_op.status;
  }
  grpc::Status ControlOperation(grpc::ServerContext*, const v1::ControlOperationRequest* request,
                                v1::Operation* response) override {
    return Answer(control, *request, response);
  }
  grpc::Status CreateNodeToken(grpc::ServerContext*, const v1::CreateNodeTokenRequest* request,
                               v1::CreateNodeTokenResponse* response) override {
    return Answer(token, *request, response);
  }
  grpc::Status ListOperations(grpc::ServerContext*, const v1::ListOperationsRequest* request,
                              v1::ListOperationsResponse* response) override {
    return Answer(list_ops, *request, response);
  }

  // Public for With(): guarded by mu_.
  Rpc<v1::RollingRestartRequest, v1::Operation> rolling ABSL_GUARDED_BY(mu_);
  Rpc<v1::GetOperationRequest, v1::Operation> get_op ABSL_GUARDED_BY(mu_);
  std::vector<v1::Operation> operation_sequence ABSL_GUARDED_BY(mu_);
  Rpc<v1::ControlOperationRequest, v1::Operation> control ABSL_GUARDED_BY(mu_);
  Rpc<v1::ListOperationsRequest, v1::ListOperationsResponse> list_ops ABSL_GUARDED_BY(mu_);
  Rpc<v1::CreateNodeTokenRequest, v1::CreateNodeTokenResponse> token ABSL_GUARDED_BY(mu_);
  Rpc<v1::ApplyRequest, v1::ApplyResponse> apply ABSL_GUARDED_BY(mu_);
  Rpc<v1::GetDesiredStateRequest, v1::GetDesiredStateResponse> get ABSL_GUARDED_BY(mu_);
  Rpc<v1::ListVersionsRequest, v1::ListVersionsResponse> history ABSL_GUARDED_BY(mu_);
  Rpc<v1::DiffRequest, v1::DiffResponse> diff ABSL_GUARDED_BY(mu_);
  Rpc<v1::RollbackRequest, v1::ApplyResponse> rollback ABSL_GUARDED_BY(mu_);
  Rpc<v1::GetStatusRequest, v1::GetStatusResponse> status ABSL_GUARDED_BY(mu_);
  Rpc<v1::ListNodesRequest, v1::ListNodesResponse> nodes ABSL_GUARDED_BY(mu_);
  Rpc<v1::ListEventsRequest, v1::ListEventsResponse> events ABSL_GUARDED_BY(mu_);

  // Every request received, of any kind.
  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  template <typename Request, typename Response>
  grpc::Status Answer(Rpc<Request, Response>& rpc, const Request& request, Response* response) {
    absl::MutexLock lock(&mu_);
    ++calls_;
    rpc.requests.push_back(request);
    *response = rpc.response;
    return rpc.status;
  }

  absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  bool block_events_ = false;  // set before the server sees a call
  absl::Notification release_;
};

struct Result {
  int code;
  std::string out;
  std::string err;
};

class RemoteCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&fake_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
    address_ = absl::StrCat("127.0.0.1:", port_);
    context_.default_controller = address_;
    context_.user = "alice";
    // Far below the test timeout, so a hung call fails the test instead.
    context_.rpc_timeout = absl::Seconds(10);
    dir_ = testing::MakeTempDir("remote_commands_test");
  }

  void TearDown() override {
    fake_.ReleaseBlockedCalls();
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
      server_->Wait();
    }
    fs::remove_all(dir_);
  }

  Result Run(const std::vector<std::string>& args) {
    std::ostringstream out;
    std::ostringstream err;
    int code = RunBamctl(args, context_, out, err);
    return {code, out.str(), err.str()};
  }

  std::string Write(const std::string& name, const std::string& text) {
    fs::path path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  static v1::GetStatusResponse StatusOf(bool converged) {
    v1::GetStatusResponse response;
    response.set_desired_version(5);
    response.set_converged(converged);
    v1::NodeStatus* node = response.add_nodes();
    node->set_node("node1");
    node->set_connected(true);
    node->set_desired_version(5);
    node->set_applied_version(converged ? 5 : 4);
    node->set_converged(converged);
    v1::RoleStatus* role = node->add_roles();
    role->set_service("zookeeper");
    role->set_phase(converged ? v1::PHASE_RUNNING : v1::PHASE_STARTING);
    role->set_health(converged ? v1::HEALTH_HEALTHY : v1::HEALTH_UNKNOWN);
    role->set_restarts(2);
    role->set_reason(converged ? "" : "waiting for: ruok");
    v1::NodeStatus* silent = response.add_nodes();
    silent->set_node("node2");
    silent->set_desired_version(5);
    silent->set_converged(converged);
    return response;
  }

  FakeClusterService fake_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::string address_;
  CommandContext context_;
  fs::path dir_;
};

constexpr char kSpec[] = "name: demo\nnodes:\n  - name: node1\n";

TEST_F(RemoteCommandsTest, ApplyPrintsDiffAndVersionAndSendsFlags) {
  fake_.With([](FakeClusterService& f) {
    f.apply.response.set_version(4);
    f.apply.response.set_spec_diff("--- version 3\n+++ spec.yaml\n@@ -1 +1 @@\n-a\n+b\n");
    f.apply.response.add_changed_nodes("node1");
    f.apply.response.add_changed_nodes("node3");
    f.apply.response.add_warnings("spec.yaml:3:5: warning: nodes[0]: lonely");
  });
  const std::string file = Write("spec.yaml", kSpec);

  Result r =
      Run({"desired-state", "apply", "-f", file, "-m", "bump heap", "--expected-version", "3"});

  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("+++ spec.yaml\n@@ -1 +1 @@\n-a\n+b\n"));
  EXPECT_THAT(r.out, HasSubstr("changed nodes: node1, node3\n"));
  EXPECT_THAT(r.out, HasSubstr("applied version 4\n"));
  EXPECT_THAT(r.err, HasSubstr("spec.yaml:3:5: warning: nodes[0]: lonely\n"));
  fake_.With([&](FakeClusterService& f) {
    ASSERT_EQ(f.apply.requests.size(), 1u);
    const v1::ApplyRequest& request = f.apply.requests[0];
    EXPECT_EQ(request.spec_text(), kSpec);
    EXPECT_EQ(request.file_name(), file);
    EXPECT_FALSE(request.dry_run());
    ASSERT_TRUE(request.has_expected_version());
    EXPECT_EQ(request.expected_version(), 3);
    EXPECT_EQ(request.comment(), "bump heap");
    EXPECT_EQ(request.author(), "alice");
  });
}

TEST_F(RemoteCommandsTest, ApplyDryRunSaysNextVersionAndSendsNoExpectedVersion) {
  fake_.With([](FakeClusterService& f) {
    f.apply.response.set_version(3);  // dry run: the current version
    f.apply.response.set_dry_run(true);
  });
  Result r = Run({"desired-state", "apply", "-f", Write("spec.yaml", kSpec), "--dry-run"});

  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("changed nodes: none\n"));
  EXPECT_THAT(r.out, HasSubstr("dry run: would be version 4\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("applied")));
  fake_.With([](FakeClusterService& f) {
    ASSERT_EQ(f.apply.requests.size(), 1u);
    EXPECT_TRUE(f.apply.requests[0].dry_run());
    EXPECT_FALSE(f.apply.requests[0].has_expected_version());
    EXPECT_EQ(f.apply.requests[0].comment(), "");
  });
}

TEST_F(RemoteCommandsTest, ApplyOfTheCurrentTextSaysUnchanged) {
  fake_.With([](FakeClusterService& f) {
    f.apply.response.set_version(3);
    f.apply.response.set_unchanged(true);
  });
  Result r = Run({"desired-state", "apply", "-f", Write("spec.yaml", kSpec)});

  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "unchanged (version 3)\n");
}

TEST_F(RemoteCommandsTest, InvalidSpecPrintsTheControllersDiagnosticsAndFails) {
  const std::string diagnostics =
      "spec.yaml:2:3: error: nodes[0].name: must not be empty\n"
      "spec.yaml:7:1: error: zookeeper: needs an odd number of servers";
  fake_.With([&](FakeClusterService& f) {
    f.apply.status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, diagnostics);
  });
  const std::string file = Write("spec.yaml", kSpec);

  Result r = Run({"desired-state", "apply", "-f", file});

  EXPECT_EQ(r.code, kExitFailed);
  // Line by line, as offline validate prints them, so editors can jump.
  EXPECT_THAT(r.err, HasSubstr(diagnostics + "\n"));
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat(file, " was not applied")));
  EXPECT_THAT(r.out, IsEmpty());
}

TEST_F(RemoteCommandsTest, StaleExpectedVersionFails) {
  fake_.With([](FakeClusterService& f) {
    f.apply.status =
        grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                     "the desired state changed: expected version 3 but the current version is 5");
  });
  Result r =
      Run({"desired-state", "apply", "-f", Write("spec.yaml", kSpec), "--expected-version=3"});

  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_THAT(r.err, HasSubstr("expected version 3 but the current version is 5"));
  EXPECT_THAT(r.out, IsEmpty());
}

TEST_F(RemoteCommandsTest, ApplyOfAMissingFileFailsWithoutCallingTheController) {
  Result r = Run({"desired-state", "apply", "-f", (dir_ / "absent.yaml").string()});

  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_THAT(r.err, HasSubstr("absent.yaml"));
  EXPECT_EQ(fake_.calls(), 0);
}

TEST_F(RemoteCommandsTest, SpecThatIsNotUtf8IsRefusedBeforeAnyCall) {
  std::string text(1234, 'a');
  text.replace(0, 11, "name: demo\n");
  text += "\xff\xfe more";
  const std::string file = Write("spec.yaml", text);

  for (const std::string verb : {"apply", "diff"}) {
    Result r = Run({"desired-state", verb, "-f", file});
    EXPECT_EQ(r.code, kExitFailed) << verb;
    EXPECT_THAT(r.err, HasSubstr(absl::StrCat(
                           file, ": not UTF-8 text: invalid byte 0xff at offset 1234\n")))
        << verb;
    EXPECT_THAT(r.err, Not(HasSubstr("older than bamctl"))) << verb;
    EXPECT_THAT(r.out, IsEmpty()) << verb;
  }
  EXPECT_EQ(fake_.calls(), 0);
}

TEST_F(RemoteCommandsTest, OnlyUnimplementedSaysTheControllerMayBeOlder) {
  fake_.With([](FakeClusterService& f) {
    f.status.status = grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "unknown method GetStatus");
    f.nodes.status = grpc::Status(grpc::StatusCode::INTERNAL, "failed to parse request");
    f.events.status = grpc::Status(grpc::StatusCode::UNKNOWN, "boom");
  });

  Result r = Run({"status"});
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_THAT(r.err, HasSubstr("does not support this command; is it older than bamctl?"));
  for (const std::string command : {"nodes", "events"}) {
    r = Run({command});
    EXPECT_EQ(r.code, kExitFailed) << command;
    EXPECT_THAT(r.err, HasSubstr(absl::StrCat("bamctl: ", command, ": the controller at ", address_,
                                              " failed: ")))
        << r.err;
    EXPECT_THAT(r.err, Not(HasSubstr("older than bamctl"))) << command;
  }
}

TEST_F(RemoteCommandsTest, StatusExitsZeroWhenConverged) {
  fake_.With([](FakeClusterService& f) { f.status.response = StatusOf(true); });

  Result r = Run({"status"});

  EXPECT_EQ(r.code, kExitOk) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("NODE"));
  EXPECT_THAT(r.out, HasSubstr("REASON"));
  EXPECT_THAT(r.out, AllOf(HasSubstr("node1"), HasSubstr("zookeeper"), HasSubstr("running"),
                           HasSubstr("healthy")));
  EXPECT_THAT(r.out, HasSubstr("desired version 5: converged"));
}

TEST_F(RemoteCommandsTest, StatusExitsOneWhenNotConverged) {
  fake_.With([](FakeClusterService& f) { f.status.response = StatusOf(false); });

  Result r = Run({"status"});

  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_THAT(r.out, AllOf(HasSubstr("starting"), HasSubstr("waiting for: ruok"),
                           HasSubstr("agent not connected")));
  EXPECT_THAT(r.out, HasSubstr("not converged (0 of 2 nodes converged)"));
}

TEST_F(RemoteCommandsTest, StatusShowsHostProblemsPendingRestartsAndNotices) {
  fake_.With([](FakeClusterService& f) {
    f.status.response = StatusOf(true);
    v1::NodeStatus* node = f.status.response.mutable_nodes(0);
    v1::PreflightCheck* ok = node->add_preflight();
    ok->set_severity(v1::SEVERITY_OK);
    ok->set_message("java at /usr/lib/jvm/default-java/bin/java");
    v1::PreflightCheck* warn = node->add_preflight();
    warn->set_severity(v1::SEVERITY_WARNING);
    warn->set_message("clock is 900 ms behind the controller's");
    node->mutable_roles(0)->set_restart_pending(true);
    for (int i = 1; i <= 4; ++i) node->add_notices(absl::StrCat("notice ", i));
  });

  Result r = Run({"status"});

  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("node1: preflight warning: clock is 900 ms behind"));
  EXPECT_THAT(r.out, Not(HasSubstr("java at")));  // ok checks stay quiet
  EXPECT_THAT(r.out, HasSubstr("restart pending (running with older config): node1/zookeeper"));
  EXPECT_THAT(r.out, AllOf(Not(HasSubstr("notice 1")), HasSubstr("node1: notice 4")));
}

TEST_F(RemoteCommandsTest, StatusSaysWhetherEachNodeHoldsTheDesiredPlan) {
  fake_.With([](FakeClusterService& f) {
    v1::GetStatusResponse& response = f.status.response;
    response.set_desired_version(2);
    response.set_converged(false);
    auto add = [&](const std::string& name, int64_t applied, std::optional<bool> holds,
                   bool converged) {
      v1::NodeStatus* node = response.add_nodes();
      node->set_node(name);
      node->set_connected(true);
      node->set_desired_version(2);
      node->set_applied_version(applied);
      if (holds) node->set_holds_desired_plan(*holds);
      node->set_converged(converged);
      if (!converged) node->set_reason("agent holds version 1, desired 2");
    };
    add("node1", 2, true, true);          // got version 2's plan
    add("node2", 1, true, true);          // version 2 did not change its plan
    add("node3", 1, false, false);        // still on version 1's other plan
    add("node4", 1, std::nullopt, true);  // a controller without the field
  });

  Result r = Run({"status"});

  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_EQ(r.out,
            "NODE   CONNECTED  DESIRED  APPLIED  PLAN       ROLE  PHASE  HEALTH  PID  RESTARTS  "
            "REASON\n"
            "node1  yes        2        2        current    -     -      -       -    -         "
            "no roles reported\n"
            "node2  yes        2        1        same plan  -     -      -       -    -         "
            "no roles reported\n"
            "node3  yes        2        1        outdated   -     -      -       -    -         "
            "agent holds version 1, desired 2\n"
            "node4  yes        2        1        -          -     -      -       -    -         "
            "no roles reported\n"
            "same plan: version 2 did not change the plan these nodes hold from an earlier "
            "version: node2 (version 1)\n"
            "desired version 2: not converged (3 of 4 nodes converged)\n");
}

v1::Operation ZooKeeperRollout(v1::OperationState state, int done) {
  v1::Operation op;
  op.set_id(7);
  op.set_role("zookeeper");
  op.set_service("zookeeper");
  op.set_state(state);
  op.set_order("followers one at a time, the leader last");
  v1::PreCheckResult* check = op.add_checks();
  check->set_name("group healthy");
  check->set_ok(true);
  check->set_detail("all 3 zookeeper instances are healthy");
  for (int i = 0; i < 3; ++i) {
    v1::RolloutStep* s = op.add_steps();
    s->set_index(i + 1);
    s->add_nodes(absl::StrCat("node", i + 3));
    s->set_state(i < done ? v1::STEP_STATE_DONE
                          : (i == done ? v1::STEP_STATE_RESTARTING : v1::STEP_STATE_PENDING));
    if (i == done) s->set_message("node" + std::to_string(i + 3) + ": starting");
  }
  return op;
}

TEST_F(RemoteCommandsTest, RollingRestartSendsTheRequestAndPrintsThePlan) {
  fake_.With([](FakeClusterService& f) {
    f.rolling.response = ZooKeeperRollout(v1::OPERATION_STATE_PLANNED, 0);
  });

  Result r = Run({"rolling-restart", "zookeeper", "--nodes", "node3,node4", "--batch-size", "1",
                  "--health-timeout", "2m", "--pause-between", "30s", "--dry-run", "--force"});

  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr("order: followers one at a time, the leader last"),
                           HasSubstr("check ok     group healthy"), HasSubstr("node5"),
                           HasSubstr("dry run: nothing was restarted")));
  fake_.With([](FakeClusterService& f) {
    ASSERT_EQ(f.rolling.requests.size(), 1u);
    const v1::RollingRestartRequest& q = f.rolling.requests[0];
    EXPECT_EQ(q.role(), "zookeeper");
    EXPECT_THAT(q.nodes(), ::testing::ElementsAre("node3", "node4"));
    EXPECT_EQ(q.health_timeout_ms(), 120000);
    EXPECT_EQ(q.pause_between_ms(), 30000);
    EXPECT_TRUE(q.dry_run());
    EXPECT_TRUE(q.force());
    EXPECT_FALSE(q.allow_downtime());
    EXPECT_EQ(q.author(), "alice");
  });
}

TEST_F(RemoteCommandsTest, RollingRestartRefusalIsPrintedAndFails) {
  fake_.With([](FakeClusterService& f) {
    f.rolling.status = grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                    "refusing to restart zookeeper: group healthy: not healthy: "
                                    "node4 (not healthy) (--force starts anyway)");
  });
  Result r = Run({"rolling-restart", "zookeeper"});
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_THAT(r.err, HasSubstr("node4 (not healthy) (--force starts anyway)"));
  EXPECT_EQ(Run({"rolling-restart"}).code, kExitUsage);
  EXPECT_EQ(Run({"rolling-restart", "zookeeper", "--health-timeout", "soon"}).code, kExitUsage);
}

TEST_F(RemoteCommandsTest, OpWatchFollowsToTheEndAndItsExitCodeSaysHowItEnded) {
  fake_.With([](FakeClusterService& f) {
    f.operation_sequence = {ZooKeeperRollout(v1::OPERATION_STATE_RUNNING, 0),
                            ZooKeeperRollout(v1::OPERATION_STATE_RUNNING, 2),
                            ZooKeeperRollout(v1::OPERATION_STATE_SUCCEEDED, 3)};
  });
  // Polls wait on a fake clock: the test moves time only once the watch is
  // parked in its wait, so each advance is exactly one poll interval.
  FakeClock clock;
  context_.clock = &clock;
  const int64_t start_ms = clock.MonotonicMillis();
  std::atomic<bool> finished{false};
  Result r;
  std::thread watch([&] {
    r = Run({"op", "watch", "7", "--interval", "2m"});
    finished = true;
  });
  auto polls = [&] {
    size_t n = 0;
    fake_.With([&](FakeClusterService& f) { n = f.get_op.requests.size(); });
    return n;
  };
  // Bounded waits for the watch thread (real time only to notice it moved).
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  auto wait_for = [&](auto done) {
    while (!done() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(1));
  };
  int advances = 0;
  while (true) {
    wait_for([&] { return finished || clock.waiters() > 0; });
    if (finished || absl::Now() >= give_up) break;
    const size_t before = polls();
    clock.AdvanceMillis(120000);
    ++advances;
    wait_for([&] { return finished || polls() > before; });
  }
  watch.join();
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(
      r.out,
      AllOf(HasSubstr("[....................] 0/3 steps, running; step 1 (zookeeper on node3) "
                      "restarting: node3: starting"),
            HasSubstr("[#############.......] 2/3 steps"),
            HasSubstr("[####################] 3/3 steps, succeeded")));
  // Three polls, two waits of --interval each between them, no real sleep.
  EXPECT_EQ(advances, 2);
  EXPECT_EQ(clock.MonotonicMillis() - start_ms, 240000);
  fake_.With([](FakeClusterService& f) { EXPECT_EQ(f.get_op.requests.size(), 3u); });

  fake_.With([](FakeClusterService& f) {
    v1::Operation failed = ZooKeeperRollout(v1::OPERATION_STATE_FAILED, 1);
    failed.set_reason("step 2 failed: not healthy within 300 s");
    f.operation_sequence = {failed};
    f.get_op.requests.clear();
  });
  r = Run({"op", "watch", "7"});  // ended already: no wait at all
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_THAT(r.out, HasSubstr("step 2 failed: not healthy within 300 s"));
  EXPECT_EQ(clock.MonotonicMillis() - start_ms, 240000);
}

TEST_F(RemoteCommandsTest, OpControlsSendTheAction) {
  fake_.With([](FakeClusterService& f) {
    f.control.response = ZooKeeperRollout(v1::OPERATION_STATE_PAUSED, 1);
  });
  Result r = Run({"op", "pause", "7"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("operation 7 is paused"));
  fake_.With([](FakeClusterService& f) {
    ASSERT_EQ(f.control.requests.size(), 1u);
    EXPECT_EQ(f.control.requests[0].action(), v1::OPERATION_ACTION_PAUSE);
    EXPECT_EQ(f.control.requests[0].id(), 7);
  });
  EXPECT_EQ(Run({"op", "explode", "7"}).code, kExitUsage);
  EXPECT_EQ(Run({"op", "pause"}).code, kExitUsage);
}

// Parses `json` as a JSON object; fails the test when it is not one.
google::protobuf::Struct ParseObject(const std::string& json) {
  google::protobuf::Struct parsed;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
  return parsed;
}

const google::protobuf::Value& Field(const google::protobuf::Struct& object,
                                     const std::string& name) {
  static const google::protobuf::Value kMissing;
  auto it = object.fields().find(name);
  EXPECT_NE(it, object.fields().end()) << "no field " << name;
  return it == object.fields().end() ? kMissing : it->second;
}

constexpr auto kNumber = google::protobuf::Value::kNumberValue;
constexpr auto kString = google::protobuf::Value::kStringValue;

TEST_F(RemoteCommandsTest, StatusJsonHasNumbersAndEnumTextsAndKeepsTheExitCode) {
  fake_.With([](FakeClusterService& f) {
    f.status.response = StatusOf(false);
    v1::NodeStatus* node = f.status.response.mutable_nodes(0);
    node->set_last_seen_ms(1700000000123);
    node->mutable_roles(0)->set_pid(4242);
    node->mutable_roles(0)->set_phase(v1::PHASE_CRASH_LOOP);
  });

  Result r = Run({"status", "-o", "json"});

  EXPECT_EQ(r.code, kExitFailed);
  google::protobuf::Struct parsed = ParseObject(r.out);
  EXPECT_EQ(Field(parsed, "converged").kind_case(), google::protobuf::Value::kBoolValue);
  EXPECT_EQ(Field(parsed, "desired_version").kind_case(), kNumber);
  EXPECT_EQ(Field(parsed, "desired_version").number_value(), 5);
  const auto& nodes = Field(parsed, "nodes").list_value();
  ASSERT_EQ(nodes.values_size(), 2) << r.out;
  const google::protobuf::Struct& node = nodes.values(0).struct_value();
  for (const char* name :
       {"desired_version", "applied_version", "last_seen_ms", "clock_offset_ms"}) {
    EXPECT_EQ(Field(node, name).kind_case(), kNumber) << name << " in " << r.out;
  }
  EXPECT_EQ(Field(node, "last_seen_ms").number_value(), 1700000000123.0);
  EXPECT_EQ(Field(node, "applied_version").number_value(), 4);
  const google::protobuf::Struct& role = Field(node, "roles").list_value().values(0).struct_value();
  EXPECT_EQ(Field(role, "pid").kind_case(), kNumber);
  EXPECT_EQ(Field(role, "pid").number_value(), 4242);
  EXPECT_EQ(Field(role, "restarts").kind_case(), kNumber);
  EXPECT_EQ(Field(role, "restarts").number_value(), 2);
  EXPECT_EQ(Field(role, "phase").string_value(), "crash-loop");
  EXPECT_EQ(Field(role, "health").string_value(), "unknown");
  EXPECT_EQ(Field(role, "reason").string_value(), "waiting for: ruok");
}

TEST_F(RemoteCommandsTest, OpShowOfAnAutoRolloutListsTheRestartsItStarted) {
  fake_.With([](FakeClusterService& f) {
    v1::Operation op;
    op.set_id(9);
    op.set_kind(v1::OPERATION_KIND_AUTO_ROLLOUT);
    op.set_state(v1::OPERATION_STATE_RUNNING);
    op.set_version(4);
    for (const auto& [service, id] : {std::pair("zookeeper", 10), std::pair("cassandra", 11)}) {
      v1::AutoRollout::Child* child = op.mutable_auto_rollout()->add_children();
      child->set_service(service);
      child->set_role(service);
      child->set_operation_id(id);
      child->set_started_ms(1700000000000);
    }
    f.operation_sequence = {op};
  });

  Result r = Run({"op", "show", "9"});

  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("operation 9: auto-rollout of version 4, running\n"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("OPERATION +SERVICE +ROLE +STARTED"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("10 +zookeeper +zookeeper +2023-11-14T22:13:20Z"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("11 +cassandra"));
  EXPECT_THAT(r.out, Not(HasSubstr("rolling restart of")));
}

TEST_F(RemoteCommandsTest, OpShowOfEverythingPendingNamesEachStepsServiceAndWhatWasLeft) {
  fake_.With([](FakeClusterService& f) {
    v1::Operation op;
    op.set_id(12);
    op.set_kind(v1::OPERATION_KIND_ROLLING_RESTART);
    op.set_state(v1::OPERATION_STATE_RUNNING);
    op.set_order("service groups in dependency order; zookeeper: followers; cassandra: drained");
    op.add_left_pending("namenode (needs --allow-downtime)");
    for (const auto& [service, node] :
         {std::pair("zookeeper", "node3"), std::pair("cassandra", "node4")}) {
      v1::RolloutStep* step = op.add_steps();
      step->set_index(op.steps_size());
      step->set_service(service);
      step->add_nodes(node);
      step->set_state(v1::STEP_STATE_PENDING);
    }
    op.mutable_steps(1)->set_message(
        "waiting for the disruption budget (max_nodes_disrupted 1): node3 (operation 11 restarts "
        "zookeeper)");
    f.operation_sequence = {op};
  });

  Result r = Run({"op", "show", "12"});

  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("operation 12: rolling restart of everything pending (zookeeper, "
                               "cassandra), running\n"));
  EXPECT_THAT(r.out, HasSubstr("left pending: namenode (needs --allow-downtime)\n"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("STEP +SERVICE +NODES +STATE +MESSAGE"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("1 +zookeeper +node3 +pending"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex(
                         "2 +cassandra +node4 +pending +waiting for the disruption budget"));
}

TEST_F(RemoteCommandsTest, RollingRestartWithoutARoleAsksForEverythingPending) {
  fake_.With(
      [](FakeClusterService& f) { f.rolling.response.set_state(v1::OPERATION_STATE_PLANNED); });
  Result r = Run({"rolling-restart", "--pending", "--dry-run"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("dry run: nothing was restarted"));
  fake_.With([](FakeClusterService& f) {
    ASSERT_EQ(f.rolling.requests.size(), 1u);
    EXPECT_EQ(f.rolling.requests[0].role(), "");
    EXPECT_TRUE(f.rolling.requests[0].pending_only());
  });
}

TEST_F(RemoteCommandsTest, OpListSaysWhatEachOperationIsAndHowFarItGot) {
  fake_.With([](FakeClusterService& f) {
    v1::Operation rollout;
    rollout.set_id(9);
    rollout.set_kind(v1::OPERATION_KIND_AUTO_ROLLOUT);
    rollout.set_state(v1::OPERATION_STATE_WAITING);
    rollout.set_version(4);
    *f.list_ops.response.add_operations() = rollout;
    *f.list_ops.response.add_operations() = ZooKeeperRollout(v1::OPERATION_STATE_SUCCEEDED, 3);
  });

  Result r = Run({"op", "list"});

  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, ::testing::ContainsRegex("ID +OPERATION +STATE +PROGRESS"));
  EXPECT_THAT(r.out,
              ::testing::ContainsRegex("9 +auto-rollout of v4 +waiting +0 restarts started"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("7 +restart zookeeper +succeeded +3/3 steps"));
}

TEST_F(RemoteCommandsTest, NodeTokenCreatePrintsTheTokenAloneOnStdout) {
  fake_.With([](FakeClusterService& f) {
    f.token.response.set_token("bamctl-0123");
    f.token.response.set_node("node2");
    f.token.response.set_expires_ms(1700000000000);
  });

  Result r = Run({"node", "token", "create", "node2", "--ttl", "30m"});

  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "bamctl-0123\n");
  EXPECT_THAT(r.err, HasSubstr("for node node2, expires 2023-11-14T22:13:20Z"));
  fake_.With([](FakeClusterService& f) {
    ASSERT_EQ(f.token.requests.size(), 1u);
    EXPECT_EQ(f.token.requests[0].node(), "node2");
    EXPECT_EQ(f.token.requests[0].ttl_ms(), 30 * 60 * 1000);
  });
}

TEST_F(RemoteCommandsTest, OpShowJsonHasNumbersAndEnumTexts) {
  fake_.With([](FakeClusterService& f) {
    v1::Operation op = ZooKeeperRollout(v1::OPERATION_STATE_SUCCEEDED, 3);
    op.set_created_ms(1700000000456);
    (*op.mutable_steps(0)->mutable_old_pids())["node3"] = 31337;
    f.operation_sequence = {op};
  });

  Result r = Run({"op", "show", "7", "-o", "json"});

  ASSERT_EQ(r.code, kExitOk) << r.err;
  google::protobuf::Struct op = ParseObject(r.out);
  EXPECT_EQ(Field(op, "id").kind_case(), kNumber);
  EXPECT_EQ(Field(op, "id").number_value(), 7);
  EXPECT_EQ(Field(op, "created_ms").number_value(), 1700000000456.0);
  EXPECT_EQ(Field(op, "state").kind_case(), kString);
  EXPECT_EQ(Field(op, "state").string_value(), "succeeded");
  const auto& steps = Field(op, "steps").list_value();
  ASSERT_EQ(steps.values_size(), 3) << r.out;
  const google::protobuf::Struct& step = steps.values(0).struct_value();
  EXPECT_EQ(Field(step, "index").kind_case(), kNumber);
  EXPECT_EQ(Field(step, "state").string_value(), "done");
  const google::protobuf::Struct& pids = Field(step, "old_pids").struct_value();
  EXPECT_EQ(Field(pids, "node3").kind_case(), kNumber);
  EXPECT_EQ(Field(pids, "node3").number_value(), 31337);
  fake_.With([](FakeClusterService& f) {
    ASSERT_EQ(f.get_op.requests.size(), 1u);
    EXPECT_EQ(f.get_op.requests[0].id(), 7);
  });
}

TEST_F(RemoteCommandsTest, GetJsonHasTopLevelVersionAndTheSpecAsAnObject) {
  // Quotes, backslashes, control characters and non-ASCII must survive.
  const std::string text = "name: \"demo\"  # \\ caf\xc3\xa9\n\tx: 1\x01\n";
  fake_.With([&](FakeClusterService& f) {
    f.get.response.set_version(7);
    f.get.response.set_spec_text(text);
    f.get.response.set_author("bob \"the admin\"");
    f.get.response.set_comment("line one\nline two");
    f.get.response.set_created_ms(1700000000123);
    f.get.response.set_rollback_of(2);
    f.get.response.mutable_effective_spec()->set_name("demo");
  });

  Result r = Run({"desired-state", "get", "--version", "7", "-o", "json"});

  ASSERT_EQ(r.code, kExitOk) << r.err;
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &parsed).ok()) << r.out;
  const auto& fields = parsed.fields();
  ASSERT_EQ(fields.count("version"), 1u) << r.out;
  EXPECT_EQ(fields.at("version").kind_case(), google::protobuf::Value::kNumberValue);
  EXPECT_EQ(fields.at("version").number_value(), 7);
  EXPECT_EQ(fields.at("spec_text").string_value(), text);
  EXPECT_EQ(fields.at("author").string_value(), "bob \"the admin\"");
  EXPECT_EQ(fields.at("comment").string_value(), "line one\nline two");
  EXPECT_EQ(fields.at("created_ms").number_value(), 1700000000123.0);
  EXPECT_EQ(fields.at("rollback_of").number_value(), 2);
  ASSERT_EQ(fields.count("effective_spec"), 1u);
  EXPECT_EQ(fields.at("effective_spec").struct_value().fields().at("name").string_value(), "demo");
  fake_.With([](FakeClusterService& f) {
    ASSERT_EQ(f.get.requests.size(), 1u);
    EXPECT_EQ(f.get.requests[0].version(), 7);
  });
}

TEST_F(RemoteCommandsTest, GetYamlPrintsTheStoredTextExactly) {
  const std::string text = "name: demo  # as written\nnodes: []";
  fake_.With([&](FakeClusterService& f) {
    f.get.response.set_version(3);
    f.get.response.set_spec_text(text);
  });

  Result r = Run({"desired-state", "get"});

  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, text);
  fake_.With([](FakeClusterService& f) {
    ASSERT_EQ(f.get.requests.size(), 1u);
    EXPECT_EQ(f.get.requests[0].version(), 0);  // the current version
  });
}

TEST_F(RemoteCommandsTest, DiffPrintsSpecThenFileDiffsAndExitsZero) {
  fake_.With([](FakeClusterService& f) {
    f.diff.response.set_current_version(3);
    f.diff.response.set_spec_diff("--- version 3\n+++ spec.yaml\n-heap: 1g\n+heap: 2g\n");
    v1::NodeDiff* node = f.diff.response.add_nodes();
    node->set_node("node1");
    v1::FileDiff* file = node->add_files();
    file->set_path("/etc/bam/env.sh");
    file->set_diff("--- node1:/etc/bam/env.sh (version 3)\n+++ node1:/etc/bam/env.sh\n-1g\n+2g");
  });
  const std::string path = Write("spec.yaml", kSpec);

  Result r = Run({"desired-state", "diff", "-f", path});

  EXPECT_EQ(r.code, kExitOk) << r.err;
  const size_t spec_at = r.out.find("+heap: 2g\n");
  const size_t file_at = r.out.find("+++ node1:/etc/bam/env.sh\n-1g\n+2g\n");
  ASSERT_NE(spec_at, std::string::npos) << r.out;
  ASSERT_NE(file_at, std::string::npos) << r.out;
  EXPECT_LT(spec_at, file_at);
  EXPECT_THAT(r.out, HasSubstr("compared with version 3: files change on node1"));
  fake_.With([&](FakeClusterService& f) {
    ASSERT_EQ(f.diff.requests.size(), 1u);
    EXPECT_EQ(f.diff.requests[0].spec_text(), kSpec);
    EXPECT_EQ(f.diff.requests[0].file_name(), path);
  });
}

TEST_F(RemoteCommandsTest, RollbackSendsTargetAndExpectedVersion) {
  fake_.With([](FakeClusterService& f) {
    f.rollback.response.set_version(6);
    f.rollback.response.add_changed_nodes("node2");
  });

  Result r = Run({"desired-state", "rollback", "2", "--expected-version", "5"});

  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("changed nodes: node2\n"));
  EXPECT_THAT(r.out, HasSubstr("applied version 6 (rollback to version 2)\n"));
  fake_.With([](FakeClusterService& f) {
    ASSERT_EQ(f.rollback.requests.size(), 1u);
    EXPECT_EQ(f.rollback.requests[0].version(), 2);
    EXPECT_EQ(f.rollback.requests[0].expected_version(), 5);
    EXPECT_EQ(f.rollback.requests[0].author(), "alice");
  });
}

TEST_F(RemoteCommandsTest, HistoryIsATableWithOneRowPerVersion) {
  fake_.With([](FakeClusterService& f) {
    v1::VersionInfo* newest = f.history.response.add_versions();
    newest->set_version(2);
    newest->set_author("bob");
    newest->set_comment("roll back\nthe heap");
    newest->set_rollback_of(1);
    newest->set_created_ms(86400000);
    newest->set_content_hash("0123456789abcdef0123");
    v1::VersionInfo* oldest = f.history.response.add_versions();
    oldest->set_version(1);
    oldest->set_author("alice");
  });

  Result r = Run({"desired-state", "history", "--limit", "2"});

  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "VERSION  CREATED               AUTHOR  ROLLBACK-OF  HASH          COMMENT\n"
            "2        1970-01-02T00:00:00Z  bob     1            0123456789ab  roll back the heap\n"
            "1        -                     alice   -            -             -\n");
  fake_.With([](FakeClusterService& f) {
    ASSERT_EQ(f.history.requests.size(), 1u);
    EXPECT_EQ(f.history.requests[0].limit(), 2);
  });
}

TEST_F(RemoteCommandsTest, NodesAndEventsPrintTablesAndJson) {
  fake_.With([](FakeClusterService& f) {
    *f.nodes.response.mutable_nodes() = StatusOf(true).nodes();
    v1::Event* e = f.events.response.add_events();
    e->set_id(9);
    e->set_kind("apply");
    e->set_actor("alice");
    e->set_message("version 5");
  });

  Result nodes = Run({"nodes"});
  EXPECT_EQ(nodes.code, kExitOk) << nodes.err;
  EXPECT_THAT(nodes.out, AllOf(HasSubstr("LAST-SEEN"), HasSubstr("node1"), HasSubstr("zookeeper"),
                               HasSubstr("node2")));
  Result events = Run({"events", "--limit=1", "-o", "json"});
  EXPECT_EQ(events.code, kExitOk) << events.err;
  v1::ListEventsResponse parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(events.out, &parsed).ok()) << events.out;
  ASSERT_EQ(parsed.events_size(), 1);
  EXPECT_EQ(parsed.events(0).message(), "version 5");
  fake_.With([](FakeClusterService& f) {
    ASSERT_EQ(f.events.requests.size(), 1u);
    EXPECT_EQ(f.events.requests[0].limit(), 1);
  });
}

TEST_F(RemoteCommandsTest, ControllerFlagOverridesTheDefault) {
  context_.default_controller = "127.0.0.1:1";  // nothing listens there
  fake_.With([](FakeClusterService& f) { f.status.response = StatusOf(true); });

  Result r = Run({"status", "--controller", address_});

  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(fake_.calls(), 1);
}

TEST_F(RemoteCommandsTest, MissingControllerAddressIsAUsageError) {
  context_.default_controller.clear();

  Result r = Run({"status"});

  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, AllOf(HasSubstr("--controller=HOST:PORT"), HasSubstr("BAMCTL_CONTROLLER")));
  EXPECT_EQ(fake_.calls(), 0);
}

TEST_F(RemoteCommandsTest, BadFlagsAreUsageErrors) {
  EXPECT_EQ(Run({"desired-state", "apply"}).code, kExitUsage);  // no -f
  EXPECT_EQ(Run({"desired-state", "rollback"}).code, kExitUsage);
  EXPECT_EQ(Run({"desired-state", "rollback", "two"}).code, kExitUsage);
  EXPECT_EQ(Run({"desired-state", "get", "-o", "xml"}).code, kExitUsage);
  EXPECT_EQ(Run({"events", "--limit", "-3"}).code, kExitUsage);
  EXPECT_EQ(Run({"status", "--dry-run"}).code, kExitUsage);
  EXPECT_EQ(Run({"nodes", "--controller=nohostport"}).code, kExitUsage);
  EXPECT_EQ(fake_.calls(), 0);
}

TEST_F(RemoteCommandsTest, UnreachableControllerFailsWithAClearMessage) {
  std::string closed;
  {
    testing::LoopbackListener listener;
    closed = absl::StrCat("127.0.0.1:", listener.port());
  }  // closed: connections are refused

  Result r = Run({"status", "--controller=" + closed});

  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat("cannot reach the controller at ", closed, ": ")));
  EXPECT_THAT(r.err, HasSubstr("is bam-controller running?"));
}

TEST_F(RemoteCommandsTest, SlowControllerFailsAtTheDeadline) {
  fake_.BlockListEvents();
  context_.rpc_timeout = absl::Milliseconds(300);

  Result r = Run({"events"});

  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_THAT(r.err, HasSubstr("did not answer within 300ms"));
}

TEST_F(RemoteCommandsTest, RunBamctlDispatchesRemoteCommands) {
  fake_.With([](FakeClusterService& f) { f.status.response = StatusOf(false); });
  std::ostringstream out;
  std::ostringstream err;

  // --controller wins over whatever BAMCTL_CONTROLLER the test runs with.
  int code = RunBamctl({"status", "--controller=" + address_}, out, err);

  EXPECT_EQ(code, kExitFailed) << err.str();
  EXPECT_THAT(out.str(), HasSubstr("not converged"));
  EXPECT_EQ(fake_.calls(), 1);
}

TEST(TextTableTest, AlignsColumnsWithoutTrailingBlanks) {
  TextTable table({"A", "LONGER"});
  table.AddRow({"wide cell", ""});
  table.AddRow({"caf\xc3\xa9", "x\ny"});

  EXPECT_EQ(table.Render(),
            "A          LONGER\n"
            "wide cell  -\n"
            "caf\xc3\xa9       x y\n");
}

}  // namespace
}  // namespace bamctl
