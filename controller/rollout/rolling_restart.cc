#include "controller/rollout/rolling_restart.h"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/net_util.h"
#include "common/status_log.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "proto/enum_text.h"
#include "proto/operation_util.h"
#include "roles/cassandra/nodetool_status.h"
#include "spdlog/spdlog.h"

namespace bamctl {
namespace {

constexpr int64_t kDefaultHealthTimeoutMs = int64_t{5} * 60 * 1000;
// A restarting step saves its elapsed time at least this often, so a
// controller restart loses at most this much of the step's deadline.
constexpr int64_t kElapsedCheckpointMs = 10'000;

std::string OrderName(RestartSafety::Order order) {
  switch (order) {
    case RestartSafety::Order::kFollowersBeforeLeader:
      return "followers one at a time, the leader last (modes as the servers report them)";
    case RestartSafety::Order::kOneAtATimeDrainFirst:
      return "one node at a time, drained before the stop, back when the others see it up";
    case RestartSafety::Order::kStandbyBeforeActive:
      return "standby analyzers before the task holder";
    case RestartSafety::Order::kSingleInstanceDowntime:
      return "the single instance, with downtime";
    case RestartSafety::Order::kAnyOrder:
      return "in batches, spec order";
  }
  return "";
}

// Stopwatch keys: the step's restart, and the pause before a step.
std::string StepKey(const v1::Operation& op, const v1::RolloutStep& step) {
  return absl::StrCat("op", op.id(), "-step", step.index());
}
std::string PauseKey(const v1::Operation& op, int step_index) {
  return absl::StrCat("op", op.id(), "-pause-before-", step_index);
}

// `node` runs a process other than the one before `step` (the restart
// had its effect, whether or not its answer arrived).
bool Restarted(const v1::RolloutStep& step, const std::string& node, const v1::RoleStatus* r) {
  auto old = step.old_pids().find(node);
  return r != nullptr && r->pid() != 0 && (old == step.old_pids().end() || r->pid() != old->second);
}

// "rolling restart of zookeeper", "rolling restart of everything pending
// (zookeeper, cassandra, bam)".
std::string Describe(const v1::Operation& op) {
  if (!op.role().empty()) return absl::StrCat("rolling restart of ", op.role());
  return absl::StrCat("rolling restart of everything pending (",
                      absl::StrJoin(StepServices(op), ", "), ")");
}

// The services an unfinished operation restarts.
std::set<std::string> ServicesOf(const v1::Operation& op) {
  std::set<std::string> services;
  if (!op.service().empty()) services.insert(op.service());
  for (const v1::RolloutStep& s : op.steps()) {
    if (!s.service().empty()) services.insert(s.service());
  }
  return services;
}

v1::Operation NewOperation(const v1::RollingRestartRequest& request,
                           const std::vector<ServicePart>& parts,
                           const std::vector<std::string>& left) {
  const bool everything = request.role().empty();
  v1::Operation op;
  op.set_kind(v1::OPERATION_KIND_ROLLING_RESTART);
  op.set_role(request.role());
  if (!everything && !parts.empty()) op.set_service(parts.front().plan.service);
  op.set_author(request.author());
  op.set_health_timeout_ms(request.health_timeout_ms() > 0 ? request.health_timeout_ms()
                                                           : kDefaultHealthTimeoutMs);
  op.set_pause_between_ms(request.pause_between_ms());
  op.set_continue_on_failure(request.continue_on_failure());
  op.set_force(request.force());
  std::vector<std::string> orders;
  std::vector<std::string> forced;
  for (const ServicePart& part : parts) {
    const RolloutPlan& plan = part.plan;
    // In a rollout of several services each check and order says whose.
    const std::string whose = everything ? absl::StrCat(plan.service, ": ") : "";
    orders.push_back(absl::StrCat(whose, OrderName(plan.safety.order)));
    if (!plan.forced.empty()) forced.push_back(absl::StrCat(whose, plan.forced));
    for (const PreCheck& c : plan.checks) {
      v1::PreCheckResult* out = op.add_checks();
      out->set_name(absl::StrCat(whose, c.name));
      out->set_ok(c.ok);
      out->set_detail(c.detail);
    }
    for (const std::vector<std::string>& batch : plan.batches) {
      v1::RolloutStep* step = op.add_steps();
      step->set_index(op.steps_size());
      for (const std::string& n : batch) step->add_nodes(n);
      step->set_state(v1::STEP_STATE_PENDING);
      step->set_service(plan.service);
      step->set_role(part.role);
    }
  }
  op.set_order(
      everything ? absl::StrCat("service groups in dependency order; ", absl::StrJoin(orders, "; "))
                 : absl::StrJoin(orders, "; "));
  op.set_forced(absl::StrJoin(forced, "; "));
  for (const std::string& l : left) op.add_left_pending(l);
  return op;
}

}  // namespace

absl::StatusOr<std::vector<ServicePart>> RollingRestart::PlanParts(
    const v1::RollingRestartRequest& request, const v1::GetStatusResponse& status,
    int max_nodes_disrupted, std::vector<std::string>* left) {
  const bool everything = request.role().empty();
  // What to plan: the role asked for, or each pending service in order.
  std::vector<PendingService> wanted;
  if (everything) {
    ASSIGN_OR_RETURN(wanted, targets_->PendingServices(status));
  } else {
    wanted.push_back({"", request.role()});
  }
  std::vector<ServicePart> parts;
  for (const PendingService& want : wanted) {
    ASSIGN_OR_RETURN(Target target, everything ? targets_->ResolveService(want.service, status)
                                               : targets_->Resolve(want.role, status));
    // The leader is asked for, not assumed: each server reports its mode.
    for (Instance& in : target.instances) {
      if (auto server = target.zookeeper.find(in.node); server != target.zookeeper.end()) {
        in.zookeeper_mode = zookeeper_->Mode(server->second);
      }
    }
    RolloutRequest r;
    if (!target.coordination.empty()) {
      r.task_group_read = true;
      r.task_group_error = ReadTaskGroup(target);
    }
    r.role = everything ? want.service : request.role();
    r.nodes.assign(request.nodes().begin(), request.nodes().end());
    r.batch_size = request.batch_size() > 0 ? request.batch_size() : 1;
    r.allow_downtime = request.allow_downtime();
    r.force = request.force();
    r.pending_only = request.pending_only();
    absl::StatusOr<RolloutPlan> plan =
        PlanRollout(r, target.service, target.safety, target.instances);
    if (!plan.ok()) {
      // A single master is not restarted behind an operator's back: the
      // rest goes on and it stays pending, said so.
      if (everything && RolloutRefusalOf(plan.status()) == RolloutRefusal::kNeedsDowntime) {
        left->push_back(absl::StrCat(want.service, " (needs --allow-downtime)"));
        continue;
      }
      return plan.status();
    }
    if (request.continue_on_failure() && plan->safety.order != RestartSafety::Order::kAnyOrder) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--on-failure=continue would restart more ", plan->service,
          " instances while a failed one is down; it is allowed only for roles without a "
          "quorum or single master"));
    }
    for (const std::vector<std::string>& batch : plan->batches) {
      if (static_cast<int>(batch.size()) > max_nodes_disrupted) {
        return WithRefusal(
            RolloutRefusal::kInvalidRequest,
            absl::InvalidArgumentError(absl::StrCat(
                "a batch of ", batch.size(), " ", plan->service, " instances would disrupt ",
                batch.size(), " hosts at once; the spec's max_nodes_disrupted is ",
                max_nodes_disrupted, " (lower --batch-size, or raise max_nodes_disrupted)")));
      }
    }
    parts.push_back({everything ? want.role : request.role(), *std::move(plan)});
  }
  return parts;
}

