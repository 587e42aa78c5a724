#ifndef BAMCTL_TESTS_UTIL_FAKE_AGENT_STREAM_H_
#define BAMCTL_TESTS_UTIL_FAKE_AGENT_STREAM_H_

#include <memory>
#include <optional>
#include <string>

#include "grpcpp/grpcpp.h"
#include "proto/controller.grpc.pb.h"

namespace bamctl::testing {

// One agent stream, as bam-agentd would hold it, for tests of the
// controller: says hello as `node` at once; every call is bounded (the
// stream has a 20 s deadline).
class FakeAgent {
 public:
  FakeAgent(v1::AgentService::StubInterface* stub, const std::string& node)
      : FakeAgent(stub, node, v1::PlanUpdate()) {}
  // The same, saying in its hello that it holds `held` (its epoch, version
  // and plan hash), as a restarted agent or one that a controller restored
  // from an older backup finds.
  FakeAgent(v1::AgentService::StubInterface* stub, const std::string& node,
            const v1::PlanUpdate& held);
  ~FakeAgent() { Close(); }

  // The next plan the controller sends, or nullopt when the stream ends.
  std::optional<v1::PlanUpdate> NextPlan();
  // The next message the controller sends whose body is `body`, skipping
  // others; nullopt when the stream ends.
  std::optional<v1::ControllerMessage> Next(v1::ControllerMessage::BodyCase body);

  // Reads until the controller ends the stream; returns how many messages
  // it read. May run while another thread writes.
  int ReadToEnd();

  // Reports that it holds `held`, one service "svc" with `health`.
  void Report(const v1::PlanUpdate& held, v1::Health health);
  // Reports that it holds `held` and runs `role` as given (its service,
  // phase, health and pid: what a rolling restart watches).
  void Report(const v1::PlanUpdate& held, const v1::RoleStatus& role);

  // Answers command `command_id` as bam-agentd does once it carried it out.
  bool Answer(const std::string& command_id, bool ok, const std::string& message);

  // Sends `message` as it is.
  bool Write(const v1::AgentMessage& message) { return stream_->Write(message); }

  // Abandons the stream at once (no goodbye through a dead path).
  void Cancel();

  // Ends the stream from the agent's side and returns the final status.
  grpc::Status Close();

 private:
  std::string node_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriterInterface<v1::AgentMessage, v1::ControllerMessage>>
      stream_;
  bool closed_ = false;
  grpc::Status status_;
};

}  // namespace bamctl::testing

#endif  // BAMCTL_TESTS_UTIL_FAKE_AGENT_STREAM_H_
