#include "controller/server/agent_service.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_log.h"
#include "common/utf8.h"
#include "controller/server/unary.h"
#include "spdlog/spdlog.h"

namespace bamctl {
namespace {

// A message in a stream's queue. A shared host list is lent to the
// message's plan update (unsafe_arena_set_allocated_hosts: the pointer, no
// copy) while the message is queued and written, and taken back before the
// message is destroyed, so the message never owns or frees it. gRPC only
// reads (serializes) it, and protobuf's cached sizes are atomic, so many
// streams may write one list at once. Not movable: it lives in the deque.
class QueuedMessage {
 public:
  explicit QueuedMessage(OutgoingMessage out)
      : message_(std::move(out.message)), hosts_(std::move(out.plan_hosts)) {
    if (hosts_ != nullptr) {
      // Never written through: the const is restored by taking it back.
      message_.mutable_plan()->unsafe_arena_set_allocated_hosts(
          const_cast<v1::HostList*>(hosts_.get()));
    }
  }
  ~QueuedMessage() {
    if (hosts_ != nullptr) (void)message_.mutable_plan()->unsafe_arena_release_hosts();
  }
  QueuedMessage(const QueuedMessage&) = delete;
  QueuedMessage& operator=(const QueuedMessage&) = delete;

  const v1::ControllerMessage& message() const { return message_; }

 private:
  v1::ControllerMessage message_;
  std::shared_ptr<const v1::HostList> hosts_;  // lent to message_, or null
};

}  // namespace

// One agent's stream. Reads are chained (one outstanding StartRead), writes
// are queued and chained (one outstanding StartWrite). Deletes itself when
// gRPC reports the call done.
class AgentReactor : public grpc::ServerBidiReactor<v1::AgentMessage, v1::ControllerMessage>,
                     public AgentStream {
 public:
  // `caller` is who the handshake says is calling; a stream whose caller
  // may not use the agent service ends at once with the reason.
  AgentReactor(AgentServiceImpl* service, std::string peer, absl::StatusOr<Caller> caller)
      : service_(service), peer_(std::move(peer)) {
    if (!caller.ok()) {
      spdlog::warn("agent stream from {} refused: {}", peer_, caller.status().ToString());
      FinishOnce(ToGrpc(caller.status()));
      return;
    }
    caller_ = *std::move(caller);
    StartRead(&in_);
  }

  void Send(OutgoingMessage outgoing) override {
    const v1::ControllerMessage* start = nullptr;
    bool overflow = false;
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      size_t bytes = outgoing.message.ByteSizeLong();
      if (outgoing.plan_hosts != nullptr) bytes += outgoing.plan_hosts->ByteSizeLong();
      // A peer that does not read must not grow the controller: past the
      // bound it is dropped (it reconnects and gets its plan again). Send
      // runs under the hub's lock, so the stream is finished here without
      // FinishOnce's Unregister (which takes that lock); OnDone unregisters.
      if (out_.size() >= kMaxQueuedMessages || queued_bytes_ + bytes > kMaxQueuedBytes) {
        overflow = true;
        finished_ = true;
        Finish(grpc::Status(
            grpc::StatusCode::RESOURCE_EXHAUSTED,
            absl::StrCat("more than ", kMaxQueuedMessages, " messages or ", kMaxQueuedBytes >> 20,
                         " MiB queued for this agent: it does not read")));
      } else {
        queued_bytes_ += bytes;
        out_.emplace_back(std::move(outgoing));
        if (out_.size() == 1) start = &out_.front().message();  // deque: stays valid
      }
    }
    if (overflow) {
      spdlog::warn("agent {} ({}) does not read its stream; dropped it", node_, peer_);
      service_->metrics_->streams_dropped_slow.Increment();
      return;
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
      if (!out_.empty()) {
        queued_bytes_ -= std::min(queued_bytes_, out_.front().message().ByteSizeLong());
        out_.pop_front();
      }
      if (!ok) return;  // the stream is going away; OnDone follows
      if (!out_.empty() && !finished_) next = &out_.front().message();
    }
    if (next != nullptr) StartWrite(next);
  }

