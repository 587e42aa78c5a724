#include "controller/rollout/auto_rollout.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_log.h"
#include "controller/rollout/planner.h"
#include "proto/enum_text.h"
#include "proto/operation_util.h"

namespace bamctl {
namespace {

constexpr int64_t kAutoRolloutWaitMs = int64_t{10} * 60 * 1000;
// The time waited is saved at least this often (see AutoRollout.waited_ms).
constexpr int64_t kWaitCheckpointMs = 10'000;

std::string WatchKey(const v1::Operation& op) { return absl::StrCat("auto-rollout-", op.id()); }

}  // namespace

absl::StatusOr<int64_t> AutoRollout::Request(int64_t version, const std::string& author) {
  v1::Operation op;
  op.set_kind(v1::OPERATION_KIND_AUTO_ROLLOUT);
  op.set_state(v1::OPERATION_STATE_WAITING);
  op.set_version(version);
  op.set_author(author);
  op.set_health_timeout_ms(kAutoRolloutWaitMs);
  op.set_reason(absl::StrCat("waiting for every agent to hold version ", version));
  op.mutable_auto_rollout();  // present, with no children yet
  return store_->CreateOperation(
      op, absl::StrCat("auto-rollout of what version ", version, " leaves restart pending"));
}

AutoRollout::Round AutoRollout::StartChildren(v1::Operation& op,
                                              const std::vector<PendingService>& pending) {
  Round round;
  if (op.auto_rollout().children_size() > 0) {
    // Started before: a running child is progress; a finished one is not
    // started again, and what it left pending stays so.
    for (const v1::AutoRollout::Child& earlier : op.auto_rollout().children()) {
      absl::StatusOr<v1::Operation> child = store_->GetOperation(earlier.operation_id());
      if (child.ok() && (child->state() == v1::OPERATION_STATE_RUNNING ||
                         child->state() == v1::OPERATION_STATE_PAUSED)) {
        round.in_progress = true;
        continue;
      }
      if (!child.ok() || child->state() != v1::OPERATION_STATE_SUCCEEDED) {
        round.left.push_back(absl::StrCat(earlier.service(), " (operation ", earlier.operation_id(),
                                          " ", child.ok() ? EnumText(child->state()) : "lost",
                                          ")"));
      }
      if (child.ok()) {
        round.left.insert(round.left.end(), child->left_pending().begin(),
                          child->left_pending().end());
      }
    }
    return round;
  }
  if (pending.empty()) return round;
  // One rolling restart of everything pending: the disruption budget and
  // the dependency order hold across services only inside one operation.
  v1::RollingRestartRequest request;
  request.set_pending_only(true);
  request.set_author(absl::StrCat("auto-rollout ", op.id()));
  absl::StatusOr<v1::Operation> child = start_child_(request);
  if (child.ok()) {
    v1::AutoRollout::Child* record = op.mutable_auto_rollout()->add_children();
    record->set_service(absl::StrJoin(StepServices(*child), ", "));
    record->set_operation_id(child->id());
    record->set_started_ms(clock_->NowMillis());
    round.in_progress = true;
    round.started = true;
  } else if (RolloutRefusalOf(child.status()) == RolloutRefusal::kNeedsDowntime) {
    for (const PendingService& p : pending) {
      round.left.push_back(absl::StrCat(p.service, " (needs --allow-downtime)"));
    }
  } else {
    // Retried: a member unhealthy, an operator's restart of one of the
    // services running (AlreadyExists).
    round.blocked.push_back(std::string(child.status().message()));
  }
  return round;
}

void AutoRollout::Advance(v1::Operation& op) {
  const std::string key = WatchKey(op);
  const int64_t persisted_ms = op.auto_rollout().waited_ms();
  const int64_t waited_ms = watches_->Elapsed(key, persisted_ms);
  op.mutable_auto_rollout()->set_waited_ms(waited_ms);
  const bool late = waited_ms > op.health_timeout_ms();
  auto finish = [&](v1::OperationState state, const std::string& reason) {
    op.set_state(state);
    op.set_reason(reason);
    watches_->Forget(key);
    WARN_IF_ERROR(store_->UpdateOperation(op, reason), "saving auto-rollout {}", op.id());
  };
  // Progress without an event: saved when the reason changes, and now and
  // then so the time waited survives a restart.
  auto note = [&](const std::string& reason, bool changed) {
    if (!changed && op.reason() == reason && waited_ms - persisted_ms < kWaitCheckpointMs) return;
    op.set_reason(reason);
    WARN_IF_ERROR(store_->UpdateOperation(op, ""), "saving auto-rollout {}", op.id());
  };

  absl::StatusOr<std::shared_ptr<const DesiredState::Current>> current = state_->CurrentPlans();
  if (!current.ok()) {
    WARN_IF_ERROR(current.status(), "auto-rollout {}: reading the desired state", op.id());
    return;
  }
  if ((*current)->version != op.version()) {
    finish(v1::OPERATION_STATE_ABORTED,
           absl::StrCat("superseded by version ", (*current)->version));
    return;
  }
  absl::StatusOr<v1::GetStatusResponse> status = state_->Status();
  if (!status.ok()) {
    WARN_IF_ERROR(status.status(), "auto-rollout {}: reading the cluster status", op.id());
    return;
  }
  std::vector<std::string> behind;
  for (const v1::NodeStatus& n : status->nodes()) {
    if (!n.connected() || n.applied_version() != op.version()) behind.push_back(n.node());
  }
  if (!behind.empty()) {
    if (late) {
      finish(v1::OPERATION_STATE_FAILED,
             absl::StrCat("not every agent took version ", op.version(), " within ",
                          op.health_timeout_ms() / 1000, " s: ", absl::StrJoin(behind, ", ")));
    } else {
      note(op.reason(), false);
    }
    return;
  }
  absl::StatusOr<std::vector<PendingService>> pending = targets_->PendingServices(*status);
  if (!pending.ok()) {
    if (late) {
      finish(v1::OPERATION_STATE_FAILED, std::string(pending.status().message()));
    } else {
      WARN_IF_ERROR(pending.status(), "auto-rollout {}: what is restart pending", op.id());
    }
    return;
  }
  const Round round = StartChildren(op, *pending);

  std::string started;
  for (const v1::AutoRollout::Child& child : op.auto_rollout().children()) {
    absl::StrAppend(&started, started.empty() ? "" : ", ", child.service(), " (operation ",
                    child.operation_id(), ")");
  }
  std::string reason = started.empty() ? "nothing was restart pending" : "started " + started;
  if (!round.left.empty()) {
    absl::StrAppend(&reason, "; left pending: ", absl::StrJoin(round.left, ", "));
  }
  if (!round.blocked.empty() && late) {
    finish(v1::OPERATION_STATE_FAILED,
           absl::StrCat(reason, "; could not start: ", absl::StrJoin(round.blocked, "; ")));
    return;
  }
  if (round.in_progress || !round.blocked.empty()) {
    note(round.blocked.empty()
             ? absl::StrCat(reason, "; waiting for them to finish")
             : absl::StrCat(reason, "; retrying: ", absl::StrJoin(round.blocked, "; ")),
         round.started);
    return;
  }
  finish(v1::OPERATION_STATE_SUCCEEDED, reason);
}

}  // namespace bamctl
