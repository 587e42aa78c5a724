#ifndef BAMCTL_CONTROLLER_SERVER_AGENT_SESSION_H_
#define BAMCTL_CONTROLLER_SERVER_AGENT_SESSION_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "controller/cluster/desired_state.h"
#include "controller/enrolment/enrolment.h"
#include "controller/rollout/engine.h"
#include "controller/server/agent_hub.h"
#include "controller/server/authz.h"
#include "controller/server/metrics.h"
#include "controller/server/report_batcher.h"
#include "controller/store/store.h"
#include "proto/controller.pb.h"

namespace bamctl {

// What an agent stream acts on. Not owned; `rollouts` may be null (command
// results are dropped).
struct AgentSessionDeps {
  DesiredState* state = nullptr;
  Store* store = nullptr;
  AgentHub* hub = nullptr;
  ReportBatcher* batcher = nullptr;
  ControllerMetrics* metrics = nullptr;
  RolloutEngine* rollouts = nullptr;
  Enrolment* enrolment = nullptr;
  // OK while this controller may serve agents; else the error that ends
  // their streams (an HA follower's, naming the leader). Null: always.
  std::function<absl::Status()> may_serve;
};

// The controller's side of one agent stream without its transport: checks
// each message the agent sends and acts on it, replying through `stream`.
// The gRPC reactor feeds it (agent_service.cc), and so does a fuzz target
// (fuzz/agent_session_fuzz.cc): everything a node can send is decided here.
// Not thread-safe: a stream's messages come one at a time.
class AgentSession {
 public:
  // `caller` is who the handshake says is calling (already allowed the agent
  // service); `stream` outlives the session.
  AgentSession(const AgentSessionDeps& deps, Caller caller, AgentStream* stream)
      : deps_(deps), caller_(std::move(caller)), stream_(stream) {}

  // OK to read on; an error ends the stream with it (the agent is told why).
  absl::Status Handle(const v1::AgentMessage& message);
  // No more messages go to this stream (it is about to finish).
  void Detach();
  // The stream is gone: the node counts as disconnected.
  void Close();

  bool registered() const { return registered_; }
  // The node the stream said hello as; "" before.
  const std::string& node() const { return node_; }

 private:
  absl::Status Hello(const v1::AgentHello& hello);

  const AgentSessionDeps deps_;
  const Caller caller_;
  AgentStream* const stream_;
  std::string node_;
  bool registered_ = false;
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_SERVER_AGENT_SESSION_H_