absl::StatusOr<v1::Operation> RollingRestart::Start(const v1::RollingRestartRequest& request) {
  const bool everything = request.role().empty();
  if (everything && !request.pending_only()) {
    return WithRefusal(RolloutRefusal::kInvalidRequest,
                       absl::InvalidArgumentError(
                           "name a role to restart, or pass --pending without one to restart "
                           "everything the current version left restart pending"));
  }
  if (everything && request.nodes_size() > 0) {
    return WithRefusal(RolloutRefusal::kInvalidRequest,
                       absl::InvalidArgumentError("--nodes needs a role"));
  }
  ASSIGN_OR_RETURN(v1::GetStatusResponse status, state_->Status());
  ASSIGN_OR_RETURN(std::shared_ptr<const DesiredState::Current> current, state_->CurrentPlans());
  std::vector<std::string> left;
  ASSIGN_OR_RETURN(std::vector<ServicePart> parts,
                   PlanParts(request, status, current->max_nodes_disrupted, &left));
  v1::Operation op = NewOperation(request, parts, left);
  if (request.dry_run()) {
    op.set_state(v1::OPERATION_STATE_PLANNED);
    return op;
  }
  if (op.steps().empty()) {
    if (!left.empty()) {
      return WithRefusal(
          RolloutRefusal::kNeedsDowntime,
          absl::FailedPreconditionError(absl::StrCat(
              "nothing to restart without downtime; left pending: ", absl::StrJoin(left, ", "))));
    }
    return absl::FailedPreconditionError(
        everything ? std::string("nothing to restart: no service has a restart pending")
                   : absl::StrCat("nothing to restart: no instance of ", request.role(),
                                  request.pending_only() ? " has a restart pending" : " matches"));
  }
  const std::set<std::string> services = ServicesOf(op);
  ASSIGN_OR_RETURN(std::vector<v1::Operation> active, store_->ListOperations(1000, true));
  for (const v1::Operation& other : active) {
    if (other.kind() != v1::OPERATION_KIND_ROLLING_RESTART) continue;
    for (const std::string& service : ServicesOf(other)) {
      if (!services.contains(service)) continue;
      return absl::AlreadyExistsError(absl::StrCat("operation ", other.id(), " is already ",
                                                   EnumText(other.state()), " on ", service,
                                                   "; wait for it, or abort it"));
    }
  }
  op.set_state(v1::OPERATION_STATE_RUNNING);
  ASSIGN_OR_RETURN(
      int64_t id,
      store_->CreateOperation(op, absl::StrCat(Describe(op), " (", op.steps_size(), " steps)")));
  return store_->GetOperation(id);
}

