// The controller over mutual TLS, in process, with certificates from a CA
// made for the test: who may connect, who may call what, and as whom.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "controller/server/controller_server.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "pki/certs.h"
#include "proto/controller.grpc.pb.h"
#include "spdlog/sinks/ringbuffer_sink.h"
#include "spdlog/spdlog.h"
#include "tests/util/fake_agent_stream.h"
#include "tests/util/test_pki.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::bamctl::testing::FakeAgent;
using ::testing::HasSubstr;

std::chrono::system_clock::time_point Deadline(int seconds) {
  return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
}

class ControllerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("controller_tls");
    const fs::path tls = dir_ / "tls";
    absl::StatusOr<CertificateAuthority> ca = testing::MakeControllerTlsDir(tls, "127.0.0.1");
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::make_unique<CertificateAuthority>(*std::move(ca));

    ControllerOptions options;
    options.listen = "127.0.0.1:0";
    options.tls_dir = tls.string();
    options.db_path = (dir_ / "state/controller.db").string();
    options.metrics_listen = "";
    options.shutdown_grace = std::chrono::milliseconds(100);
    server_ = std::make_unique<ControllerServer>(options);
    absl::Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started;
    target_ = absl::StrCat("127.0.0.1:", server_->port());
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  // A channel presenting a certificate for `name` in `role` from `ca`
  // (default: the cluster's), or none when `name` is empty.
  std::shared_ptr<grpc::Channel> Channel(const std::string& name, PeerRole role,
                                         const CertificateAuthority* ca = nullptr,
                                         absl::Duration lifetime = absl::Hours(1)) {
    grpc::SslCredentialsOptions ssl;
    if (!name.empty()) {
      absl::StatusOr<grpc::SslCredentialsOptions> client =
          testing::ClientTlsOptions(ca != nullptr ? *ca : *ca_, name, role, lifetime);
      EXPECT_TRUE(client.ok()) << client.status();
      if (client.ok()) ssl = *std::move(client);
    }
    ssl.pem_root_certs = ca_->cert_pem();  // the controller's, whoever issued the client's
    return grpc::CreateChannel(target_, grpc::SslCredentials(ssl));
  }

  grpc::Status Status(const std::shared_ptr<grpc::Channel>& channel) {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(10));
    v1::GetStatusRequest request;
    v1::GetStatusResponse response;
    return v1::ClusterService::NewStub(channel)->GetStatus(&ctx, request, &response);
  }

  grpc::Status Apply(const std::shared_ptr<grpc::Channel>& channel, const std::string& text,
                     const std::string& author) {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(20));
    v1::ApplyRequest request;
    request.set_spec_text(text);
    request.set_author(author);
    request.set_comment("first");
    v1::ApplyResponse response;
    return v1::ClusterService::NewStub(channel)->ApplyDesiredState(&ctx, request, &response);
  }

  // Calls ClusterService's `method` with an empty request through a generic
  // stub: reaches every method the service has, present and future.
  grpc::Status CallEmpty(const std::shared_ptr<grpc::Channel>& channel, const std::string& method) {
    grpc::GenericStub stub(channel);
    grpc::CompletionQueue cq;
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(10));
    grpc::ByteBuffer request;
    grpc::Slice empty;
    request = grpc::ByteBuffer(&empty, 1);
    std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
        stub.PrepareUnaryCall(&ctx, method, request, &cq);
    call->StartCall();
    grpc::ByteBuffer response;
    grpc::Status status;
    call->Finish(&response, &status, reinterpret_cast<void*>(1));
    void* tag = nullptr;
    bool ok = false;
    EXPECT_TRUE(cq.Next(&tag, &ok));
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    return status;
  }

  fs::path dir_;
  std::unique_ptr<CertificateAuthority> ca_;
  std::unique_ptr<ControllerServer> server_;
  std::string target_;
};

