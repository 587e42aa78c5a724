#ifndef BAMCTL_CONTROLLER_SERVER_SERVICES_H_
#define BAMCTL_CONTROLLER_SERVER_SERVICES_H_

#include "controller/cluster/desired_state.h"
#include "controller/rollout/engine.h"
#include "controller/server/agent_hub.h"
#include "controller/server/metrics.h"
#include "controller/server/report_batcher.h"
#include "proto/controller.grpc.pb.h"

namespace bamctl {

// ClusterService on gRPC's callback API: each call runs DesiredState's
// operation (a few SQLite statements) on the callback thread and finishes.
class ClusterServiceImpl : public v1::ClusterService::CallbackService {
 public:
  ClusterServiceImpl(DesiredState* state, Store* store, ControllerMetrics* metrics,
                     RolloutEngine* rollouts)
      : state_(state), store_(store), metrics_(metrics), rollouts_(rollouts) {}

  grpc::ServerUnaryReactor* ApplyDesiredState(grpc::CallbackServerContext* ctx,
                                              const v1::ApplyRequest* request,
                                              v1::ApplyResponse* response) override;
  grpc::ServerUnaryReactor* GetDesiredState(grpc::CallbackServerContext* ctx,
                                            const v1::GetDesiredStateRequest* request,
                                            v1::GetDesiredStateResponse* response) override;
  grpc::ServerUnaryReactor* ListVersions(grpc::CallbackServerContext* ctx,
                                         const v1::ListVersionsRequest* request,
                                         v1::ListVersionsResponse* response) override;
  grpc::ServerUnaryReactor* Diff(grpc::CallbackServerContext* ctx, const v1::DiffRequest* request,
                                 v1::DiffResponse* response) override;
  grpc::ServerUnaryReactor* Rollback(grpc::CallbackServerContext* ctx,
                                     const v1::RollbackRequest* request,
                                     v1::ApplyResponse* response) override;
  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* ctx,
                                      const v1::GetStatusRequest* request,
                                      v1::GetStatusResponse* response) override;
  grpc::ServerUnaryReactor* ListNodes(grpc::CallbackServerContext* ctx,
                                      const v1::ListNodesRequest* request,
                                      v1::ListNodesResponse* response) override;
  grpc::ServerUnaryReactor* ListEvents(grpc::CallbackServerContext* ctx,
                                       const v1::ListEventsRequest* request,
                                       v1::ListEventsResponse* response) override;
  grpc::ServerUnaryReactor* StartRollingRestart(grpc::CallbackServerContext* ctx,
                                                const v1::RollingRestartRequest* request,
                                                v1::Operation* response) override;
  grpc::ServerUnaryReactor* ListOperations(grpc::CallbackServerContext* ctx,
                                           const v1::ListOperationsRequest* request,
                                           v1::ListOperationsResponse* response) override;
  grpc::ServerUnaryReactor* GetOperation(grpc::CallbackServerContext* ctx,
                                         const v1::GetOperationRequest* request,
                                         v1::Operation* response) override;
  grpc::ServerUnaryReactor* ControlOperation(grpc::CallbackServerContext* ctx,
                                             const v1::ControlOperationRequest* request,
                                             v1::Operation* response) override;

 private:
  DesiredState* state_;
  Store* store_;
  ControllerMetrics* metrics_;
  RolloutEngine* rollouts_;
};

// AgentService on gRPC's callback API: one reactor per agent stream, no
// thread per stream, so thousands of agents cost memory, not threads.
class AgentServiceImpl : public v1::AgentService::CallbackService {
 public:
  AgentServiceImpl(DesiredState* state, Store* store, AgentHub* hub, ReportBatcher* batcher,
                   ControllerMetrics* metrics, RolloutEngine* rollouts)
      : state_(state),
        store_(store),
        hub_(hub),
        batcher_(batcher),
        metrics_(metrics),
        rollouts_(rollouts) {}

  grpc::ServerBidiReactor<v1::AgentMessage, v1::ControllerMessage>* Connect(
      grpc::CallbackServerContext* ctx) override;

  // Pushes `version`'s plans to every connected agent that lacks them.
  void PushVersion(int64_t version);

 private:
  friend class AgentReactor;
  DesiredState* state_;
  Store* store_;
  AgentHub* hub_;
  ReportBatcher* batcher_;
  ControllerMetrics* metrics_;
  RolloutEngine* rollouts_;
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_SERVER_SERVICES_H_
