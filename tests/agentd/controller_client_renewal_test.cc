// ControllerClient's certificate renewal against an in-process AgentService:
// a renewal is requested only when due, the renewed certificate is handed
// to the credential source, and the client dials again with it.
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agentd/client/controller_client.h"
#include "common/clock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace bamctl {
namespace {

// A controller that counts hellos and answers every renew with "CERT-n".
class FakeController final : public v1::AgentService::Service {
 public:
  explicit FakeController(bool refuse = false) : refuse_(refuse) {}

  grpc::Status Connect(
      grpc::ServerContext* /*context*/,
      grpc::ServerReaderWriter<v1::ControllerMessage, v1::AgentMessage>* stream) override {
    v1::AgentMessage in;
    while (stream->Read(&in)) {
      if (in.has_hello()) {
        absl::MutexLock lock(&mu_);
        ++hellos_;
      } else if (in.has_heartbeat()) {
        absl::MutexLock lock(&mu_);
        ++heartbeats_;
      } else if (in.has_renew()) {
        int n = 0;
        {
          absl::MutexLock lock(&mu_);
          n = ++renewals_;
        }
        v1::ControllerMessage out;
        if (refuse_) {
          out.mutable_renewed()->set_error("no CA key");
        } else {
          out.mutable_renewed()->set_cert_pem("CERT-" + std::to_string(n));
        }
        stream->Write(out);
      }
    }
    return grpc::Status::OK;
  }

  // Wait (bounded) until so many hellos or heartbeats have arrived.
  bool AwaitHellos(int hellos) {
    absl::MutexLock lock(&mu_);
    auto done = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return hellos_ >= hellos; };
    return mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(20));
  }
  bool AwaitHeartbeats(int heartbeats) {
    absl::MutexLock lock(&mu_);
    auto done = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return heartbeats_ >= heartbeats; };
    return mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(20));
  }
  bool AwaitRenewals(int renewals) {
    absl::MutexLock lock(&mu_);
    auto done = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return renewals_ >= renewals; };
    return mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(20));
  }
  int hellos() {
    absl::MutexLock lock(&mu_);
    return hellos_;
  }
  int renewals() {
    absl::MutexLock lock(&mu_);
    return renewals_;
  }

 private:
  const bool refuse_;
  absl::Mutex mu_;
  int hellos_ ABSL_GUARDED_BY(mu_) = 0;
  int heartbeats_ ABSL_GUARDED_BY(mu_) = 0;
  int renewals_ ABSL_GUARDED_BY(mu_) = 0;
};

// Credentials whose renewal time the test sets; plaintext underneath.
class FakeCredentials : public NodeCredentialSource {
 public:
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials() override {
    absl::MutexLock lock(&mu_);
    ++channels_;
    return grpc::InsecureChannelCredentials();
  }
  int64_t RenewalDueMillis() override {
    absl::MutexLock lock(&mu_);
    return due_ms_;
  }
  int64_t ExpiryMillis() override { return INT64_MAX; }
  absl::StatusOr<std::string> NewRenewalRequest() override { return std::string("CSR"); }
  absl::Status InstallRenewed(absl::string_view cert_pem) override {
    absl::MutexLock lock(&mu_);
    installed_ = std::string(cert_pem);
    due_ms_ = INT64_MAX;  // the new certificate is not due
    return absl::OkStatus();
  }

  void set_due_ms(int64_t ms) {
    absl::MutexLock lock(&mu_);
    due_ms_ = ms;
  }
  int channels() {
    absl::MutexLock lock(&mu_);
    return channels_;
  }
  std::string installed() {
    absl::MutexLock lock(&mu_);
    return installed_;
  }

 private:
  absl::Mutex mu_;
  int64_t due_ms_ ABSL_GUARDED_BY(mu_) = INT64_MAX;
  int channels_ ABSL_GUARDED_BY(mu_) = 0;
  std::string installed_ ABSL_GUARDED_BY(mu_);
};

// `controller` served on a loopback port (in `port`).
std::unique_ptr<grpc::Server> Serve(FakeController* controller, int* port) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), port);
  builder.RegisterService(controller);
  return builder.BuildAndStart();
}

// A client of node1 for the controller on `port`, heartbeating every 20 ms
// (each heartbeat a renewal check).
ControllerClient::Options ClientOptions(int port) {
  ControllerClient::Options options;
  options.target = "127.0.0.1:" + std::to_string(port);
  options.node = "node1";
  options.heartbeat = std::chrono::milliseconds(20);
  return options;
}

TEST(ControllerClientRenewalTest, RenewsWhenDueAndDialsAgainWithTheNewCertificate) {
  FakeController controller;
  int port = 0;
  std::unique_ptr<grpc::Server> server = Serve(&controller, &port);
  ASSERT_NE(server, nullptr);

  FakeCredentials credentials;
  ControllerClient::Options options = ClientOptions(port);
  options.credentials = &credentials;
  ControllerClient client(options, SystemClock::Get(), {});
  client.Start();

  ASSERT_TRUE(controller.AwaitHellos(1));
  // Several heartbeats (each a renewal check) with the certificate not due:
  // no request.
  ASSERT_TRUE(controller.AwaitHeartbeats(5));
  EXPECT_EQ(controller.renewals(), 0);
  EXPECT_EQ(credentials.channels(), 1);

  credentials.set_due_ms(SystemClock::Get()->NowMillis());
  ASSERT_TRUE(controller.AwaitHellos(2)) << "no new session after the renewal";
  EXPECT_EQ(controller.renewals(), 1);
  EXPECT_EQ(credentials.installed(), "CERT-1");
  EXPECT_EQ(credentials.channels(), 2);
  client.Stop();
  server->Shutdown();
}

TEST(ControllerClientRenewalTest, ARefusedRenewalIsAskedAgainAfterTheRetryInterval) {
  FakeController controller(/*refuse=*/true);
  int port = 0;
  std::unique_ptr<grpc::Server> server = Serve(&controller, &port);
  ASSERT_NE(server, nullptr);

  FakeCredentials credentials;
  credentials.set_due_ms(0);
  ControllerClient::Options options = ClientOptions(port);
  options.renewal_retry = std::chrono::milliseconds(100);
  options.credentials = &credentials;
  ControllerClient client(options, SystemClock::Get(), {});
  client.Start();
  ASSERT_TRUE(controller.AwaitRenewals(3));
  // Refusals keep the session and the old certificate.
  EXPECT_EQ(controller.hellos(), 1);
  EXPECT_EQ(credentials.installed(), "");
  EXPECT_EQ(credentials.channels(), 1);
  client.Stop();
  server->Shutdown();
}

}  // namespace
}  // namespace bamctl
