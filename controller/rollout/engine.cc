#include "controller/rollout/engine.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_log.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "proto/enum_text.h"
#include "spdlog/spdlog.h"

namespace bamctl {

RolloutEngine::RolloutEngine(Store* store, DesiredState* state, CommandSender* sender,
                             const Clock* clock, FourLetterWord four_letter_word, Options options)
    : store_(store),
      clock_(clock),
      options_(options),
      targets_(state),
      zookeeper_(four_letter_word),
      own_task_groups_(options.task_groups == nullptr
                           ? std::make_unique<ZooKeeperTaskGroups>(std::move(four_letter_word))
                           : nullptr),
      watches_(clock),
      restarts_(store, state, &targets_, &zookeeper_,
                options.task_groups != nullptr ? options.task_groups : own_task_groups_.get(),
                sender, clock, &watches_, RollingRestart::Options{options.resend_after.count()}),
      auto_rollouts_(
          store, state, &targets_, clock, &watches_,
          // Called from Tick, under ops_mu_.
          [this](const v1::RollingRestartRequest& request) { return restarts_.Start(request); }) {}

RolloutEngine::~RolloutEngine() { Stop(); }

void RolloutEngine::Start() {
  if (thread_.joinable()) return;  // running
  {
    absl::MutexLock lock(&mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] {
    while (true) {
      Tick();
      absl::MutexLock lock(&mu_);
      auto woken = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return stop_ || wake_; };
      clock_->AwaitUntil(mu_, absl::Condition(&woken),
                         clock_->MonotonicMillis() + options_.tick.count());
      if (stop_) return;
      wake_ = false;
    }
  });
}

void RolloutEngine::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void RolloutEngine::TriggerNow() {
  absl::MutexLock lock(&mu_);
  wake_ = true;
}

absl::Status RolloutEngine::OnCommandResult(const std::string& node,
                                            const v1::CommandResult& result) {
  RETURN_IF_ERROR(restarts_.OnCommandResult(node, result));
  spdlog::info("command {} on {}: {} {}", result.command_id(), node, result.ok() ? "ok" : "failed",
               CutText(result.message(), 200));
  TriggerNow();
  return absl::OkStatus();
}

absl::StatusOr<v1::Operation> RolloutEngine::StartRollingRestart(
    const v1::RollingRestartRequest& request) {
  absl::StatusOr<v1::Operation> op;
  {
    absl::MutexLock ops(&ops_mu_);
    op = restarts_.Start(request);
  }
  if (op.ok() && !request.dry_run()) TriggerNow();
  return op;
}

absl::StatusOr<int64_t> RolloutEngine::RequestPendingRollout(int64_t version,
                                                             const std::string& author) {
  absl::MutexLock ops(&ops_mu_);
  return auto_rollouts_.Request(version, author);
}

absl::StatusOr<v1::Operation> RolloutEngine::Control(const v1::ControlOperationRequest& request) {
  absl::MutexLock ops(&ops_mu_);
  ASSIGN_OR_RETURN(v1::Operation op, store_->GetOperation(request.id()));
  const v1::OperationAction action = request.action();
  const v1::OperationState s = op.state();
  v1::OperationState next = v1::OPERATION_STATE_UNSPECIFIED;
  if (action == v1::OPERATION_ACTION_PAUSE && s == v1::OPERATION_STATE_RUNNING) {
    next = v1::OPERATION_STATE_PAUSED;
  } else if (action == v1::OPERATION_ACTION_RESUME && s == v1::OPERATION_STATE_PAUSED) {
    next = v1::OPERATION_STATE_RUNNING;
  } else if (action == v1::OPERATION_ACTION_ABORT &&
             (s == v1::OPERATION_STATE_RUNNING || s == v1::OPERATION_STATE_PAUSED)) {
    next = v1::OPERATION_STATE_ABORTED;
    op.set_reason(
        absl::StrCat("aborted by ", request.author().empty() ? "an operator" : request.author()));
  } else if (action == v1::OPERATION_ACTION_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown action (valid: ", EnumTexts<v1::OperationAction>(", "), ")"));
  } else {
    return absl::FailedPreconditionError(absl::StrCat("operation ", op.id(), " is ", EnumText(s),
                                                      "; cannot ", EnumText(action), " it"));
  }
  op.set_state(next);
  RETURN_IF_ERROR(
      store_->UpdateOperation(op, absl::StrCat(EnumText(action), " (now ", EnumText(next), ")")));
  return store_->GetOperation(op.id());
}

void RolloutEngine::Tick() {
  {
    absl::MutexLock ops(&ops_mu_);
    absl::StatusOr<std::vector<v1::Operation>> active = store_->ListOperations(1000, true);
    if (!active.ok()) {
      WARN_IF_ERROR(active.status(), "listing the operations to advance");
    } else {
      // Oldest first: an operation started earlier has the first claim on
      // the disruption budget.
      for (auto it = active->rbegin(); it != active->rend(); ++it) {
        v1::Operation& op = *it;
        if (op.kind() == v1::OPERATION_KIND_AUTO_ROLLOUT &&
            op.state() == v1::OPERATION_STATE_WAITING) {
          auto_rollouts_.Advance(op);
        } else if (op.kind() == v1::OPERATION_KIND_ROLLING_RESTART &&
                   op.state() == v1::OPERATION_STATE_RUNNING) {
          restarts_.Advance(op, *active);
        }
      }
      restarts_.Retain(*active);  // an aborted operation's commands and views
    }
  }
  ++passes_;
}

}  // namespace bamctl
