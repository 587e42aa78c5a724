#include "controller/server/cluster_service.h"

#include <chrono>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "controller/server/unary.h"

namespace bamctl {
namespace {

void CopyRecord(const NodeRecord& r, v1::NodeStatus* out) {
  out->set_node(r.name);
  out->set_connected(r.connected);
  out->set_last_seen_ms(r.last_seen_ms);
  out->set_agent_version(r.agent_version);
  out->set_applied_version(r.applied_version);
  for (const v1::RoleStatus& role : r.roles) *out->add_roles() = role;
}

// The engine, or Unimplemented when the server runs without one.
absl::StatusOr<RolloutEngine*> Engine(RolloutEngine* rollouts) {
  if (rollouts == nullptr) return absl::UnimplementedError("this controller runs no rollouts");
  return rollouts;
}

// The apply as the verified caller made it: the author recorded (and named
// by its event) is the certificate's name; what the client says it is
// stays only in the comment.
v1::ApplyRequest Attributed(const Caller& caller, const v1::ApplyRequest& request) {
  v1::ApplyRequest out = request;
  out.set_author(caller.Actor(request.author()));
  if (caller.verified && !request.author().empty() && request.author() != caller.name) {
    out.set_comment(absl::StrCat("(client says author: ", CutText(request.author(), 64), ") ",
                                 request.comment()));
  }
  return out;
}

}  // namespace

grpc::ServerUnaryReactor* ClusterServiceImpl::ApplyDesiredState(grpc::CallbackServerContext* ctx,
                                                                const v1::ApplyRequest* request,
                                                                v1::ApplyResponse* response) {
  return Unary(ctx, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(const Caller caller, authz_->Authorize(*ctx, Access::kChange, "apply"));
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<v1::ApplyResponse> result = state_->Apply(Attributed(caller, *request));
    metrics_->apply_seconds.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (!result.ok()) {
      metrics_->applies_refused.Increment();
      return result.status();
    }
    metrics_->applies_ok.Increment();
    if (!result->dry_run()) metrics_->desired_version.Set(static_cast<double>(result->version()));
    *response = *std::move(result);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::GetDesiredState(
    grpc::CallbackServerContext* ctx, const v1::GetDesiredStateRequest* request,
    v1::GetDesiredStateResponse* response) {
  return Unary(ctx, [&]() -> absl::Status {
    RETURN_IF_ERROR(authz_->Authorize(*ctx, Access::kRead, "get").status());
    ASSIGN_OR_RETURN(*response, state_->Get(request->version()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::ListVersions(grpc::CallbackServerContext* ctx,
                                                           const v1::ListVersionsRequest* request,
                                                           v1::ListVersionsResponse* response) {
  return Unary(ctx, [&]() -> absl::Status {
    RETURN_IF_ERROR(authz_->Authorize(*ctx, Access::kRead, "history").status());
    ASSIGN_OR_RETURN(std::vector<VersionRecord> versions,
                     store_->ListVersions(request->limit() > 0 ? request->limit() : 50));
    for (const VersionRecord& v : versions) *response->add_versions() = VersionInfoOf(v);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::Diff(grpc::CallbackServerContext* ctx,
                                                   const v1::DiffRequest* request,
                                                   v1::DiffResponse* response) {
  return Unary(ctx, [&]() -> absl::Status {
    RETURN_IF_ERROR(authz_->Authorize(*ctx, Access::kRead, "diff").status());
    ASSIGN_OR_RETURN(*response, state_->Diff(*request));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::Rollback(grpc::CallbackServerContext* ctx,
                                                       const v1::RollbackRequest* request,
                                                       v1::ApplyResponse* response) {
  return Unary(ctx, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(const Caller caller, authz_->Authorize(*ctx, Access::kChange, "rollback"));
    v1::RollbackRequest attributed = *request;
    attributed.set_author(caller.Actor(request->author()));
    ASSIGN_OR_RETURN(*response, state_->Rollback(attributed));
    metrics_->desired_version.Set(static_cast<double>(response->version()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::GetStatus(grpc::CallbackServerContext* ctx,
                                                        const v1::GetStatusRequest* /*request*/,
                                                        v1::GetStatusResponse* response) {
  return Unary(ctx, [&]() -> absl::Status {
    RETURN_IF_ERROR(authz_->Authorize(*ctx, Access::kRead, "status").status());
    ASSIGN_OR_RETURN(*response, state_->Status());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::ListNodes(grpc::CallbackServerContext* ctx,
                                                        const v1::ListNodesRequest* /*request*/,
                                                        v1::ListNodesResponse* response) {
  return Unary(ctx, [&]() -> absl::Status {
    RETURN_IF_ERROR(authz_->Authorize(*ctx, Access::kRead, "nodes").status());
    // The desired state's nodes (with their addresses), then any other node
    // an agent has reported as (a node removed from the spec).
    ASSIGN_OR_RETURN(v1::GetStatusResponse status, state_->Status());
    std::set<std::string> listed;
    for (v1::NodeStatus& n : *status.mutable_nodes()) {
      listed.insert(n.node());
      *response->add_nodes() = std::move(n);
    }
    ASSIGN_OR_RETURN(std::vector<NodeRecord> nodes, store_->ListNodes());
    for (const NodeRecord& r : nodes) {
      if (listed.count(r.name) == 0) CopyRecord(r, response->add_nodes());
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::StartRollingRestart(
    grpc::CallbackServerContext* ctx, const v1::RollingRestartRequest* request,
    v1::Operation* response) {
  return Unary(ctx, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(const Caller caller,
                     authz_->Authorize(*ctx, Access::kChange, "rolling-restart"));
    ASSIGN_OR_RETURN(RolloutEngine * engine, Engine(rollouts_));
    v1::RollingRestartRequest attributed = *request;
    attributed.set_author(caller.Actor(request->author()));
    ASSIGN_OR_RETURN(*response, engine->StartRollingRestart(attributed));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::ListOperations(
    grpc::CallbackServerContext* ctx, const v1::ListOperationsRequest* request,
    v1::ListOperationsResponse* response) {
  return Unary(ctx, [&]() -> absl::Status {
    RETURN_IF_ERROR(authz_->Authorize(*ctx, Access::kRead, "op list").status());
    ASSIGN_OR_RETURN(std::vector<v1::Operation> ops,
                     store_->ListOperations(request->limit() > 0 ? request->limit() : 50, false));
    for (v1::Operation& op : ops) *response->add_operations() = std::move(op);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::GetOperation(grpc::CallbackServerContext* ctx,
                                                           const v1::GetOperationRequest* request,
                                                           v1::Operation* response) {
  return Unary(ctx, [&]() -> absl::Status {
    RETURN_IF_ERROR(authz_->Authorize(*ctx, Access::kRead, "op show").status());
    ASSIGN_OR_RETURN(*response, store_->GetOperation(request->id()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::ControlOperation(
    grpc::CallbackServerContext* ctx, const v1::ControlOperationRequest* request,
    v1::Operation* response) {
  return Unary(ctx, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(const Caller caller,
                     authz_->Authorize(*ctx, Access::kChange, "op pause/resume/abort"));
    ASSIGN_OR_RETURN(RolloutEngine * engine, Engine(rollouts_));
    v1::ControlOperationRequest attributed = *request;
    attributed.set_author(caller.Actor(request->author()));
    ASSIGN_OR_RETURN(*response, engine->Control(attributed));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::GetControllers(
    grpc::CallbackServerContext* ctx, const v1::GetControllersRequest* /*request*/,
    v1::GetControllersResponse* response) {
  return Unary(ctx, [&]() -> absl::Status {
    RETURN_IF_ERROR(authz_->Authorize(*ctx, Access::kRead, "controllers").status());
    if (controllers_info_) {
      ASSIGN_OR_RETURN(*response, controllers_info_());
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(int64_t version, store_->CurrentVersion());
    v1::ControllerInfo* self = response->mutable_self();
    self->set_role("standalone");
    self->set_serving(true);
    self->set_current_version(version);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::ListEvents(grpc::CallbackServerContext* ctx,
                                                         const v1::ListEventsRequest* request,
                                                         v1::ListEventsResponse* response) {
  return Unary(ctx, [&]() -> absl::Status {
    RETURN_IF_ERROR(authz_->Authorize(*ctx, Access::kRead, "events").status());
    ASSIGN_OR_RETURN(std::vector<EventRecord> events,
                     store_->ListEvents(request->limit() > 0 ? request->limit() : 100));
    for (const EventRecord& e : events) *response->add_events() = EventOf(e);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::CreateNodeToken(
    grpc::CallbackServerContext* ctx, const v1::CreateNodeTokenRequest* request,
    v1::CreateNodeTokenResponse* response) {
  return Unary(ctx, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(const Caller caller,
                     authz_->Authorize(*ctx, Access::kChange, "node token create"));
    ASSIGN_OR_RETURN(*response, enrolment_->CreateToken(*request, caller.Actor("")));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::CreateWebLogin(
    grpc::CallbackServerContext* ctx, const v1::CreateWebLoginRequest* /*request*/,
    v1::CreateWebLoginResponse* response) {
  return Unary(ctx, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(const Caller caller, authz_->Authorize(*ctx, Access::kRead, "web login"));
    if (!web_login_) {
      return absl::FailedPreconditionError(
          "this controller serves no web page; start it with --web_listen=HOST:PORT");
    }
    ASSIGN_OR_RETURN(*response, web_login_(caller));
    return absl::OkStatus();
  });
}

}  // namespace bamctl
