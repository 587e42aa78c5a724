#include "controller/rollout/engine.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "proto/enum_text.h"
#include "roles/probe/probe_runner.h"
#include "roles/render/node_renderer.h"
#include "roles/spec/role_kind.h"
#include "spdlog/spdlog.h"

namespace bamctl {
namespace {

constexpr int64_t kDefaultHealthTimeoutMs = int64_t{5} * 60 * 1000;
constexpr int64_t kAutoRolloutWaitMs = int64_t{10} * 60 * 1000;

const v1::RoleStatus* FindRole(const v1::GetStatusResponse& status, const std::string& node,
                               const std::string& service, bool* connected) {
  for (const v1::NodeStatus& n : status.nodes()) {
    if (n.node() != node) continue;
    if (connected != nullptr) *connected = n.connected();
    for (const v1::RoleStatus& r : n.roles()) {
      if (r.service() == service) return &r;
    }
  }
  return nullptr;
}

std::string OrderName(RestartSafety::Order order) {
  switch (order) {
    case RestartSafety::Order::kFollowersBeforeLeader:
      return "followers one at a time, the leader last (modes as the servers report them)";
    case RestartSafety::Order::kOneAtATimeDrainFirst:
      return "one node at a time, drained before the stop";
    case RestartSafety::Order::kStandbyBeforeActive:
      return "standby analyzers before the task holder";
    case RestartSafety::Order::kSingleInstanceDowntime:
      return "the single instance, with downtime";
    case RestartSafety::Order::kAnyOrder:
      return "in batches, spec order";
  }
  return "";
}

// "zk_synced_followers\t2" and friends from a mntr reply.
std::map<std::string, std::string> ParseMntr(const std::string& reply) {
  std::map<std::string, std::string> out;
  for (absl::string_view line : absl::StrSplit(reply, '\n')) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('\t', 1));
    if (!kv.first.empty()) out[kv.first] = kv.second;
  }
  return out;
}

}  // namespace

RolloutEngine::RolloutEngine(Store* store, DesiredState* state, CommandSender* sender,
                             const Clock* clock, FourLetterWord four_letter_word, Options options)
    : store_(store),
      state_(state),
      sender_(sender),
      clock_(clock),
      four_letter_word_(std::move(four_letter_word)),
      options_(options) {}

RolloutEngine::~RolloutEngine() { Stop(); }

void RolloutEngine::Start() {
  thread_ = std::thread([this] {
    while (true) {
      Tick();
      absl::MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return stop_; };
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping),
                               absl::Milliseconds(options_.tick.count()))) {
        return;
      }
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

void RolloutEngine::OnCommandResult(const std::string& node, const v1::CommandResult& result) {
  spdlog::info("command {} on {}: {} {}", result.command_id(), node, result.ok() ? "ok" : "failed",
               result.message());
  absl::MutexLock lock(&mu_);
  results_[result.command_id()] = result;
}

absl::StatusOr<RolloutEngine::Target> RolloutEngine::Resolve(const std::string& role,
                                                             const v1::GetStatusResponse& status) {
  if (!ParseRoleName(role)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown role \"", role, "\"; valid roles: ", ValidRoleNamesForError()));
  }
  absl::StatusOr<std::shared_ptr<const DesiredState::Current>> current = state_->CurrentPlans();
  if (!current.ok()) return current.status();
  if ((*current)->version == 0) {
    return absl::FailedPreconditionError("no desired state has been applied yet");
  }
  Target target;
  for (const v1::NodePlan& plan : (*current)->plans) {
    if (std::find(plan.roles().begin(), plan.roles().end(), role) == plan.roles().end()) continue;
    absl::StatusOr<std::vector<ServiceDescription>> services = DescribeNode(plan);
    if (!services.ok()) return services.status();
    for (const ServiceDescription& s : *services) {
      if (std::find(s.roles.begin(), s.roles.end(), role) == s.roles.end()) continue;
      target.service = s.name;
      target.safety = s.restart;
      Instance in;
      in.node = plan.node();
      in.address = plan.address();
      const v1::RoleStatus* r = FindRole(status, plan.node(), s.name, &in.connected);
      in.healthy = r != nullptr && r->health() == v1::HEALTH_HEALTHY;
      in.restart_pending = r != nullptr && r->restart_pending();
      for (const Probe& p : s.probes) {
        if (p.kind == Probe::Kind::kZooKeeper) target.zookeeper_probe[plan.node()] = p;
      }
      target.instances.push_back(in);
    }
  }
  return target;
}

