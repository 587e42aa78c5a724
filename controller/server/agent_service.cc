#include "controller/server/agent_service.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_log.h"
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

// One agent's stream: the transport of an AgentSession. Reads are chained
// (one outstanding StartRead), writes are queued and chained (one
// outstanding StartWrite). Deletes itself when gRPC reports the call done.
class AgentReactor : public grpc::ServerBidiReactor<v1::AgentMessage, v1::ControllerMessage>,
                     public AgentStream {
 public:
  // `caller` is who the handshake says is calling; a stream whose caller
  // may not use the agent service ends at once with the reason.
  AgentReactor(AgentServiceImpl* service, std::string peer, absl::StatusOr<Caller> caller)
      : service_(service),
        peer_(std::move(peer)),
        session_(service->deps_, caller.ok() ? *caller : Caller(), this) {
    if (!caller.ok()) {
      spdlog::warn("agent stream from {} refused: {}", peer_, caller.status().ToString());
      FinishOnce(ToGrpc(caller.status()));
      return;
    }
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
      // FinishOnce's Detach (which takes that lock); OnDone unregisters.
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
      spdlog::warn("agent {} ({}) does not read its stream; dropped it", session_.node(), peer_);
      service_->deps_.metrics->streams_dropped_slow.Increment();
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
    if (absl::Status status = session_.Handle(in_); !status.ok()) {
      FinishOnce(ToGrpc(status));
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
    session_.Close();
    delete this;
  }

 private:
  void FinishOnce(const grpc::Status& status) {
    session_.Detach();  // no more sends
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  static constexpr size_t kMaxQueuedMessages = 256;
  static constexpr size_t kMaxQueuedBytes = size_t{16} << 20;

  AgentServiceImpl* service_;
  const std::string peer_;
  AgentSession session_;  // touched only by the read chain and OnDone
  v1::AgentMessage in_;
  absl::Mutex mu_;
  std::deque<QueuedMessage> out_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

grpc::ServerBidiReactor<v1::AgentMessage, v1::ControllerMessage>* AgentServiceImpl::Connect(
    grpc::CallbackServerContext* ctx) {
  if (deps_.may_serve) {
    if (absl::Status serving = deps_.may_serve(); !serving.ok()) {
      return new AgentReactor(this, ctx->peer(), serving);
    }
  }
  return new AgentReactor(this, ctx->peer(),
                          authz_->Authorize(*ctx, Access::kAgent, "the agent stream"));
}

void AgentServiceImpl::PushVersion(int64_t version) {
  absl::StatusOr<std::shared_ptr<const DesiredState::Current>> current =
      deps_.state->CurrentPlans();
  if (!current.ok()) {
    WARN_IF_ERROR(current.status(), "loading the plans of version {}", version);
    return;
  }
  const DesiredState::Current& c = **current;
  deps_.metrics->epoch.Set(static_cast<double>(c.epoch));
  for (size_t i = 0; i < c.plans.size(); ++i) {
    if (deps_.hub->OfferPlan(c.plans[i].node(), c.epoch, c.version, c.plans[i],
                             c.HostsFor(c.plans[i]), c.hashes[i])) {
      deps_.metrics->plan_pushes.Increment();
    }
  }
}

}  // namespace bamctl