absl::Status RollingRestart::OnCommandResult(const std::string& node,
                                             const v1::CommandResult& result) {
  absl::MutexLock lock(&mu_);
  for (auto& [key, view] : views_) {
    if (key.second != node || view.command_id != result.command_id()) continue;
    if (view.answer.has_value()) {
      return absl::AlreadyExistsError(
          absl::StrCat("command ", result.command_id(), " was answered already"));
    }
    v1::CommandResult kept = result;
    kept.set_message(CutText(result.message(), kMaxResultMessageBytes));
    kept.set_output(CutText(result.output(), kMaxViewOutputBytes));
    view.answer = std::move(kept);
    return absl::OkStatus();
  }
  auto it = sent_.find(result.command_id());
  // The same words whether the id is unknown or another node's: an answer
  // must not tell a node which commands others were sent.
  if (it == sent_.end() || it->second.node != node) {
    return absl::NotFoundError(absl::StrCat("no command \"", CutText(result.command_id(), 80),
                                            "\" awaits an answer from ", node));
  }
  if (it->second.answer.has_value()) {
    return absl::AlreadyExistsError(
        absl::StrCat("command ", result.command_id(), " was answered already"));
  }
  v1::CommandResult kept = result;
  kept.set_message(CutText(result.message(), kMaxResultMessageBytes));
  it->second.answer = std::move(kept);
  return absl::OkStatus();
}

void RollingRestart::Retain(const std::vector<v1::Operation>& active) {
  std::set<int64_t> running;
  for (const v1::Operation& op : active) running.insert(op.id());
  absl::MutexLock lock(&mu_);
  std::erase_if(sent_,
                [&](const auto& entry) { return !running.contains(entry.second.operation); });
  std::erase_if(views_,
                [&](const auto& entry) { return !running.contains(entry.second.operation); });
}

void RollingRestart::Settle(const v1::Operation& op, const v1::RolloutStep& step) {
  absl::MutexLock lock(&mu_);
  for (const std::string& id : step.command_ids()) sent_.erase(id);
  const std::string key = StepKey(op, step);
  std::erase_if(views_, [&](const auto& entry) { return entry.first.first == key; });
}

