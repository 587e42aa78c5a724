#include "controller/server/services.h"

#include <chrono>
#include <deque>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "spdlog/spdlog.h"

namespace bamctl {
namespace {

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// Runs `body` (returning absl::Status) and finishes the call with it.
template <typename Body>
grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* ctx, Body&& body) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpc(body()));
  return reactor;
}

void CopyRecord(const NodeRecord& r, v1::NodeStatus* out) {
  out->set_node(r.name);
  out->set_connected(r.connected);
  out->set_last_seen_ms(r.last_seen_ms);
  out->set_agent_version(r.agent_version);
  out->set_applied_version(r.applied_version);
  for (const v1::RoleStatus& role : r.roles) *out->add_roles() = role;
}

}  // namespace

grpc::ServerUnaryReactor* ClusterServiceImpl::ApplyDesiredState(grpc::CallbackServerContext* ctx,
                                                                const v1::ApplyRequest* request,
                                                                v1::ApplyResponse* response) {
  return Unary(ctx, [&]() -> absl::Status {
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<v1::ApplyResponse> result = state_->Apply(*request);
    metrics_->apply_seconds.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (!result.ok()) {
      metrics_->applies_refused.Increment();
      return result.status();
    }
    metrics_->applies_ok.Increment();
    if (!result->dry_run()) metrics_->desired_version.Set(static_cast<double>(result->version()));
    if (!result->dry_run() && !result->unchanged() && rollouts_ != nullptr) {
      bool rollout = request->rollout();
      if (!rollout) {
        absl::StatusOr<v1::GetDesiredStateResponse> applied = state_->Get(result->version());
        rollout = applied.ok() && applied->effective_spec().auto_rolling_restart();
      }
      if (rollout) {
        absl::StatusOr<int64_t> op =
            rollouts_->RequestPendingRollout(result->version(), request->author());
        if (!op.ok()) return op.status();
        result->set_rollout_operation(*op);
      }
    }
    *response = *std::move(result);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::GetDesiredState(
    grpc::CallbackServerContext* ctx, const v1::GetDesiredStateRequest* request,
    v1::GetDesiredStateResponse* response) {
  return Unary(ctx, [&]() -> absl::Status {
    absl::StatusOr<v1::GetDesiredStateResponse> result = state_->Get(request->version());
    if (!result.ok()) return result.status();
    *response = *std::move(result);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::ListVersions(grpc::CallbackServerContext* ctx,
                                                           const v1::ListVersionsRequest* request,
                                                           v1::ListVersionsResponse* response) {
  return Unary(ctx, [&]() -> absl::Status {
    absl::StatusOr<std::vector<VersionRecord>> versions =
        store_->ListVersions(request->limit() > 0 ? request->limit() : 50);
    if (!versions.ok()) return versions.status();
    for (const VersionRecord& v : *versions) {
      v1::VersionInfo* info = response->add_versions();
      info->set_version(v.version);
      info->set_content_hash(v.content_hash);
      info->set_author(v.author);
      info->set_comment(v.comment);
      info->set_created_ms(v.created_ms);
      info->set_rollback_of(v.rollback_of);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::Diff(grpc::CallbackServerContext* ctx,
                                                   const v1::DiffRequest* request,
                                                   v1::DiffResponse* response) {
  return Unary(ctx, [&]() -> absl::Status {
    absl::StatusOr<v1::DiffResponse> result = state_->Diff(*request);
    if (!result.ok()) return result.status();
    *response = *std::move(result);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::Rollback(grpc::CallbackServerContext* ctx,
                                                       const v1::RollbackRequest* request,
                                                       v1::ApplyResponse* response) {
  return Unary(ctx, [&]() -> absl::Status {
    absl::StatusOr<v1::ApplyResponse> result = state_->Rollback(*request);
    if (!result.ok()) return result.status();
    metrics_->desired_version.Set(static_cast<double>(result->version()));
    *response = *std::move(result);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::GetStatus(grpc::CallbackServerContext* ctx,
                                                        const v1::GetStatusRequest* /*request*/,
                                                        v1::GetStatusResponse* response) {
  return Unary(ctx, [&]() -> absl::Status {
    absl::StatusOr<v1::GetStatusResponse> result = state_->Status();
    if (!result.ok()) return result.status();
    *response = *std::move(result);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::ListNodes(grpc::CallbackServerContext* ctx,
                                                        const v1::ListNodesRequest* /*request*/,
                                                        v1::ListNodesResponse* response) {
  return Unary(ctx, [&]() -> absl::Status {
    // The desired state's nodes (with their addresses), then any other node
    // an agent has reported as (a node removed from the spec).
    absl::StatusOr<v1::GetStatusResponse> status = state_->Status();
    if (!status.ok()) return status.status();
    std::set<std::string> listed;
    for (v1::NodeStatus& n : *status->mutable_nodes()) {
      listed.insert(n.node());
      *response->add_nodes() = std::move(n);
    }
    absl::StatusOr<std::vector<NodeRecord>> nodes = store_->ListNodes();
    if (!nodes.ok()) return nodes.status();
    for (const NodeRecord& r : *nodes) {
      if (listed.count(r.name) == 0) CopyRecord(r, response->add_nodes());
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::StartRollingRestart(
    grpc::CallbackServerContext* ctx, const v1::RollingRestartRequest* request,
    v1::Operation* response) {
  return Unary(ctx, [&]() -> absl::Status {
    absl::StatusOr<v1::Operation> op = rollouts_->StartRollingRestart(*request);
    if (!op.ok()) return op.status();
    *response = *std::move(op);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::ListOperations(
    grpc::CallbackServerContext* ctx, const v1::ListOperationsRequest* request,
    v1::ListOperationsResponse* response) {
  return Unary(ctx, [&]() -> absl::Status {
    absl::StatusOr<std::vector<v1::Operation>> ops =
        store_->ListOperations(request->limit() > 0 ? request->limit() : 50, false);
    if (!ops.ok()) return ops.status();
    for (v1::Operation& op : *ops) *response->add_operations() = std::move(op);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::GetOperation(grpc::CallbackServerContext* ctx,
                                                           const v1::GetOperationRequest* request,
                                                           v1::Operation* response) {
  return Unary(ctx, [&]() -> absl::Status {
    absl::StatusOr<v1::Operation> op = store_->GetOperation(request->id());
    if (!op.ok()) return op.status();
    *response = *std::move(op);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::ControlOperation(
    grpc::CallbackServerContext* ctx, const v1::ControlOperationRequest* request,
    v1::Operation* response) {
  return Unary(ctx, [&]() -> absl::Status {
    absl::StatusOr<v1::Operation> op = rollouts_->Control(*request);
    if (!op.ok()) return op.status();
    *response = *std::move(op);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClusterServiceImpl::ListEvents(grpc::CallbackServerContext* ctx,
                                                         const v1::ListEventsRequest* request,
                                                         v1::ListEventsResponse* response) {
  return Unary(ctx, [&]() -> absl::Status {
    absl::StatusOr<std::vector<EventRecord>> events =
        store_->ListEvents(request->limit() > 0 ? request->limit() : 100);
    if (!events.ok()) return events.status();
    for (const EventRecord& e : *events) {
      v1::Event* out = response->add_events();
      out->set_id(e.id);
      out->set_time_ms(e.time_ms);
      out->set_kind(e.kind);
      out->set_actor(e.actor);
      out->set_node(e.node);
      out->set_message(e.message);
    }
    return absl::OkStatus();
  });
}

// One agent's stream. Reads are chained (one outstanding StartRead), writes
// are queued and chained (one outstanding StartWrite). Deletes itself when
// gRPC reports the call done.
class AgentReactor : public grpc::ServerBidiReactor<v1::AgentMessage, v1::ControllerMessage>,
                     public AgentStream {
 public:
  AgentReactor(AgentServiceImpl* service, std::string peer)
      : service_(service), peer_(std::move(peer)) {
    StartRead(&in_);
  }

  void Send(v1::ControllerMessage message) override {
    const v1::ControllerMessage* start = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      out_.push_back(std::move(message));
      if (out_.size() == 1) start = &out_.front();  // deque: stays valid
    }
    if (start != nullptr) StartWrite(start);  // outside the lock: it may call back
  }

  std::string Peer() const override { return peer_; }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the agent closed its side, or the stream broke
      FinishOnce(grpc::Status::OK);
      return;
    }
    if (grpc::Status status = Handle(in_); !status.ok()) {
      FinishOnce(status);
      return;
    }
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override {
    const v1::ControllerMessage* next = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (!out_.empty()) out_.pop_front();
      if (!ok) return;  // the stream is going away; OnDone follows
      if (!out_.empty() && !finished_) next = &out_.front();
    }
    if (next != nullptr) StartWrite(next);
  }

  void OnDone() override {
    if (registered_) {
      service_->hub_->Unregister(node_, this);
      service_->metrics_->connected_agents.Decrement();
      if (absl::Status s = service_->store_->SetConnected(node_, false); !s.ok()) {
        spdlog::error("marking {} disconnected: {}", node_, s.ToString());
      }
      spdlog::info("agent {} disconnected ({})", node_, peer_);
    }
    delete this;
  }

 private:
  void FinishOnce(const grpc::Status& status) {
    if (registered_) service_->hub_->Unregister(node_, this);  // no more sends
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  grpc::Status Handle(const v1::AgentMessage& message) {
    if (!registered_) {
      if (!message.has_hello()) {
        return {grpc::StatusCode::FAILED_PRECONDITION,
                "the first message on an agent stream must be a hello"};
      }
      return Hello(message.hello());
    }
    switch (message.body_case()) {
      case v1::AgentMessage::kReport:
        if (message.report().node() != node_) {
          return {grpc::StatusCode::INVALID_ARGUMENT,
                  absl::StrCat("report for node ", message.report().node(),
                               " on the stream of node ", node_)};
        }
        service_->hub_->SetHeldHash(node_, message.report().applied_plan_hash());
        service_->batcher_->AddReport(message.report());
        return grpc::Status::OK;
      case v1::AgentMessage::kHeartbeat: {
        service_->batcher_->Touch(node_);
        v1::ControllerMessage reply;  // lets the agent measure its clock offset
        reply.mutable_time()->set_agent_sent_ms(message.heartbeat().sent_ms());
        reply.mutable_time()->set_controller_ms(service_->store_->NowMillis());
        Send(std::move(reply));
        return grpc::Status::OK;
      }
      case v1::AgentMessage::kHello:
        return {grpc::StatusCode::FAILED_PRECONDITION, "hello sent twice on one stream"};
      case v1::AgentMessage::kCommandResult:
        if (service_->rollouts_ != nullptr) {
          service_->rollouts_->OnCommandResult(node_, message.command_result());
        }
        return grpc::Status::OK;
      default:
        return grpc::Status::OK;
    }
  }

  grpc::Status Hello(const v1::AgentHello& hello) {
    absl::StatusOr<std::shared_ptr<const DesiredState::Current>> current_ptr =
        service_->state_->CurrentPlans();
    if (!current_ptr.ok()) return ToGrpc(current_ptr.status());
    const DesiredState::Current* current = current_ptr->get();
    const v1::NodePlan* plan = current->Find(hello.node());
    // Before the first apply every name is unknown; agents wait for one.
    if (plan == nullptr && current->version > 0) {
      std::vector<std::string> names;
      for (const v1::NodePlan& p : current->plans) names.push_back(p.node());
      return {grpc::StatusCode::NOT_FOUND,
              absl::StrCat("node \"", hello.node(), "\" is not in the desired state (version ",
                           current->version, "); its nodes are ", absl::StrJoin(names, ", "))};
    }
    if (absl::Status s = service_->hub_->Register(hello.node(), this); !s.ok()) return ToGrpc(s);
    node_ = hello.node();
    registered_ = true;
    service_->metrics_->connected_agents.Increment();
    service_->hub_->SetHeldHash(node_, hello.applied_plan_hash());
    if (absl::Status s = service_->store_->SetConnected(node_, true); !s.ok()) {
      spdlog::error("marking {} connected: {}", node_, s.ToString());
    }
    spdlog::info("agent {} connected from {} (agent {}, holds version {})", node_, peer_,
                 hello.agent_version(), hello.applied_version());
    if (plan != nullptr && service_->hub_->OfferPlan(node_, current->version, *plan,
                                                     current->hashes[current->by_node.at(node_)])) {
      service_->metrics_->plan_pushes.Increment();
    }
    return grpc::Status::OK;
  }

  AgentServiceImpl* service_;
  const std::string peer_;
  v1::AgentMessage in_;
  std::string node_;
  bool registered_ = false;  // touched only by the read chain and OnDone
  absl::Mutex mu_;
  std::deque<v1::ControllerMessage> out_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

grpc::ServerBidiReactor<v1::AgentMessage, v1::ControllerMessage>* AgentServiceImpl::Connect(
    grpc::CallbackServerContext* ctx) {
  return new AgentReactor(this, ctx->peer());
}

void AgentServiceImpl::PushVersion(int64_t version) {
  absl::StatusOr<std::shared_ptr<const DesiredState::Current>> current = state_->CurrentPlans();
  if (!current.ok()) {
    spdlog::error("loading plans of version {}: {}", version, current.status().ToString());
    return;
  }
  const DesiredState::Current& c = **current;
  for (size_t i = 0; i < c.plans.size(); ++i) {
    if (hub_->OfferPlan(c.plans[i].node(), c.version, c.plans[i], c.hashes[i])) {
      metrics_->plan_pushes.Increment();
    }
  }
}

}  // namespace bamctl