TEST_F(ControllerTlsTest, APlaintextClientIsRefused) {
  grpc::Status s = Status(grpc::CreateChannel(target_, grpc::InsecureChannelCredentials()));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

TEST_F(ControllerTlsTest, ACertificateFromAnotherCaIsRefused) {
  absl::StatusOr<CertificateAuthority> other =
      CertificateAuthority::Create("other", absl::Hours(1));
  ASSERT_TRUE(other.ok()) << other.status();
  grpc::Status s = Status(Channel("admin", PeerRole::kOperator, &*other));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_TRUE(Status(Channel("admin", PeerRole::kOperator)).ok());
}

TEST_F(ControllerTlsTest, AnExpiredCertificateIsRefused) {
  grpc::Status s = Status(Channel("admin", PeerRole::kOperator, nullptr, -absl::Minutes(30)));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

TEST_F(ControllerTlsTest, WithoutAClientCertificateNothingIsAllowed) {
  grpc::Status s = Status(Channel("", PeerRole::kViewer));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("no client certificate"));
}

TEST_F(ControllerTlsTest, EveryClusterCallIsAuthorizedByRole) {
  const google::protobuf::ServiceDescriptor* service =
      v1::ApplyRequest::descriptor()->file()->FindServiceByName("ClusterService");
  ASSERT_NE(service, nullptr);
  const std::set<std::string> changes = {"ApplyDesiredState", "Rollback", "StartRollingRestart",
                                         "ControlOperation", "CreateNodeToken"};
  auto anonymous = Channel("", PeerRole::kViewer);
  auto node = Channel("node2", PeerRole::kNode);
  auto viewer = Channel("ann", PeerRole::kViewer);
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string name = service->method(i)->name();
    const std::string method = absl::StrCat("/", service->full_name(), "/", name);
    EXPECT_EQ(CallEmpty(anonymous, method).error_code(), grpc::StatusCode::UNAUTHENTICATED) << name;
    grpc::Status as_node = CallEmpty(node, method);
    EXPECT_EQ(as_node.error_code(), grpc::StatusCode::PERMISSION_DENIED) << name;
    EXPECT_THAT(as_node.error_message(), HasSubstr("\"node2\" holds a node certificate")) << name;
    grpc::Status as_viewer = CallEmpty(viewer, method);
    if (changes.count(name) > 0) {
      EXPECT_EQ(as_viewer.error_code(), grpc::StatusCode::PERMISSION_DENIED) << name;
      EXPECT_THAT(as_viewer.error_message(), HasSubstr("needs an operator certificate")) << name;
    } else {
      EXPECT_NE(as_viewer.error_code(), grpc::StatusCode::PERMISSION_DENIED) << name;
      EXPECT_NE(as_viewer.error_code(), grpc::StatusCode::UNAUTHENTICATED) << name;
    }
  }
}

TEST_F(ControllerTlsTest, ChangesAreRecordedAsTheCertificateNotAsTheClientSays) {
  const std::string seed = testing::ReadSourceFile("examples/seed-cluster.yaml");
  grpc::Status viewer = Apply(Channel("ann", PeerRole::kViewer), seed, "ann");
  EXPECT_EQ(viewer.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Apply(Channel("admin", PeerRole::kOperator), seed, "mallory").ok());

  auto channel = Channel("ann", PeerRole::kViewer);
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline(10));
  v1::ListVersionsResponse versions;
  ASSERT_TRUE(v1::ClusterService::NewStub(channel)
                  ->ListVersions(&ctx, v1::ListVersionsRequest(), &versions)
                  .ok());
  ASSERT_EQ(versions.versions_size(), 1);
  EXPECT_EQ(versions.versions(0).author(), "admin");
  EXPECT_EQ(versions.versions(0).comment(), "(client says author: mallory) first");

  grpc::ClientContext events_ctx;
  events_ctx.set_deadline(Deadline(10));
  v1::ListEventsResponse events;
  ASSERT_TRUE(v1::ClusterService::NewStub(channel)
                  ->ListEvents(&events_ctx, v1::ListEventsRequest(), &events)
                  .ok());
  bool seen = false;
  for (const v1::Event& e : events.events()) {
    if (e.kind() == "apply") {
      seen = true;
      EXPECT_EQ(e.actor(), "admin");
    }
  }
  EXPECT_TRUE(seen);
}

TEST_F(ControllerTlsTest, ANodeCertificateSpeaksOnlyAsItsNodeAndGetsOnlyItsPlan) {
  const std::string seed = testing::ReadSourceFile("examples/seed-cluster.yaml");
  ASSERT_TRUE(Apply(Channel("admin", PeerRole::kOperator), seed, "admin").ok());

  auto node2 = v1::AgentService::NewStub(Channel("node2", PeerRole::kNode));
  FakeAgent impostor(node2.get(), "node1");
  EXPECT_FALSE(impostor.NextPlan().has_value());
  grpc::Status refused = impostor.Close();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(refused.error_message(),
              HasSubstr("certificate is node \"node2\"'s; it cannot say hello as \"node1\""));

  FakeAgent itself(node2.get(), "node2");
  std::optional<v1::PlanUpdate> plan = itself.NextPlan();
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->plan().node(), "node2");

  auto operator_stub = v1::AgentService::NewStub(Channel("admin", PeerRole::kOperator));
  FakeAgent not_a_node(operator_stub.get(), "node3");
  EXPECT_FALSE(not_a_node.NextPlan().has_value());
  grpc::Status as_operator = not_a_node.Close();
  EXPECT_EQ(as_operator.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(as_operator.error_message(), HasSubstr("needs a node certificate"));
}