void RollingRestart::Advance(v1::Operation& op, const std::vector<v1::Operation>& active) {
  const int64_t wall = clock_->NowMillis();
  auto save = [&](const std::string& event) {
    WARN_IF_ERROR(store_->UpdateOperation(op, event), "saving operation {}", op.id());
  };
  v1::RolloutStep* step = nullptr;
  std::vector<std::string> failed_nodes;
  for (v1::RolloutStep& s : *op.mutable_steps()) {
    if (s.state() == v1::STEP_STATE_DONE) continue;
    if (s.state() == v1::STEP_STATE_FAILED) {  // only with continue_on_failure
      failed_nodes.insert(failed_nodes.end(), s.nodes().begin(), s.nodes().end());
      continue;
    }
    step = &s;
    break;
  }
  if (step == nullptr) {
    if (failed_nodes.empty()) {
      op.set_state(v1::OPERATION_STATE_SUCCEEDED);
      save(op.role().empty() ? absl::StrCat("succeeded: ", Describe(op), " done")
                             : absl::StrCat("succeeded: ", op.role(), " restarted on every node"));
    } else {
      op.set_state(v1::OPERATION_STATE_FAILED);
      op.set_reason(absl::StrCat("every step ran; failed on ", absl::StrJoin(failed_nodes, ", ")));
      save(op.reason());
    }
    return;
  }
  absl::StatusOr<v1::GetStatusResponse> status = state_->Status();
  if (!status.ok()) {
    WARN_IF_ERROR(status.status(), "operation {}: reading the cluster status", op.id());
    return;
  }
  const std::string key = StepKey(op, *step);
  const std::string& service = StepService(op, *step);

  if (step->state() == v1::STEP_STATE_PENDING) {
    // The pause runs from the previous step's end as this controller saw
    // it; one that resumes between two steps pauses in full again.
    if (step->index() > 1 && op.pause_between_ms() > 0 &&
        watches_->Elapsed(PauseKey(op, step->index())) < op.pause_between_ms()) {
      return;
    }
    std::vector<std::string> missing;
    for (const std::string& node : step->nodes()) {
      bool connected = false;
      FindRole(*status, node, service, &connected);
      if (!connected) missing.push_back(node);
    }
    std::string message = missing.empty()
                              ? OverBudget(op, *step, active, *status)
                              : absl::StrCat("waiting for the agent of ",
                                             absl::StrJoin(missing, ", "), " to connect");
    if (message.empty()) message = TaskGroupNotReady(op, *step, *status);
    if (!message.empty()) {
      if (step->message() != message) {
        step->set_message(std::move(message));
        save("");
      }
      return;
    }
    // Written before a command leaves: a controller that dies right after
    // resends the same ids, which the agents answer without restarting.
    step->set_state(v1::STEP_STATE_RESTARTING);
    step->set_started_ms(wall);
    step->set_elapsed_ms(0);
    step->clear_message();
    step->clear_command_ids();
    for (const std::string& node : step->nodes()) {
      const v1::RoleStatus* r = FindRole(*status, node, service, nullptr);
      (*step->mutable_old_pids())[node] = r != nullptr ? r->pid() : 0;
      step->add_command_ids(absl::StrCat("op", op.id(), "-step", step->index(), "-", node));
    }
    watches_->Forget(PauseKey(op, step->index()));
    watches_->Restart(key);
    save(absl::StrCat("step ", step->index(), " of ", op.steps_size(), ": restarting ", service,
                      " on ", absl::StrJoin(step->nodes(), ", ")));
  }

  const int64_t persisted_ms = step->elapsed_ms();
  const int64_t elapsed_ms = watches_->Elapsed(key, persisted_ms);
  step->set_elapsed_ms(elapsed_ms);
  // A failed step ends the operation, unless it may go on without it.
  auto fail_step = [&](const std::string& message) {
    Settle(op, *step);
    step->set_state(v1::STEP_STATE_FAILED);
    step->set_finished_ms(wall);
    step->set_message(message);
    watches_->Forget(key);
    if (op.continue_on_failure()) {
      watches_->Restart(PauseKey(op, step->index() + 1));
      save(absl::StrCat("step ", step->index(), " failed (continuing): ", message));
      return;
    }
    op.set_state(v1::OPERATION_STATE_FAILED);
    op.set_reason(absl::StrCat("step ", step->index(), " failed: ", message,
                               "; later steps were not started"));
    save(op.reason());
  };
  if (!SendCommands(op, *step, *status, fail_step)) return;

  std::string waiting = Waiting(op, *step, *status);
  if (waiting.empty()) {
    Settle(op, *step);
    step->set_state(v1::STEP_STATE_DONE);
    step->set_finished_ms(wall);
    step->clear_message();
    watches_->Forget(key);
    watches_->Restart(PauseKey(op, step->index() + 1));
    save(absl::StrCat("step ", step->index(), " of ", op.steps_size(), " done in ", elapsed_ms,
                      " ms"));
    return;
  }
  if (elapsed_ms > op.health_timeout_ms()) {
    fail_step(absl::StrCat("not healthy within ", op.health_timeout_ms() / 1000, " s: ", waiting));
    return;
  }
  if (step->message() != waiting || elapsed_ms - persisted_ms >= kElapsedCheckpointMs) {
    step->set_message(waiting);
    save("");
  }
}