  void OnDone() override {
    if (registered_) {
      service_->hub_->Unregister(node_, this);
      service_->metrics_->connected_agents.Decrement();
      WARN_IF_ERROR(service_->store_->SetConnected(node_, false), "marking {} disconnected", node_);
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
                  absl::StrCat("report for node ", CutText(message.report().node(), 64),
                               " on the stream of node ", node_)};
        }
        // A malformed report is refused alone: the stream and the other
        // nodes' reports in the batch go on.
        if (absl::Status valid = ValidateReport(message.report()); !valid.ok()) {
          spdlog::warn("report from {} refused: {}", node_, std::string(valid.message()));
          return grpc::Status::OK;
        }
        service_->hub_->SetHeld(node_, message.report().applied_epoch(),
                                message.report().applied_plan_hash());
        service_->batcher_->AddReport(message.report());
        return grpc::Status::OK;
      case v1::AgentMessage::kHeartbeat: {
        service_->batcher_->Touch(node_);
        v1::ControllerMessage reply;  // lets the agent measure its clock offset
        reply.mutable_time()->set_agent_sent_ms(message.heartbeat().sent_ms());
        reply.mutable_time()->set_controller_ms(service_->store_->NowMillis());
        Send({std::move(reply), nullptr});
        return grpc::Status::OK;
      }
      case v1::AgentMessage::kHello:
        return {grpc::StatusCode::FAILED_PRECONDITION, "hello sent twice on one stream"};
      case v1::AgentMessage::kRenew: {
        // Named after the stream's verified node: a node renews only itself.
        v1::ControllerMessage reply;
        absl::StatusOr<std::string> cert =
            service_->enrolment_->Renew(node_, message.renew().csr_pem());
        if (cert.ok()) {
          reply.mutable_renewed()->set_cert_pem(*cert);
          spdlog::info("certificate of node {} renewed", node_);
        } else {
          reply.mutable_renewed()->set_error(std::string(cert.status().message()));
          spdlog::warn("certificate renewal of node {} refused: {}", node_,
                       cert.status().ToString());
        }
        Send({std::move(reply), nullptr});
        return grpc::Status::OK;
      }
      case v1::AgentMessage::kCommandResult:
        if (service_->rollouts_ != nullptr) {
          // Refused answers (not this node's command, or late) change nothing;
          // a late one is normal after a step timed out, so the stream stays.
          WARN_IF_ERROR(service_->rollouts_->OnCommandResult(node_, message.command_result()),
                        "command result from {} ignored", node_);
        }
        return grpc::Status::OK;
      default:
        return grpc::Status::OK;
    }
  }

  grpc::Status Hello(const v1::AgentHello& hello) {
    if (caller_.verified && hello.node() != caller_.name) {
      return {grpc::StatusCode::PERMISSION_DENIED,
              absl::StrCat("this stream's certificate is node \"", caller_.name,
                           "\"'s; it cannot say hello as \"", CutText(hello.node(), 64), "\"")};
    }
    absl::StatusOr<std::shared_ptr<const DesiredState::Current>> current_ptr =
        service_->state_->CurrentPlans();
    if (!current_ptr.ok()) return ToGrpc(current_ptr.status());
    const DesiredState::Current* current = current_ptr->get();
    const v1::NodePlan* plan = current->Find(hello.node());
    // Before the first apply every name is unknown; agents wait for one.
    // Not listing the spec's nodes: a stranger learns nothing of them.
    if (plan == nullptr && current->version > 0) {
      return {grpc::StatusCode::NOT_FOUND,
              absl::StrCat("node \"", CutText(hello.node(), 64),
                           "\" is not in the desired state (version ", current->version, ")")};
    }
    if (absl::Status s = service_->hub_->Register(hello.node(), this); !s.ok()) return ToGrpc(s);
    node_ = hello.node();
    registered_ = true;
    service_->metrics_->connected_agents.Increment();
    service_->hub_->SetHeld(node_, hello.applied_epoch(), hello.applied_plan_hash());
    WARN_IF_ERROR(service_->store_->SetConnected(node_, true), "marking {} connected", node_);
    spdlog::info("agent {} connected from {} (agent {}, holds version {} of epoch {})", node_,
                 peer_, hello.agent_version(), hello.applied_version(), hello.applied_epoch());
    // An agent holding a plan this controller cannot have sent makes it take
    // the cluster back (a new epoch, pushed to every connected agent). The
    // hello is enough: what an agent holds changes afterwards only by the
    // plans this controller sends it.
    absl::StatusOr<bool> taken_back =
        service_->state_->ObserveAgent(node_, hello.applied_epoch(), hello.applied_version());
    if (!taken_back.ok()) {
      // Its plans then stay in the old epoch, which the agent refuses and
      // notices; the next hello tries again.
      WARN_IF_ERROR(taken_back.status(), "agent {}", node_);
    } else if (*taken_back) {
      spdlog::warn(
          "agent {} holds version {} of epoch {}, newer than this controller's: took the cluster "
          "back in a new epoch (see events)",
          node_, hello.applied_version(), hello.applied_epoch());
      current_ptr = service_->state_->CurrentPlans();
      if (!current_ptr.ok()) return ToGrpc(current_ptr.status());
      current = current_ptr->get();
      plan = current->Find(node_);
    }
    if (plan != nullptr && service_->hub_->OfferPlan(node_, current->epoch, current->version, *plan,
                                                     current->HostsFor(*plan),
                                                     current->hashes[current->by_node.at(node_)])) {
      service_->metrics_->plan_pushes.Increment();
    }
    return grpc::Status::OK;
  }

  static constexpr size_t kMaxQueuedMessages = 256;
  static constexpr size_t kMaxQueuedBytes = size_t{16} << 20;

  AgentServiceImpl* service_;
  const std::string peer_;
  Caller caller_;
  v1::AgentMessage in_;
  std::string node_;
  bool registered_ = false;  // touched only by the read chain and OnDone
  absl::Mutex mu_;
  std::deque<QueuedMessage> out_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

grpc::ServerBidiReactor<v1::AgentMessage, v1::ControllerMessage>* AgentServiceImpl::Connect(
    grpc::CallbackServerContext* ctx) {
  return new AgentReactor(this, ctx->peer(),
                          authz_->Authorize(*ctx, Access::kAgent, "the agent stream"));
}

void AgentServiceImpl::PushVersion(int64_t version) {
  absl::StatusOr<std::shared_ptr<const DesiredState::Current>> current = state_->CurrentPlans();
  if (!current.ok()) {
    WARN_IF_ERROR(current.status(), "loading the plans of version {}", version);
    return;
  }
  const DesiredState::Current& c = **current;
  metrics_->epoch.Set(static_cast<double>(c.epoch));
  for (size_t i = 0; i < c.plans.size(); ++i) {
    if (hub_->OfferPlan(c.plans[i].node(), c.epoch, c.version, c.plans[i], c.HostsFor(c.plans[i]),
                        c.hashes[i])) {
      metrics_->plan_pushes.Increment();
    }
  }
}

}  // namespace bamctl