// ControllerTlsTest with the controller's log captured, for what the
// controller says only there. The default logger is swapped while no other
// thread logs (before the controller starts, after it stops): spdlog does
// not guard the swap.
class ControllerLogTest : public ControllerTlsTest {
 protected:
  void SetUp() override {
    previous_logger_ = spdlog::default_logger();
    log_ = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(4096);
    std::vector<spdlog::sink_ptr> sinks = previous_logger_->sinks();
    sinks.push_back(log_);
    auto logger = std::make_shared<spdlog::logger>("", sinks.begin(), sinks.end());
    logger->set_level(spdlog::level::info);  // the lines asserted are info and warn
    spdlog::set_default_logger(std::move(logger));
    ControllerTlsTest::SetUp();
  }
  void TearDown() override {
    ControllerTlsTest::TearDown();
    spdlog::set_default_logger(previous_logger_);
  }

  // Whether the controller logged exactly `line` (without time and level) at `level`.
  bool Logged(spdlog::level::level_enum level, const std::string& line) {
    for (const spdlog::details::log_msg_buffer& m : log_->last_raw()) {
      if (m.level == level && std::string_view(m.payload.data(), m.payload.size()) == line) {
        return true;
      }
    }
    return false;
  }

  // Polls `done` (every 20 ms) until it holds or 10 s pass; false then.
  template <typename F>
  static bool Eventually(F done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  // The service "bam" as an agent reports it.
  static v1::RoleStatus Bam(int64_t pid, v1::Phase phase, v1::Health health,
                            const std::string& reason = "") {
    v1::RoleStatus role;
    role.set_service("bam");
    role.set_pid(pid);
    role.set_phase(phase);
    role.set_health(health);
    role.set_reason(reason);
    return role;
  }

  // Whether the controller sees every one of `nodes` connected with "bam" healthy.
  static bool BamHealthy(const std::shared_ptr<grpc::Channel>& channel,
                         const std::vector<std::string>& nodes) {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(10));
    v1::GetStatusResponse status;
    if (!v1::ClusterService::NewStub(channel)
             ->GetStatus(&ctx, v1::GetStatusRequest(), &status)
             .ok()) {
      return false;
    }
    size_t healthy = 0;
    for (const v1::NodeStatus& n : status.nodes()) {
      if (!n.connected() || std::find(nodes.begin(), nodes.end(), n.node()) == nodes.end()) {
        continue;
      }
      for (const v1::RoleStatus& r : n.roles()) {
        if (r.service() == "bam" && r.health() == v1::HEALTH_HEALTHY) ++healthy;
      }
    }
    return healthy == nodes.size();
  }

  // The operation as `op show` reads it; an empty one when the call fails.
  static v1::Operation GetOperation(const std::shared_ptr<grpc::Channel>& channel, int64_t id) {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(10));
    v1::GetOperationRequest request;
    request.set_id(id);
    v1::Operation op;
    grpc::Status s = v1::ClusterService::NewStub(channel)->GetOperation(&ctx, request, &op);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return op;
  }

  std::shared_ptr<spdlog::logger> previous_logger_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> log_;
};