bool RollingRestart::SendCommands(v1::Operation& op, v1::RolloutStep& step,
                                  const v1::GetStatusResponse& status,
                                  const std::function<void(const std::string&)>& fail_step) {
  const int64_t now = clock_->MonotonicMillis();
  const std::string& service = StepService(op, step);
  for (int i = 0; i < step.nodes_size(); ++i) {
    const std::string& node = step.nodes(i);
    const std::string& id = step.command_ids(i);
    const bool restarted = Restarted(step, node, FindRole(status, node, service, nullptr));
    std::optional<v1::CommandResult> answer;
    bool send = false;
    {
      absl::MutexLock lock(&mu_);
      auto sent = sent_.find(id);
      if (sent != sent_.end() && sent->second.answer.has_value()) {
        answer = sent->second.answer;
      } else {
        send = !restarted &&
               (sent == sent_.end() || now - sent->second.sent_ms >= options_.resend_after_ms);
        if (send) sent_[id] = SentCommand{node, now, std::nullopt, op.id()};
      }
    }
    if (answer.has_value() && !answer->ok()) {
      fail_step(absl::StrCat(node, ": ", answer->message()));
      return false;
    }
    if (send) {
      v1::Command command;
      command.set_id(id);
      command.set_operation_id(absl::StrCat(op.id()));
      command.set_kind(v1::COMMAND_KIND_RESTART);
      command.set_service(service);
      if (!sender_->SendCommand(node, command)) {
        spdlog::warn("operation {}: {} not connected; will resend", op.id(), node);
      }
    }
  }
  return true;
}

std::string RollingRestart::Waiting(const v1::Operation& op, const v1::RolloutStep& step,
                                    const v1::GetStatusResponse& status) {
  const std::string& service = StepService(op, step);
  for (const std::string& node : step.nodes()) {
    bool connected = false;
    const v1::RoleStatus* r = FindRole(status, node, service, &connected);
    if (r == nullptr || !connected) return absl::StrCat(node, ": no report from its agent");
    if (!Restarted(step, node, r)) {
      return absl::StrCat(node, ": not restarted yet (", EnumText(r->phase()), ")");
    }
    if (r->health() != v1::HEALTH_HEALTHY || r->restart_pending()) {
      return absl::StrCat(node, ": ", EnumText(r->phase()), r->reason().empty() ? "" : ": ",
                          r->reason());
    }
  }
  // A quorum member is back when its ensemble is whole again, not when it
  // answers alone.
  absl::StatusOr<Target> target = targets_->ResolveService(service, status);
  if (!target.ok()) return std::string(target.status().message());
  if (target->safety.order == RestartSafety::Order::kFollowersBeforeLeader) {
    if (absl::Status synced = zookeeper_->Synced(target->zookeeper); !synced.ok()) {
      return std::string(synced.message());
    }
  }
  // A Cassandra node is back when the others' gossip says so.
  if (!target->safety.peer_view.empty()) {
    if (std::string unseen = PeersSeeUp(op, step, *target); !unseen.empty()) return unseen;
  }
  // An analyzer is back when it is in the task group again; the holder's
  // step is done once a standby holds the tasks.
  if (!target->coordination.empty()) {
    if (std::string error = ReadTaskGroup(*target); !error.empty()) {
      // --force accepted not knowing the group; what is known still holds.
      if (op.force()) return "";
      return absl::StrCat("reading the analyzers' task group: ", error);
    }
    for (const Instance& in : target->instances) {
      if (in.task_member.empty()) return absl::StrCat(in.node, ": not in the task group yet");
    }
    if (target->instances.size() > 1) {
      for (const Instance& in : target->instances) {
        if (in.task_holder &&
            std::find(step.nodes().begin(), step.nodes().end(), in.node) != step.nodes().end()) {
          return absl::StrCat(in.node,
                              " still holds the scheduled tasks; waiting for a standby to take "
                              "them over");
        }
      }
    }
  }
  return "";
}