bool RolloutEngine::EnsembleSynced(const Target& target, std::string* why) {
  int leaders = 0;
  for (const auto& [node, probe] : target.zookeeper_probe) {
    absl::StatusOr<std::string> mntr = four_letter_word_(probe.host, probe.port, "mntr");
    if (!mntr.ok()) continue;
    std::map<std::string, std::string> m = ParseMntr(*mntr);
    if (m["zk_server_state"] != "leader") continue;
    ++leaders;
    int synced = 0;
    (void)absl::SimpleAtoi(m["zk_synced_followers"], &synced);
    const int want = static_cast<int>(target.zookeeper_probe.size()) - 1;
    if (synced < want) {
      *why = absl::StrCat("leader ", node, " reports ", synced, " of ", want, " followers synced");
      return false;
    }
  }
  if (leaders != 1) {
    *why = absl::StrCat("the ensemble has ", leaders, " leaders");
    return false;
  }
  return true;
}

absl::StatusOr<v1::Operation> RolloutEngine::StartRollingRestart(
    const v1::RollingRestartRequest& request) {
  absl::MutexLock ops(&ops_mu_);
  return StartLocked(request);
}

absl::StatusOr<int64_t> RolloutEngine::RequestPendingRollout(int64_t version,
                                                             const std::string& author) {
  absl::MutexLock ops(&ops_mu_);
  v1::Operation op;
  op.set_kind(v1::OPERATION_KIND_AUTO_ROLLOUT);
  op.set_state(v1::OPERATION_STATE_WAITING);
  op.set_version(version);
  op.set_author(author);
  op.set_health_timeout_ms(kAutoRolloutWaitMs);
  op.set_reason(absl::StrCat("waiting for every agent to hold version ", version));
  return store_->CreateOperation(
      op, absl::StrCat("auto-rollout of what version ", version, " leaves restart pending"));
}

