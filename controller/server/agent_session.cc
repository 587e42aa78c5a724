#include "controller/server/agent_session.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_log.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "spdlog/spdlog.h"

namespace bamctl {

absl::Status AgentSession::Handle(const v1::AgentMessage& message) {
  if (deps_.may_serve) RETURN_IF_ERROR(deps_.may_serve());
  if (!registered_) {
    if (!message.has_hello()) {
      return absl::FailedPreconditionError("the first message on an agent stream must be a hello");
    }
    return Hello(message.hello());
  }
  switch (message.body_case()) {
    case v1::AgentMessage::kReport:
      if (message.report().node() != node_) {
        return absl::InvalidArgumentError(absl::StrCat("report for node ",
                                                       CutText(message.report().node(), 64),
                                                       " on the stream of node ", node_));
      }
      // A malformed report is refused alone: the stream and the other
      // nodes' reports in the batch go on.
      if (absl::Status valid = ValidateReport(message.report()); !valid.ok()) {
        spdlog::warn("report from {} refused: {}", node_, std::string(valid.message()));
        return absl::OkStatus();
      }
      deps_.hub->SetHeld(node_, message.report().applied_epoch(),
                         message.report().applied_plan_hash());
      deps_.batcher->AddReport(message.report());
      return absl::OkStatus();
    case v1::AgentMessage::kHeartbeat: {
      deps_.batcher->Touch(node_);
      v1::ControllerMessage reply;  // lets the agent measure its clock offset
      reply.mutable_time()->set_agent_sent_ms(message.heartbeat().sent_ms());
      reply.mutable_time()->set_controller_ms(deps_.store->NowMillis());
      stream_->Send({std::move(reply), nullptr});
      return absl::OkStatus();
    }
    case v1::AgentMessage::kHello:
      return absl::FailedPreconditionError("hello sent twice on one stream");
    case v1::AgentMessage::kRenew: {
      // Named after the stream's verified node: a node renews only itself.
      v1::ControllerMessage reply;
      absl::StatusOr<std::string> cert = deps_.enrolment->Renew(node_, message.renew().csr_pem());
      if (cert.ok()) {
        reply.mutable_renewed()->set_cert_pem(*cert);
        spdlog::info("certificate of node {} renewed", node_);
      } else {
        reply.mutable_renewed()->set_error(std::string(cert.status().message()));
        spdlog::warn("certificate renewal of node {} refused: {}", node_, cert.status().ToString());
      }
      stream_->Send({std::move(reply), nullptr});
      return absl::OkStatus();
    }
    case v1::AgentMessage::kCommandResult:
      if (deps_.rollouts != nullptr) {
        // Refused answers (not this node's command, or late) change nothing;
        // a late one is normal after a step timed out, so the stream stays.
        WARN_IF_ERROR(deps_.rollouts->OnCommandResult(node_, message.command_result()),
                      "command result from {} ignored", node_);
      }
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

absl::Status AgentSession::Hello(const v1::AgentHello& hello) {
  if (caller_.verified && hello.node() != caller_.name) {
    return absl::PermissionDeniedError(absl::StrCat("this stream's certificate is node \"",
                                                    caller_.name, "\"'s; it cannot say hello as \"",
                                                    CutText(hello.node(), 64), "\""));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const DesiredState::Current> current,
                   deps_.state->CurrentPlans());
  const v1::NodePlan* plan = current->Find(hello.node());
  // Before the first apply every name is unknown; agents wait for one.
  // Not listing the spec's nodes: a stranger learns nothing of them.
  if (plan == nullptr && current->version > 0) {
    return absl::NotFoundError(absl::StrCat("node \"", CutText(hello.node(), 64),
                                            "\" is not in the desired state (version ",
                                            current->version, ")"));
  }
  RETURN_IF_ERROR(deps_.hub->Register(hello.node(), stream_));
  node_ = hello.node();
  registered_ = true;
  deps_.metrics->connected_agents.Increment();
  deps_.hub->SetHeld(node_, hello.applied_epoch(), hello.applied_plan_hash());
  WARN_IF_ERROR(deps_.store->SetConnected(node_, true), "marking {} connected", node_);
  WARN_IF_ERROR(deps_.store->SetMetricsAddress(node_, CutText(hello.metrics_address(), 256)),
                "recording {}'s metrics address", node_);
  spdlog::info("agent {} connected from {} (agent {}, holds version {} of epoch {})", node_,
               stream_->Peer(), CutText(hello.agent_version(), 64), hello.applied_version(),
               hello.applied_epoch());
  // An agent holding a plan this controller cannot have sent makes it take
  // the cluster back (a new epoch, pushed to every connected agent). The
  // hello is enough: what an agent holds changes afterwards only by the
  // plans this controller sends it.
  absl::StatusOr<bool> taken_back =
      deps_.state->ObserveAgent(node_, hello.applied_epoch(), hello.applied_version());
  if (!taken_back.ok()) {
    // Its plans then stay in the old epoch, which the agent refuses and
    // notices; the next hello tries again.
    WARN_IF_ERROR(taken_back.status(), "agent {}", node_);
  } else if (*taken_back) {
    spdlog::warn(
        "agent {} holds version {} of epoch {}, newer than this controller's: took the cluster "
        "back in a new epoch (see events)",
        node_, hello.applied_version(), hello.applied_epoch());
    ASSIGN_OR_RETURN(current, deps_.state->CurrentPlans());
    plan = current->Find(node_);
  }
  if (plan != nullptr &&
      deps_.hub->OfferPlan(node_, current->epoch, current->version, *plan, current->HostsFor(*plan),
                           current->hashes[current->by_node.at(node_)])) {
    deps_.metrics->plan_pushes.Increment();
  }
  return absl::OkStatus();
}

void AgentSession::Detach() {
  if (registered_) deps_.hub->Unregister(node_, stream_);
}

void AgentSession::Close() {
  if (!registered_) return;
  deps_.hub->Unregister(node_, stream_);
  deps_.metrics->connected_agents.Decrement();
  WARN_IF_ERROR(deps_.store->SetConnected(node_, false), "marking {} disconnected", node_);
  spdlog::info("agent {} disconnected ({})", node_, stream_->Peer());
}

}  // namespace bamctl