std::string RollingRestart::PeersSeeUp(const v1::Operation& op, const v1::RolloutStep& step,
                                       const Target& target) {
  // Who must be seen, by the address nodetool prints.
  std::vector<std::pair<std::string, std::string>> restarted;  // node, address
  for (const Instance& in : target.instances) {
    if (std::find(step.nodes().begin(), step.nodes().end(), in.node) == step.nodes().end()) {
      continue;
    }
    const std::string address = AddressOf(in.address);
    if (address.empty()) {
      return absl::StrCat(in.node, ": its address ", in.address, " does not resolve");
    }
    restarted.emplace_back(in.node, address);
  }
  const std::string key = StepKey(op, step);
  const int64_t now = clock_->MonotonicMillis();
  const std::string asked_about = absl::StrJoin(step.nodes(), ", ");
  std::vector<std::string> waiting;
  absl::MutexLock lock(&mu_);
  for (const Instance& peer : target.instances) {
    if (std::find(step.nodes().begin(), step.nodes().end(), peer.node) != step.nodes().end()) {
      continue;
    }
    PeerView& view = views_[{key, peer.node}];
    if (view.seen_up) continue;
    if (!peer.connected || !peer.healthy) {
      // --force accepted going on without what cannot be asked.
      if (op.force()) continue;
      waiting.push_back(absl::StrCat(peer.node, " cannot be asked how it sees ", asked_about, " (",
                                     peer.connected ? "not healthy" : "not connected", ")"));
      continue;
    }
    std::string why;
    if (view.answer.has_value()) {
      const v1::CommandResult& answer = *view.answer;
      absl::StatusOr<std::vector<RingMember>> ring = answer.ok()
                                                         ? ParseNodetoolStatus(answer.output())
                                                         : absl::UnavailableError(answer.message());
      if (!ring.ok()) {
        why = absl::StrCat(peer.node, "'s view: ", ring.status().message());
      } else {
        for (const auto& [node, address] : restarted) {
          const std::string& wanted = address;
          auto member = std::find_if(ring->begin(), ring->end(),
                                     [&](const RingMember& m) { return m.address == wanted; });
          if (member == ring->end()) {
            why = absl::StrCat(peer.node, " does not list ", node, " (", address, ") in its ring");
          } else if (!member->up || member->state != 'N') {
            why = absl::StrCat(peer.node, " sees ", node, " (", address, ") ", StatusCode(*member));
          }
          if (!why.empty()) break;
        }
        if (why.empty()) {
          view.seen_up = true;
          continue;
        }
      }
    } else if (!view.command_id.empty() && now - view.sent_ms < options_.resend_after_ms) {
      waiting.push_back(absl::StrCat("asked ", peer.node, " how it sees ", asked_about));
      continue;
    }
    if (view.command_id.empty() || now - view.sent_ms >= kPeerViewEveryMs) {
      v1::Command command;
      command.set_id(absl::StrCat(key, "-view-", peer.node, "-", ++views_asked_));
      command.set_operation_id(absl::StrCat(op.id()));
      command.set_kind(v1::COMMAND_KIND_PEER_VIEW);
      command.set_service(target.service);
      view.command_id = command.id();
      view.operation = op.id();
      view.sent_ms = now;
      view.answer.reset();
      if (!sender_->SendCommand(peer.node, command)) {
        why = absl::StrCat(peer.node, " is not connected to be asked");
      }
    }
    waiting.push_back(why.empty() ? absl::StrCat("asked ", peer.node, " how it sees ", asked_about)
                                  : std::move(why));
  }
  return absl::StrJoin(waiting, "; ");
}