void RolloutEngine::AdvanceAuto(v1::Operation& op) {
  const int64_t now = clock_->NowMillis();
  auto finish = [&](v1::OperationState state, const std::string& reason) {
    op.set_state(state);
    op.set_reason(reason);
    if (absl::Status s = store_->UpdateOperation(op, reason); !s.ok()) {
      spdlog::error("saving operation {}: {}", op.id(), s.ToString());
    }
  };
  absl::StatusOr<std::shared_ptr<const DesiredState::Current>> current = state_->CurrentPlans();
  if (!current.ok()) return;
  if ((*current)->version != op.version()) {
    finish(v1::OPERATION_STATE_ABORTED,
           absl::StrCat("superseded by version ", (*current)->version));
    return;
  }
  absl::StatusOr<v1::GetStatusResponse> status = state_->Status();
  if (!status.ok()) return;
  std::vector<std::string> behind;
  for (const v1::NodeStatus& n : status->nodes()) {
    if (!n.connected() || n.applied_version() != op.version()) behind.push_back(n.node());
  }
  if (!behind.empty()) {
    if (now - op.created_ms() > op.health_timeout_ms()) {
      finish(v1::OPERATION_STATE_FAILED,
             absl::StrCat("not every agent took version ", op.version(), " within ",
                          op.health_timeout_ms() / 1000, " s: ", absl::StrJoin(behind, ", ")));
    }
    return;
  }
  // Services left restart pending, by one of their roles (the planner
  // takes a role), in spec order.
  std::vector<std::pair<std::string, std::string>> pending;  // service, role
  for (const v1::NodeStatus& n : status->nodes()) {
    const v1::NodePlan* plan = (*current)->Find(n.node());
    if (plan == nullptr) continue;
    for (const v1::RoleStatus& r : n.roles()) {
      if (!r.restart_pending()) continue;
      if (std::any_of(pending.begin(), pending.end(),
                      [&](const auto& p) { return p.first == r.service(); })) {
        continue;
      }
      absl::StatusOr<std::vector<ServiceDescription>> services = DescribeNode(*plan);
      if (!services.ok()) continue;
      for (const ServiceDescription& s : *services) {
        if (s.name == r.service() && !s.roles.empty()) pending.emplace_back(s.name, s.roles[0]);
      }
    }
  }
  // Each round starts what it can. A service with an operation running is
  // in progress; one needing downtime is left to an operator; other
  // refusals (a member unhealthy) are retried until the deadline.
  std::vector<std::string> left;
  std::vector<std::string> blocked;
  bool in_progress = false;
  for (const auto& [service, role] : pending) {
    // Started before: a running child is progress; a finished one that
    // left it pending (failed, aborted) is not started again.
    const v1::RolloutStep* earlier = nullptr;
    for (const v1::RolloutStep& step : op.steps()) {
      if (step.nodes(0) == service) earlier = &step;
    }
    if (earlier != nullptr) {
      int64_t child_id = 0;
      (void)absl::SimpleAtoi(earlier->command_ids(0), &child_id);
      absl::StatusOr<v1::Operation> child = store_->GetOperation(child_id);
      if (child.ok() && (child->state() == v1::OPERATION_STATE_RUNNING ||
                         child->state() == v1::OPERATION_STATE_PAUSED)) {
        in_progress = true;
      } else {
        left.push_back(absl::StrCat(service, " (operation ", child_id, " ",
                                    child.ok() ? EnumText(child->state()) : "lost", ")"));
      }
      continue;
    }
    v1::RollingRestartRequest request;
    request.set_role(role);
    request.set_pending_only(true);
    request.set_author(absl::StrCat("auto-rollout ", op.id()));
    absl::StatusOr<v1::Operation> child = StartLocked(request);
    if (child.ok()) {
      v1::RolloutStep* step = op.add_steps();  // a record of the children
      step->set_index(op.steps_size());
      step->add_nodes(service);
      step->set_state(v1::STEP_STATE_DONE);
      step->set_started_ms(now);
      step->set_message(absl::StrCat("operation ", child->id()));
      step->add_command_ids(absl::StrCat(child->id()));
      in_progress = true;
    } else if (child.status().code() == absl::StatusCode::kAlreadyExists) {
      in_progress = true;
    } else if (absl::StrContains(child.status().message(), "--allow-downtime")) {
      left.push_back(absl::StrCat(service, " (needs --allow-downtime)"));
    } else {
      blocked.push_back(absl::StrCat(service, ": ", child.status().message()));
    }
  }
  std::string started;
  for (const v1::RolloutStep& step : op.steps()) {
    absl::StrAppend(&started, started.empty() ? "" : ", ", step.nodes(0), " (", step.message(),
                    ")");
  }
  std::string reason = started.empty() ? "nothing was restart pending" : "started " + started;
  if (!left.empty()) absl::StrAppend(&reason, "; left pending: ", absl::StrJoin(left, ", "));
  if (!blocked.empty() && now - op.created_ms() > op.health_timeout_ms()) {
    finish(v1::OPERATION_STATE_FAILED,
           absl::StrCat(reason, "; could not start: ", absl::StrJoin(blocked, "; ")));
    return;
  }
  if (in_progress || !blocked.empty()) {
    const std::string waiting =
        blocked.empty() ? absl::StrCat(reason, "; waiting for them to finish")
                        : absl::StrCat(reason, "; retrying: ", absl::StrJoin(blocked, "; "));
    if (op.reason() != waiting) {
      op.set_reason(waiting);
      if (absl::Status st = store_->UpdateOperation(op, ""); !st.ok()) {
        spdlog::error("saving operation {}: {}", op.id(), st.ToString());
      }
    }
    return;
  }
  finish(v1::OPERATION_STATE_SUCCEEDED, reason);
}

