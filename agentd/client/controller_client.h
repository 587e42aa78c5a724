#ifndef BAMCTL_AGENTD_CLIENT_CONTROLLER_CLIENT_H_
#define BAMCTL_AGENTD_CLIENT_CONTROLLER_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "agentd/tls/node_credentials.h"
#include "common/clock.h"
#include "grpcpp/grpcpp.h"
#include "proto/controller.grpc.pb.h"

namespace bamctl {

// The agent's link to its controller, as the Agent uses it; an interface so
// the Agent is tested with a fake controller.
class ControllerLink {
 public:
  struct Callbacks {
    std::function<void(const v1::PlanUpdate&)> on_plan;
    std::function<void(const v1::Command&)> on_command;
    std::function<void(bool connected)> on_connected;
  };

  virtual ~ControllerLink() = default;
  virtual void Start() = 0;
  virtual void Stop() = 0;
  // The latest full report; sent when it differs from the last one sent.
  virtual void SetReport(const v1::NodeReport& report) = 0;
  virtual void SendCommandResult(const v1::CommandResult& result) = 0;
  // Controller clock minus ours, from the last heartbeat's round trip.
  virtual std::optional<int64_t> clock_offset_ms() const = 0;
};

// The agent's end of AgentService.Connect: one stream at a time, re-dialled
// with jittered exponential backoff while the controller is away. On every
// (re)connect it sends a hello and then the full report, so the controller
// never works from a partial picture. Plans and commands go to callbacks on
// the stream's reader thread.
//
// `target` may list the controllers of an HA cluster ("a:1,b:2,c:3"). A
// follower refuses the stream naming the leader, which is dialled next; a
// controller that is gone is passed over for the next in the list. Only
// after every controller of the list failed in a row does the backoff grow.
class ControllerClient : public ControllerLink {
 public:
  struct Options {
    std::string target;  // host:port, or host:port,host:port,... (HA)
    std::string node;
    std::string agent_version;
    std::string metrics_address;  // sent in the hello, for service discovery
    std::chrono::milliseconds heartbeat{5000};
    std::chrono::milliseconds backoff_initial{200};
    std::chrono::milliseconds backoff_max{10000};
    // The node's TLS credentials, renewed over the stream when due; null:
    // plaintext (--insecure_plaintext). Not owned; must outlive the client.
    NodeCredentialSource* credentials = nullptr;
    // How long after a renewal request without a certificate (refused,
    // unanswered, or the stream dropped) the next one is sent.
    std::chrono::milliseconds renewal_retry{300'000};
  };
  // Waits (redial backoff, heartbeats) run on `clock`'s monotonic time.
  ControllerClient(Options options, const Clock* clock, Callbacks callbacks);
  ~ControllerClient() override;

  void Start() override;
  void Stop() override;
  void SetReport(const v1::NodeReport& report) override;
  void SendCommandResult(const v1::CommandResult& result) override;
  std::optional<int64_t> clock_offset_ms() const override;

  bool connected() const { return connected_.load(); }

 private:
  void Run();
  // A new channel and stub with the credentials as they are now.
  absl::Status MakeChannel();
  // Sends a renewal request on `stream` when the certificate is due and no
  // request went out within renewal_retry; false when the write failed.
  bool MaybeRequestRenewal(
      grpc::ClientReaderWriter<v1::AgentMessage, v1::ControllerMessage>* stream);
  // Installs a renewed certificate (reader thread) and ends the session.
  void OnRenewed(const v1::RenewedCertificate& renewed);
  // One connection: returns when it ends, with why.
  grpc::Status Session();
  // After a failed session: the controller to dial next (the leader the
  // refusal names, else the next of the list); whether that is a redirect.
  bool ChooseNext(const grpc::Status& status);
  const std::string& target() const { return targets_[current_]; }

  const Options options_;
  // The controllers to dial, and which one now (stream thread).
  std::vector<std::string> targets_;
  size_t current_ = 0;
  size_t failed_in_row_ = 0;  // sessions that failed since one connected
  const Clock* clock_;
  const Callbacks callbacks_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AgentService::Stub> stub_;
  std::thread thread_;
  std::atomic<bool> connected_{false};
  // Monotonic ms before which no renewal request is sent (stream thread).
  int64_t next_renewal_request_ms_ = 0;

  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  v1::NodeReport report_ ABSL_GUARDED_BY(mu_);
  bool report_dirty_ ABSL_GUARDED_BY(mu_) = true;
  std::vector<v1::CommandResult> results_ ABSL_GUARDED_BY(mu_);
  bool stream_ended_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<int64_t> offset_ms_ ABSL_GUARDED_BY(mu_);
  // A renewed certificate is installed: end the session and dial again
  // with it at once.
  bool renewed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_CLIENT_CONTROLLER_CLIENT_H_