std::string RollingRestart::ReadTaskGroup(Target& target) {
  if (target.coordination.empty() || task_groups_ == nullptr) return "";
  absl::StatusOr<TaskGroup> group = task_groups_->Read(target.coordination);
  if (!group.ok()) {
    AssignTaskGroup(TaskGroup(), &target.instances);
    return std::string(group.status().message());
  }
  AssignTaskGroup(*group, &target.instances);
  return "";
}

std::string RollingRestart::TaskGroupNotReady(const v1::Operation& op, const v1::RolloutStep& step,
                                              const v1::GetStatusResponse& status) {
  absl::StatusOr<Target> target = targets_->ResolveService(StepService(op, step), status);
  if (!target.ok() || target->coordination.empty()) return "";
  if (std::string error = ReadTaskGroup(*target); !error.empty()) {
    if (op.force()) return "";  // accepted at the start: the check said so
    return absl::StrCat("waiting to read the analyzers' task group: ", error);
  }
  std::vector<std::string> outside;
  for (const Instance& in : target->instances) {
    const bool in_step =
        std::find(step.nodes().begin(), step.nodes().end(), in.node) != step.nodes().end();
    if (!in_step && in.task_member.empty()) outside.push_back(in.node);
  }
  if (outside.empty()) return "";
  return absl::StrCat("waiting for ", absl::StrJoin(outside, ", "),
                      " to join the task group, so the scheduled tasks have somewhere to go");
}

std::string RollingRestart::OverBudget(const v1::Operation& op, const v1::RolloutStep& step,
                                       const std::vector<v1::Operation>& active,
                                       const v1::GetStatusResponse& status) {
  absl::StatusOr<std::shared_ptr<const DesiredState::Current>> current = state_->CurrentPlans();
  if (!current.ok()) {
    return absl::StrCat("waiting to read the disruption budget: ", current.status().message());
  }
  const int budget = (*current)->max_nodes_disrupted;
  // Each disrupted host with why; the step's own hosts count once.
  std::map<std::string, std::string> disrupted;
  for (const v1::Operation& other : active) {
    if (other.id() == op.id() || other.kind() != v1::OPERATION_KIND_ROLLING_RESTART) continue;
    for (const v1::RolloutStep& s : other.steps()) {
      if (s.state() != v1::STEP_STATE_RESTARTING) continue;
      for (const std::string& node : s.nodes()) {
        disrupted.emplace(node, absl::StrCat(node, " (operation ", other.id(), " restarts ",
                                             StepService(other, s), ")"));
      }
    }
  }
  if (!op.force()) {
    // --on-failure continue accepted going on without the hosts its own
    // failed steps left down (roles without a quorum only).
    std::set<std::string> accepted;
    if (op.continue_on_failure()) {
      for (const v1::RolloutStep& s : op.steps()) {
        if (s.state() == v1::STEP_STATE_FAILED) accepted.insert(s.nodes().begin(), s.nodes().end());
      }
    }
    for (const v1::NodeStatus& n : status.nodes()) {
      // Not connected is unknown, not down: its roles may well run.
      if (!n.connected() || accepted.contains(n.node())) continue;
      for (const v1::RoleStatus& r : n.roles()) {
        if (r.health() == v1::HEALTH_HEALTHY) continue;
        disrupted.emplace(
            n.node(), absl::StrCat(n.node(), " (", r.service(), " ", EnumText(r.health()), ")"));
        break;
      }
    }
  }
  std::vector<std::string> others;
  for (const auto& [node, why] : disrupted) {
    if (std::find(step.nodes().begin(), step.nodes().end(), node) == step.nodes().end()) {
      others.push_back(why);
    }
  }
  if (static_cast<int>(others.size()) + step.nodes_size() <= budget) return "";
  return absl::StrCat("waiting for the disruption budget (max_nodes_disrupted ", budget,
                      "): ", absl::StrJoin(others, ", "));
}

}  // namespace bamctl