absl::StatusOr<v1::Operation> RolloutEngine::StartLocked(const v1::RollingRestartRequest& request) {
  absl::StatusOr<v1::GetStatusResponse> status = state_->Status();
  if (!status.ok()) return status.status();
  absl::StatusOr<Target> target = Resolve(request.role(), *status);
  if (!target.ok()) return target.status();
  // The leader is asked for, not assumed: each server reports its mode.
  for (Instance& in : target->instances) {
    auto probe = target->zookeeper_probe.find(in.node);
    if (probe == target->zookeeper_probe.end()) continue;
    absl::StatusOr<std::string> srvr =
        four_letter_word_(probe->second.host, probe->second.port, "srvr");
    if (srvr.ok()) in.zookeeper_mode = ZooKeeperModeOf(*srvr);
  }
  RolloutRequest r;
  r.role = request.role();
  r.nodes.assign(request.nodes().begin(), request.nodes().end());
  r.batch_size = request.batch_size() > 0 ? request.batch_size() : 1;
  r.allow_downtime = request.allow_downtime();
  r.force = request.force();
  r.pending_only = request.pending_only();
  absl::StatusOr<RolloutPlan> plan =
      PlanRollout(r, target->service, target->safety, target->instances);
  if (!plan.ok()) return plan.status();
  if (request.continue_on_failure() && plan->safety.order != RestartSafety::Order::kAnyOrder) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--on-failure=continue would restart more ", plan->service,
        " instances while a failed one is down; it is allowed only for roles without a "
        "quorum or single master"));
  }

  v1::Operation op;
  op.set_kind(v1::OPERATION_KIND_ROLLING_RESTART);
  op.set_role(request.role());
  op.set_service(plan->service);
  op.set_author(request.author());
  op.set_health_timeout_ms(request.health_timeout_ms() > 0 ? request.health_timeout_ms()
                                                           : kDefaultHealthTimeoutMs);
  op.set_pause_between_ms(request.pause_between_ms());
  op.set_continue_on_failure(request.continue_on_failure());
  op.set_order(OrderName(plan->safety.order));
  op.set_forced(plan->forced);
  for (const PreCheck& c : plan->checks) {
    v1::PreCheckResult* out = op.add_checks();
    out->set_name(c.name);
    out->set_ok(c.ok);
    out->set_detail(c.detail);
  }
  for (size_t i = 0; i < plan->batches.size(); ++i) {
    v1::RolloutStep* step = op.add_steps();
    step->set_index(static_cast<int>(i) + 1);
    for (const std::string& n : plan->batches[i]) step->add_nodes(n);
    step->set_state(v1::STEP_STATE_PENDING);
  }
  if (request.dry_run()) {
    op.set_state(v1::OPERATION_STATE_PLANNED);
    return op;
  }
  if (op.steps().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("nothing to restart: no instance of ", request.role(),
                     request.pending_only() ? " has a restart pending" : " matches"));
  }
  absl::StatusOr<std::vector<v1::Operation>> active = store_->ListOperations(1000, true);
  if (!active.ok()) return active.status();
  for (const v1::Operation& other : *active) {
    if (other.kind() == v1::OPERATION_KIND_ROLLING_RESTART && other.service() == op.service()) {
      return absl::AlreadyExistsError(absl::StrCat("operation ", other.id(), " is already ",
                                                   EnumText(other.state()), " on ", other.service(),
                                                   "; wait for it, or abort it"));
    }
  }
  op.set_state(v1::OPERATION_STATE_RUNNING);
  absl::StatusOr<int64_t> id = store_->CreateOperation(
      op, absl::StrCat("rolling restart of ", op.role(), " (", op.steps_size(), " steps)"));
  if (!id.ok()) return id.status();
  return store_->GetOperation(*id);
}