// Through the server's stream and mutual TLS, not only at the engine: a
// node's answer counts only for the commands sent to that node.
TEST_F(ControllerLogTest, NodeTwoCannotAnswerNodeOnesCommand) {
  auto admin = Channel("admin", PeerRole::kOperator);
  ASSERT_TRUE(Apply(admin, testing::ReadSourceFile("examples/seed-cluster.yaml"), "admin").ok());
  auto node1_stub = v1::AgentService::NewStub(Channel("node1", PeerRole::kNode));
  auto node2_stub = v1::AgentService::NewStub(Channel("node2", PeerRole::kNode));
  FakeAgent node1(node1_stub.get(), "node1");
  FakeAgent node2(node2_stub.get(), "node2");
  const std::optional<v1::PlanUpdate> plan1 = node1.NextPlan();
  const std::optional<v1::PlanUpdate> plan2 = node2.NextPlan();
  ASSERT_TRUE(plan1.has_value());
  ASSERT_TRUE(plan2.has_value());
  // The BAM service runs on node1 and node2 (the seed); restarting it needs both healthy.
  node1.Report(*plan1, Bam(1001, v1::PHASE_RUNNING, v1::HEALTH_HEALTHY));
  node2.Report(*plan2, Bam(2001, v1::PHASE_RUNNING, v1::HEALTH_HEALTHY));
  ASSERT_TRUE(Eventually([&] { return BamHealthy(admin, {"node1", "node2"}); }));

  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline(10));
  v1::RollingRestartRequest request;
  request.set_role("bam-receiver");
  request.add_nodes("node1");
  request.set_force(true);  // no ZooKeeper here: the analyzers' task group cannot be read
  v1::Operation op;
  grpc::Status started =
      v1::ClusterService::NewStub(admin)->StartRollingRestart(&ctx, request, &op);
  ASSERT_TRUE(started.ok()) << started.error_message();
  ASSERT_EQ(op.steps_size(), 1);
  std::optional<v1::ControllerMessage> command = node1.Next(v1::ControllerMessage::kCommand);
  ASSERT_TRUE(command.has_value());
  const std::string id = command->command().id();
  EXPECT_EQ(id, absl::StrCat("op", op.id(), "-step1-node1"));
  EXPECT_EQ(command->command().kind(), v1::COMMAND_KIND_RESTART);
  EXPECT_EQ(command->command().service(), "bam");

  // node2 reports node1's restart as failed: taken, it would fail the step
  // at the next pass. Refused in words that do not tell node2 whose it is.
  ASSERT_TRUE(node2.Answer(id, false, "failed, says node2"));
  const std::string refused =
      absl::StrCat("command result from node2 ignored: NOT_FOUND: no command \"", id,
                   "\" awaits an answer from node2");
  // Taken, it would be logged as node1's answer is below; either line ends the wait.
  const std::string taken = absl::StrCat("command ", id, " on node2: failed failed, says node2");
  ASSERT_TRUE(Eventually(
      [&] { return Logged(spdlog::level::warn, refused) || Logged(spdlog::level::info, taken); }));
  EXPECT_TRUE(Logged(spdlog::level::warn, refused)) << refused;

  // node1's new process, not healthy yet: the pass that sees it comes after
  // node2's answer, and shows the step still waiting for node1 alone.
  node1.Report(*plan1, Bam(1002, v1::PHASE_STARTING, v1::HEALTH_UNHEALTHY, "probing"));
  const std::string waiting = "node1: starting: probing";
  v1::Operation restarting;
  ASSERT_TRUE(Eventually([&] {
    restarting = GetOperation(admin, op.id());
    return restarting.steps_size() == 1 &&
           (restarting.steps(0).state() != v1::STEP_STATE_RESTARTING ||
            restarting.steps(0).message() == waiting);
  })) << restarting.DebugString();
  ASSERT_EQ(restarting.state(), v1::OPERATION_STATE_RUNNING) << restarting.DebugString();
  ASSERT_EQ(restarting.steps(0).state(), v1::STEP_STATE_RESTARTING) << restarting.DebugString();
  EXPECT_EQ(restarting.steps(0).message(), waiting);

  // node1's own answer counts, and its healthy process ends the step.
  ASSERT_TRUE(node1.Answer(id, true, "restarted"));
  EXPECT_TRUE(Eventually([&] {
    return Logged(spdlog::level::info, absl::StrCat("command ", id, " on node1: ok restarted"));
  }));
  node1.Report(*plan1, Bam(1002, v1::PHASE_RUNNING, v1::HEALTH_HEALTHY));
  v1::Operation done;
  ASSERT_TRUE(Eventually([&] {
    done = GetOperation(admin, op.id());
    return done.state() != v1::OPERATION_STATE_RUNNING;
  })) << done.DebugString();
  EXPECT_EQ(done.state(), v1::OPERATION_STATE_SUCCEEDED) << done.DebugString();
  EXPECT_EQ(done.steps(0).state(), v1::STEP_STATE_DONE);

  // The refused answer left node2's stream up: it ends as the agent asks.
  grpc::Status node2_closed = node2.Close();
  EXPECT_TRUE(node2_closed.ok()) << node2_closed.error_message();
  EXPECT_TRUE(node1.Close().ok());
}

class EnrolmentTest : public ControllerTlsTest {
 protected:
  void SetUp() override {
    ControllerTlsTest::SetUp();
    ASSERT_TRUE(Apply(Channel("admin", PeerRole::kOperator),
                      testing::ReadSourceFile("examples/seed-cluster.yaml"), "admin")
                    .ok());
  }

