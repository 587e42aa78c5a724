#ifndef BAMCTL_CONTROLLER_SERVER_AGENT_SERVICE_H_
#define BAMCTL_CONTROLLER_SERVER_AGENT_SERVICE_H_

#include <cstdint>
#include <functional>
#include <utility>

#include "controller/cluster/desired_state.h"
#include "controller/enrolment/enrolment.h"
#include "controller/rollout/engine.h"
#include "controller/server/agent_hub.h"
#include "controller/server/agent_session.h"
#include "controller/server/authz.h"
#include "controller/server/metrics.h"
#include "controller/server/report_batcher.h"
#include "controller/store/store.h"
#include "proto/controller.grpc.pb.h"

namespace bamctl {

// AgentService on gRPC's callback API: one reactor per agent stream, no
// thread per stream, so thousands of agents cost memory, not threads.
class AgentServiceImpl : public v1::AgentService::CallbackService {
 public:
  // Does not own its arguments; `rollouts` may be null (command results
  // are dropped).
  // Each stream is authorized by `authz`: a node certificate, whose name
  // the stream's hello must carry.
  // `may_serve` (AgentSessionDeps): streams are refused, and open ones
  // end, while it fails.
  AgentServiceImpl(const Authorizer* authz, DesiredState* state, Store* store, AgentHub* hub,
                   ReportBatcher* batcher, ControllerMetrics* metrics, RolloutEngine* rollouts,
                   Enrolment* enrolment, std::function<absl::Status()> may_serve = nullptr)
      : authz_(authz), deps_{state,   store,    hub,       batcher,
                             metrics, rollouts, enrolment, std::move(may_serve)} {}

  grpc::ServerBidiReactor<v1::AgentMessage, v1::ControllerMessage>* Connect(
      grpc::CallbackServerContext* ctx) override;

  // Pushes `version`'s plans to every connected agent that lacks them.
  void PushVersion(int64_t version);

 private:
  friend class AgentReactor;
  const Authorizer* authz_;
  const AgentSessionDeps deps_;
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_SERVER_AGENT_SERVICE_H_