absl::StatusOr<v1::Operation> RolloutEngine::Control(const v1::ControlOperationRequest& request) {
  absl::MutexLock ops(&ops_mu_);
  absl::StatusOr<v1::Operation> op = store_->GetOperation(request.id());
  if (!op.ok()) return op.status();
  const v1::OperationAction action = request.action();
  const v1::OperationState s = op->state();
  v1::OperationState next = v1::OPERATION_STATE_UNSPECIFIED;
  if (action == v1::OPERATION_ACTION_PAUSE && s == v1::OPERATION_STATE_RUNNING) {
    next = v1::OPERATION_STATE_PAUSED;
  } else if (action == v1::OPERATION_ACTION_RESUME && s == v1::OPERATION_STATE_PAUSED) {
    next = v1::OPERATION_STATE_RUNNING;
  } else if (action == v1::OPERATION_ACTION_ABORT &&
             (s == v1::OPERATION_STATE_RUNNING || s == v1::OPERATION_STATE_PAUSED)) {
    next = v1::OPERATION_STATE_ABORTED;
    op->set_reason(
        absl::StrCat("aborted by ", request.author().empty() ? "an operator" : request.author()));
  } else if (action == v1::OPERATION_ACTION_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown action (valid: ", EnumTexts<v1::OperationAction>(", "), ")"));
  } else {
    return absl::FailedPreconditionError(absl::StrCat("operation ", op->id(), " is ", EnumText(s),
                                                      "; cannot ", EnumText(action), " it"));
  }
  op->set_state(next);
  if (absl::Status st = store_->UpdateOperation(
          *op, absl::StrCat(EnumText(action), " (now ", EnumText(next), ")"));
      !st.ok()) {
    return st;
  }
  return store_->GetOperation(op->id());
}

void RolloutEngine::Tick() {
  absl::MutexLock ops(&ops_mu_);
  absl::StatusOr<std::vector<v1::Operation>> active = store_->ListOperations(1000, true);
  if (!active.ok()) {
    spdlog::error("listing operations: {}", active.status().ToString());
    return;
  }
  for (v1::Operation& op : *active) {
    if (op.kind() == v1::OPERATION_KIND_AUTO_ROLLOUT && op.state() == v1::OPERATION_STATE_WAITING) {
      AdvanceAuto(op);
    } else if (op.state() == v1::OPERATION_STATE_RUNNING) {
      Advance(op);
    }
  }
}