  absl::StatusOr<v1::CreateNodeTokenResponse> Token(const std::string& node, int64_t ttl_ms = 0) {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(10));
    v1::CreateNodeTokenRequest request;
    request.set_node(node);
    request.set_ttl_ms(ttl_ms);
    v1::CreateNodeTokenResponse response;
    grpc::Status s = v1::ClusterService::NewStub(Channel("admin", PeerRole::kOperator))
                         ->CreateNodeToken(&ctx, request, &response);
    if (!s.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
    }
    return response;
  }

  // Enrols over TLS without a client certificate, as a new agent does.
  grpc::Status Enroll(const std::string& token, const std::string& csr_pem,
                      v1::EnrollResponse* response) {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(10));
    v1::EnrollRequest request;
    request.set_token(token);
    request.set_csr_pem(csr_pem);
    return v1::EnrollmentService::NewStub(Channel("", PeerRole::kNode))
        ->Enroll(&ctx, request, response);
  }
};

TEST_F(EnrolmentTest, ATokenGivesItsNodeACertificateOnce) {
  absl::StatusOr<v1::CreateNodeTokenResponse> token = Token("node2");
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_THAT(token->token(), ::testing::MatchesRegex("bamctl-[0-9a-f]{64}"));
  // The request's subject counts for nothing: the certificate names node2.
  absl::StatusOr<KeyAndRequest> key = NewKeyAndRequest("node1");
  ASSERT_TRUE(key.ok()) << key.status();
  v1::EnrollResponse enrolled;
  grpc::Status s = Enroll(token->token(), key->csr_pem, &enrolled);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(enrolled.node(), "node2");
  absl::StatusOr<Identity> identity = IdentityOfCertificate(enrolled.cert_pem());
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->name, "node2");
  EXPECT_EQ(identity->role, PeerRole::kNode);
  EXPECT_EQ(enrolled.ca_pem(), ca_->cert_pem());

  grpc::Status again = Enroll(token->token(), key->csr_pem, &enrolled);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(again.error_message(), HasSubstr("was used at"));

  // The certificate opens node2's stream, and the stream renews it.
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ca_->cert_pem();
  ssl.pem_private_key = key->key_pem;
  ssl.pem_cert_chain = enrolled.cert_pem();
  auto stub = v1::AgentService::NewStub(grpc::CreateChannel(target_, grpc::SslCredentials(ssl)));
  FakeAgent agent(stub.get(), "node2");
  ASSERT_TRUE(agent.NextPlan().has_value());
  absl::StatusOr<KeyAndRequest> next_key = NewKeyAndRequest("node2");
  ASSERT_TRUE(next_key.ok());
  v1::AgentMessage renew;
  renew.mutable_renew()->set_csr_pem(next_key->csr_pem);
  ASSERT_TRUE(agent.Write(renew));
  std::optional<v1::ControllerMessage> renewed = agent.Next(v1::ControllerMessage::kRenewed);
  ASSERT_TRUE(renewed.has_value());
  EXPECT_EQ(renewed->renewed().error(), "");
  EXPECT_TRUE(CheckKeyMatchesCertificate(renewed->renewed().cert_pem(), next_key->key_pem).ok());
  EXPECT_EQ(IdentityOfCertificate(renewed->renewed().cert_pem())->name, "node2");
}

TEST_F(EnrolmentTest, UnknownExpiredMalformedAndStrangersTokensAreRefused) {
  absl::StatusOr<KeyAndRequest> key = NewKeyAndRequest("x");
  ASSERT_TRUE(key.ok());
  v1::EnrollResponse enrolled;
  grpc::Status unknown =
      Enroll(absl::StrCat("bamctl-", std::string(64, 'a')), key->csr_pem, &enrolled);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(unknown.error_message(), HasSubstr("unknown enrolment token"));
  grpc::Status malformed = Enroll("letmein", key->csr_pem, &enrolled);
  EXPECT_EQ(malformed.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  absl::StatusOr<v1::CreateNodeTokenResponse> brief = Token("node3", /*ttl_ms=*/1);
  ASSERT_TRUE(brief.ok()) << brief.status();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // past its 1 ms
  grpc::Status expired = Enroll(brief->token(), key->csr_pem, &enrolled);
  EXPECT_EQ(expired.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(expired.error_message(), HasSubstr("expired at"));

  absl::StatusOr<v1::CreateNodeTokenResponse> stranger = Token("node9");
  EXPECT_EQ(stranger.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(stranger.status().message(), HasSubstr("\"node9\" is not in the desired state"));
  EXPECT_EQ(Token("node3", int64_t{30} * 24 * 3600 * 1000).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace bamctl
