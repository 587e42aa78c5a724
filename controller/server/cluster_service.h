#ifndef BAMCTL_CONTROLLER_SERVER_CLUSTER_SERVICE_H_
#define BAMCTL_CONTROLLER_SERVER_CLUSTER_SERVICE_H_

#include <functional>
#include <utility>

#include "controller/cluster/desired_state.h"
#include "controller/enrolment/enrolment.h"
#include "controller/rollout/engine.h"
#include "controller/server/authz.h"
#include "controller/server/metrics.h"
#include "controller/store/store.h"
#include "proto/controller.grpc.pb.h"

namespace bamctl {

// ClusterService (bamctl's API) on gRPC's callback API: each call
// translates the request to DesiredState, the Store or the RolloutEngine
// (a few SQLite statements, on the callback thread), counts it in the
// metrics and finishes. No decisions live here.
class ClusterServiceImpl : public v1::ClusterService::CallbackService {
 public:
  // Does not own its arguments; `rollouts` may be null (no rolling
  // restarts: those calls fail Unimplemented).
  // Every call is authorized by `authz` first: reads need a viewer or
  // operator certificate, changes an operator's.
  ClusterServiceImpl(const Authorizer* authz, DesiredState* state, Store* store,
                     ControllerMetrics* metrics, RolloutEngine* rollouts, Enrolment* enrolment)
      : authz_(authz),
        state_(state),
        store_(store),
        metrics_(metrics),
        rollouts_(rollouts),
        enrolment_(enrolment) {}

  // Where GetControllers finds this controller's place (HA); without it,
  // the controller is standalone. Set before serving.
  using ControllersInfo = std::function<absl::StatusOr<v1::GetControllersResponse>()>;
  void SetControllersInfo(ControllersInfo info) { controllers_info_ = std::move(info); }
  // Makes web page logins (the web endpoint); without it CreateWebLogin
  // fails FAILED_PRECONDITION. Set before serving.
  using WebLogin = std::function<absl::StatusOr<v1::CreateWebLoginResponse>(const Caller&)>;
  void SetWebLogin(WebLogin login) { web_login_ = std::move(login); }

  grpc::ServerUnaryReactor* GetControllers(grpc::CallbackServerContext* ctx,
                                           const v1::GetControllersRequest* request,
                                           v1::GetControllersResponse* response) override;
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
  grpc::ServerUnaryReactor* CreateNodeToken(grpc::CallbackServerContext* ctx,
                                            const v1::CreateNodeTokenRequest* request,
                                            v1::CreateNodeTokenResponse* response) override;
  grpc::ServerUnaryReactor* CreateWebLogin(grpc::CallbackServerContext* ctx,
                                           const v1::CreateWebLoginRequest* request,
                                           v1::CreateWebLoginResponse* response) override;

 private:
  const Authorizer* authz_;
  DesiredState* state_;
  Store* store_;
  ControllerMetrics* metrics_;
  RolloutEngine* rollouts_;
  Enrolment* enrolment_;
  ControllersInfo controllers_info_;
  WebLogin web_login_;
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_SERVER_CLUSTER_SERVICE_H_