void RolloutEngine::Advance(v1::Operation& op) {
  const int64_t now = clock_->NowMillis();
  auto save = [&](const std::string& event) {
    if (absl::Status s = store_->UpdateOperation(op, event); !s.ok()) {
      spdlog::error("saving operation {}: {}", op.id(), s.ToString());
    }
  };
  v1::RolloutStep* step = nullptr;
  int64_t previous_finished = 0;
  std::vector<std::string> failed_nodes;
  for (v1::RolloutStep& s : *op.mutable_steps()) {
    if (s.state() == v1::STEP_STATE_DONE ||
        s.state() == v1::STEP_STATE_FAILED) {  // failed: only with continue
      previous_finished = s.finished_ms();
      if (s.state() == v1::STEP_STATE_FAILED) {
        failed_nodes.insert(failed_nodes.end(), s.nodes().begin(), s.nodes().end());
      }
      continue;
    }
    step = &s;
    break;
  }
  if (step == nullptr) {
    if (failed_nodes.empty()) {
      op.set_state(v1::OPERATION_STATE_SUCCEEDED);
      save(absl::StrCat("succeeded: ", op.role(), " restarted on every node"));
    } else {
      op.set_state(v1::OPERATION_STATE_FAILED);
      op.set_reason(absl::StrCat("every step ran; failed on ", absl::StrJoin(failed_nodes, ", ")));
      save(op.reason());
    }
    return;
  }
  absl::StatusOr<v1::GetStatusResponse> status = state_->Status();
  if (!status.ok()) return;

  if (step->state() == v1::STEP_STATE_PENDING) {
    if (previous_finished > 0 && now < previous_finished + op.pause_between_ms()) return;
    std::vector<std::string> missing;
    for (const std::string& node : step->nodes()) {
      bool connected = false;
      FindRole(*status, node, op.service(), &connected);
      if (!connected) missing.push_back(node);
    }
    if (!missing.empty()) {
      const std::string message =
          absl::StrCat("waiting for the agent of ", absl::StrJoin(missing, ", "), " to connect");
      if (step->message() != message) {
        step->set_message(message);
        save("");
      }
      return;
    }
    // Written before a command leaves: a controller that dies right after
    // resends the same ids, which the agents answer without restarting.
    step->set_state(v1::STEP_STATE_RESTARTING);
    step->set_started_ms(now);
    step->clear_message();
    step->clear_command_ids();
    for (const std::string& node : step->nodes()) {
      const v1::RoleStatus* r = FindRole(*status, node, op.service(), nullptr);
      (*step->mutable_old_pids())[node] = r != nullptr ? r->pid() : 0;
      step->add_command_ids(absl::StrCat("op", op.id(), "-step", step->index(), "-", node));
    }
    save(absl::StrCat("step ", step->index(), " of ", op.steps_size(), ": restarting ",
                      op.service(), " on ", absl::StrJoin(step->nodes(), ", ")));
  }

  // A failed step ends the operation, unless it may go on without it.
  auto fail_step = [&](const std::string& message) {
    step->set_state(v1::STEP_STATE_FAILED);
    step->set_finished_ms(now);
    step->set_message(message);
    if (op.continue_on_failure()) {
      save(absl::StrCat("step ", step->index(), " failed (continuing): ", message));
      return;
    }
    op.set_state(v1::OPERATION_STATE_FAILED);
    op.set_reason(absl::StrCat("step ", step->index(), " failed: ", message,
                               "; later steps were not started"));
    save(op.reason());
  };
  // The role runs a process other than the one before the step.
  auto restarted = [&](const std::string& node, const v1::RoleStatus* r) {
    auto old = step->old_pids().find(node);
    return r != nullptr && r->pid() != 0 &&
           (old == step->old_pids().end() || r->pid() != old->second);
  };

  // Restarting: (re)send what has no answer and no visible effect (the
  // role still runs the old process), then wait for healthy.
  for (int i = 0; i < step->nodes_size(); ++i) {
    const std::string& node = step->nodes(i);
    const std::string& id = step->command_ids(i);
    const bool done = restarted(node, FindRole(*status, node, op.service(), nullptr));
    bool send = false;
    {
      absl::MutexLock lock(&mu_);
      auto result = results_.find(id);
      if (result != results_.end()) {
        if (!result->second.ok()) {
          fail_step(absl::StrCat(node, ": ", result->second.message()));
          return;
        }
        continue;
      }
      auto sent = sent_ms_.find(id);
      send =
          !done && (sent == sent_ms_.end() || now - sent->second >= options_.resend_after.count());
      if (send) sent_ms_[id] = now;
    }
    if (send) {
      v1::Command command;
      command.set_id(id);
      command.set_operation_id(absl::StrCat(op.id()));
      command.set_kind(v1::COMMAND_KIND_RESTART);
      command.set_service(op.service());
      if (!sender_->SendCommand(node, command)) {
        spdlog::warn("operation {}: {} not connected; will resend", op.id(), node);
      }
    }
  }

  std::string waiting;
  for (const std::string& node : step->nodes()) {
    bool connected = false;
    const v1::RoleStatus* r = FindRole(*status, node, op.service(), &connected);
    if (r == nullptr || !connected) {
      waiting = absl::StrCat(node, ": no report from its agent");
    } else if (!restarted(node, r)) {
      waiting = absl::StrCat(node, ": not restarted yet (", EnumText(r->phase()), ")");
    } else if (r->health() != v1::HEALTH_HEALTHY || r->restart_pending()) {
      waiting = absl::StrCat(node, ": ", EnumText(r->phase()), r->reason().empty() ? "" : ": ",
                             r->reason());
    }
    if (!waiting.empty()) break;
  }
  if (waiting.empty()) {
    // A quorum member is back when its ensemble is whole again, not when
    // it answers alone.
    absl::StatusOr<Target> target = Resolve(op.role(), *status);
    std::string why;
    if (target.ok() && target->safety.order == RestartSafety::Order::kFollowersBeforeLeader &&
        !EnsembleSynced(*target, &why)) {
      waiting = why;
    }
  }
  if (waiting.empty()) {
    step->set_state(v1::STEP_STATE_DONE);
    step->set_finished_ms(now);
    step->clear_message();
    save(absl::StrCat("step ", step->index(), " of ", op.steps_size(), " done in ",
                      (now - step->started_ms()), " ms"));
    return;
  }
  if (now - step->started_ms() > op.health_timeout_ms()) {
    fail_step(absl::StrCat("not healthy within ", op.health_timeout_ms() / 1000, " s: ", waiting));
    return;
  }
  if (step->message() != waiting) {
    step->set_message(waiting);
    save("");
  }
}

}  // namespace bamctl
