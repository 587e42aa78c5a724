#include "agentd/reconciler/reconciler.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "agentd/hosts/hosts_file.h"
#include "agentd/reconciler/launch_spec.h"
#include "common/status_log.h"
#include "common/status_macros.h"
#include "proto/enum_text.h"
#include "roles/render/node_renderer.h"
#include "spdlog/spdlog.h"

namespace bamctl {
namespace {

constexpr int kMaxHandledCommands = 100;

// Shipped files (hadoop-env.sh, cassandra.yaml, ...) are read through the
// host filesystem, like everything the agent touches: they sit in the role
// user's install, and a link planted there must not make root read a file
// of the host into a config the role user can read.
class HostFileSource : public BaseFileSource {
 public:
  explicit HostFileSource(HostFilesystem* fs) : fs_(fs) {}
  absl::StatusOr<std::optional<std::string>> Read(absl::string_view path) const override {
    return fs_->ReadFile(std::string(path));
  }

 private:
  HostFilesystem* fs_;
};

// "v7", or "v7 (epoch 2)" once the controller numbers epochs.
std::string PlanName(int64_t epoch, int64_t version) {
  return epoch == 0 ? absl::StrCat("v", version)
                    : absl::StrCat("v", version, " (epoch ", epoch, ")");
}

AgentPaths PathsOf(const ReconcilerOptions& o) { return {o.node, o.state_dir, o.log_dir}; }

}  // namespace

Reconciler::Reconciler(ReconcilerOptions options, ReconcilerDeps deps, std::function<void()> wake)
    : options_(std::move(options)),
      deps_(std::move(deps)),
      wake_(std::move(wake)),
      rng_(std::random_device{}()),
      files_(deps_.fs, [this](std::string text) { Notice(std::move(text)); }),
      runner_(PathsOf(options_), options_.limits, deps_.launcher, deps_.executor, deps_.health,
              deps_.fs,
              {[this](std::string text) { Notice(std::move(text)); },
               [this](CommandResult result) {
                 if (result.ok) {
                   state_.add_handled_commands(result.command_id);
                   while (state_.handled_commands_size() > kMaxHandledCommands) {
                     state_.mutable_handled_commands()->erase(
                         state_.mutable_handled_commands()->begin());
                   }
                 }
                 command_results_.push_back(std::move(result));
               },
               [this] { state_dirty_ = true; },
               [this] {
                 if (wake_) wake_();
               }}) {
  if (!deps_.random) {
    deps_.random = [this] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); };
  }
}

Reconciler::~Reconciler() = default;

std::unique_ptr<Service> Reconciler::NewService(const std::string& name) {
  return std::make_unique<Service>(name, &options_.restart, deps_.random);
}

void Reconciler::Notice(std::string text) {
  spdlog::info("{}", text);
  const std::string stamp = absl::FormatTime(
      "%Y-%m-%dT%H:%M:%SZ ", absl::FromUnixMillis(deps_.clock->NowMillis()), absl::UTCTimeZone());
  notices_.push_back(stamp + text);
  while (notices_.size() > options_.max_notices) notices_.pop_front();
}

void Reconciler::Start() {
  StateStore::Loaded loaded = deps_.state->Load();
  if (loaded.problem) {
    Notice(absl::StrCat("state ", deps_.state->Where(), " was unusable (", *loaded.problem,
                        "); rebuilding from what runs"));
  }
  state_ = std::move(loaded.state);
  const int64_t now = deps_.clock->MonotonicMillis();
  for (const v1::ServiceState& saved : state_.services()) {
    std::unique_ptr<Service> s = NewService(saved.name());
    s->restarts = saved.restarts();
    const ProcessId id{static_cast<pid_t>(saved.pid()), saved.start_ticks()};
    if (saved.pid() > 0 && deps_.launcher->IsAlive(id)) {
      s->proc = id;
      s->has_run = true;
      s->running_hash = saved.config_hash();
      s->started_ms = now;
      s->started_wall_ms = deps_.clock->NowMillis();
      s->life.To(ServiceState::kStarting);
      spdlog::info("adopted {} (pid {})", s->name, id.pid);
    } else if (saved.pid() > 0) {
      Notice(absl::StrCat(s->name, " (pid ", saved.pid(), ") ended while the agent was away"));
      s->has_run = true;
      s->life.To(ServiceState::kExited);
    }
    const ProcessId init{static_cast<pid_t>(saved.init_pid()), saved.init_start_ticks()};
    if (saved.init_pid() > 0 && deps_.launcher->IsAlive(init)) {
      s->init_proc = init;
      s->init_name = saved.init_step();
      s->init_started_ms = now;
      if (!s->life.HasProcess()) s->life.To(ServiceState::kInitializing);
    }
    services_[s->name] = std::move(s);
  }
}

PlanVerdict Reconciler::OfferPlan(const v1::PlanUpdate& update) {
  PlanVerdict verdict;
  const std::string offered = PlanName(update.epoch(), update.version());
  // The cluster this agent belongs to: pinned by its first plan. State files
  // from before the pin have it in the plan they hold.
  const std::string& pinned =
      state_.cluster_name().empty() ? state_.plan().cluster_name() : state_.cluster_name();
  const bool holds_plan = state_.has_plan();
  if (update.plan().node() != options_.node) {
    verdict.reason =
        absl::StrCat("refused plan ", offered, ": it is for node \"", update.plan().node(),
                     "\", this agent is node \"", options_.node, "\"");
  } else if (holds_plan && update.plan().cluster_name() != pinned) {
    verdict.reason = absl::StrCat("refused plan ", offered, ": it is for cluster \"",
                                  update.plan().cluster_name(), "\", this agent belongs to \"",
                                  pinned, "\" (pinned by the first plan it accepted)");
  } else if (update.epoch() < state_.plan_epoch()) {
    verdict.reason =
        absl::StrCat("refused plan ", offered, ": from an older controller epoch than the ",
                     PlanName(state_.plan_epoch(), state_.plan_version()), " this agent holds");
  } else if (update.epoch() == state_.plan_epoch() && update.version() < state_.plan_version()) {
    verdict.reason =
        absl::StrCat("refused plan ", offered, ": older than the ",
                     PlanName(state_.plan_epoch(), state_.plan_version()), " this agent holds");
  }
  if (!verdict.reason.empty()) {
    Notice(verdict.reason);
    return verdict;
  }
  verdict.accepted = true;
  if (update.epoch() == state_.plan_epoch() && update.version() == state_.plan_version() &&
      update.plan_hash() == state_.plan_hash()) {
    return verdict;
  }
  // The host policy, before anything is saved or acted on: a plan outside
  // it is refused whole. Secrets first, since rendering reads them as root;
  // one that cannot render yet is checked on the pass.
  absl::Status allowed = CheckSecrets(update.plan());
  if (allowed.ok() && options_.policy.has_value()) {
    absl::StatusOr<std::vector<ServicePlan>> services = Render(update.plan());
    if (services.ok()) allowed = CheckPolicy(update.plan(), *services);
  }
  if (!allowed.ok()) {
    verdict.accepted = false;
    verdict.reason = absl::StrCat("refused plan ", offered, ": ", allowed.message());
    Notice(verdict.reason);
    return verdict;
  }
  verdict.changed = true;
  state_.set_plan_epoch(update.epoch());
  state_.set_plan_version(update.version());
  state_.set_plan_hash(update.plan_hash());
  if (state_.cluster_name().empty()) state_.set_cluster_name(update.plan().cluster_name());
  *state_.mutable_plan() = update.plan();
  *state_.mutable_hosts() = update.hosts();
  SaveState();  // the plan is persisted before anything acts on it
  plan_unsaved_ = state_dirty_;
  return verdict;
}

void Reconciler::OfferCommand(const v1::Command& command) {
  const auto& handled = state_.handled_commands();
  if (!command.id().empty() &&
      std::find(handled.begin(), handled.end(), command.id()) != handled.end()) {
    command_results_.push_back({command.id(), true, "already carried out"});
    return;
  }
  for (const auto& [name, s] : services_) {
    const auto& ids = s->restart_commands;
    if (std::find(ids.begin(), ids.end(), command.id()) != ids.end()) return;  // in progress
  }
  switch (command.kind()) {
    case v1::COMMAND_KIND_PREFLIGHT:
      // Preflight runs on every pass (node checks, and each service before
      // it starts); the answer is that the next report carries it.
      command_results_.push_back({command.id(), true, "preflight runs on every pass; see status"});
      return;
    case v1::COMMAND_KIND_RESTART:
      break;
    case v1::COMMAND_KIND_PEER_VIEW:
      OfferPeerView(command);
      return;
    default:
      command_results_.push_back({command.id(), false,
                                  absl::StrCat("unknown command kind \"", EnumText(command.kind()),
                                               "\" (", EnumTexts<v1::CommandKind>(", "), ")")});
      return;
  }
  auto it = services_.find(command.service());
  if (it == services_.end() || !it->second->in_plan) {
    command_results_.push_back(
        {command.id(), false,
         absl::StrCat("node ", options_.node, " runs no service \"", command.service(), "\"")});
    return;
  }
  it->second->restart_requested = true;
  it->second->restart_commands.push_back(command.id());
}

void Reconciler::OfferPeerView(const v1::Command& command) {
  auto it = services_.find(command.service());
  std::string refusal;
  if (it == services_.end() || !it->second->in_plan) {
    refusal = absl::StrCat("node ", options_.node, " runs no service \"", command.service(), "\"");
  } else if (it->second->plan.restart.peer_view.empty()) {
    refusal = absl::StrCat(command.service(),
                           " has no peer view (only Cassandra's nodes see each "
                           "other through gossip)");
  } else if (!it->second->proc.has_value()) {
    refusal = absl::StrCat(command.service(), " on ", options_.node, " is not running (",
                           EnumText(it->second->phase), ")");
  }
  if (!refusal.empty()) {
    command_results_.push_back({command.id(), false, std::move(refusal)});
    return;
  }
  runner_.QueryPeerView(*it->second, command.id());
}

void Reconciler::SetClockOffset(std::optional<int64_t> offset_ms) { clock_offset_ms_ = offset_ms; }

std::vector<CommandResult> Reconciler::TakeCommandResults() {
  std::vector<CommandResult> results = std::exchange(command_results_, {});
  for (CommandResult& r : runner_.TakeQueryResults()) results.push_back(std::move(r));
  return results;
}

void Reconciler::SaveState() {
  state_.clear_services();
  for (const auto& [name, s] : services_) {
    v1::ServiceState* saved = state_.add_services();
    saved->set_name(name);
    if (s->proc) {
      saved->set_pid(s->proc->pid);
      saved->set_start_ticks(s->proc->start_ticks);
      saved->set_config_hash(s->running_hash);
    }
    saved->set_restarts(s->restarts);
    if (s->init_proc) {
      saved->set_init_pid(s->init_proc->pid);
      saved->set_init_start_ticks(s->init_proc->start_ticks);
      saved->set_init_step(s->init_name);
    }
  }
  if (absl::Status saved = deps_.state->Save(state_); !saved.ok()) {
    Notice(absl::StrCat("cannot save state: ", saved.message()));
    state_dirty_ = true;  // the next pass tries again
    return;
  }
  state_dirty_ = false;
}

void Reconciler::SyncHosts() {
  if (options_.hosts_file.empty()) return;
  const v1::NodePlan& plan = state_.plan();
  std::vector<v1::HostEntry> entries;
  if (plan.manage_hosts_file()) {
    // The list that came with the plan; a plan from an older controller, or
    // a state file from an older agent, carries it in the plan itself.
    const auto& hosts = state_.hosts().entries_size() > 0 ? state_.hosts().entries() : plan.hosts();
    entries.assign(hosts.begin(), hosts.end());
  }
  absl::StatusOr<bool> wrote = SyncHostsFile(options_.hosts_file, plan.cluster_name(), entries);
  if (!wrote.ok()) {
    Notice(absl::StrCat("hosts file: ", wrote.status().message()));
  } else if (*wrote) {
    spdlog::info("updated the cluster's host entries in {}", options_.hosts_file);
  }
}

void Reconciler::ApplyStopCompletions(int64_t now) {
  for (StopCompletion& c : runner_.TakeStopCompletions()) {
    auto it = services_.find(c.service);
    if (it == services_.end()) continue;
    Service& s = *it->second;
    if (!c.status.ok()) {
      Notice(absl::StrCat("stopping ", s.name, ": ", c.status.message()));
      s.life.To(ServiceState::kStarting);  // still alive: its probes decide again
      // A restart asked for and refused before the stop ends here, said so;
      // it is not tried again on its own.
      for (const std::string& cmd : s.restart_commands) {
        command_results_.push_back({cmd, false, std::string(c.status.message())});
      }
      s.restart_commands.clear();
      continue;
    }
    s.proc.reset();
    state_dirty_ = true;
    if (s.life.state() == ServiceState::kStopping) {
      services_.erase(it);
      continue;
    }
    s.life.To(ServiceState::kExited);  // kRestarting: start again at once
    s.backoff.StartNow(now);
  }
}

absl::StatusOr<std::vector<ServicePlan>> Reconciler::Render(const v1::NodePlan& plan) const {
  HostFileSource base(deps_.fs);
  RenderContext ctx;
  ctx.secrets = deps_.secrets;
  ctx.base = &base;
  ctx.root = options_.root_dir;
  ctx.fall_back_to_stock = options_.fall_back_to_stock;
  return RenderNode(plan, ctx);
}

absl::Status Reconciler::CheckPolicy(const v1::NodePlan& plan,
                                     const std::vector<ServicePlan>& services) const {
  if (!options_.policy.has_value()) return absl::OkStatus();
  return CheckHostPolicy(*options_.policy, plan.manage_hosts_file(), services,
                         [this](const std::string& user) { return deps_.fs->UserId(user); });
}

absl::Status Reconciler::CheckSecrets(const v1::NodePlan& plan) const {
  if (!options_.policy.has_value()) return absl::OkStatus();
  std::vector<std::string> paths;
  for (const v1::DataSourcePlan& ds : plan.bam().datasources()) {
    if (!ds.password_file().empty()) paths.push_back(options_.root_dir + ds.password_file());
  }
  return CheckSecretFiles(*options_.policy, paths);
}

bool Reconciler::RenderAndSync(std::vector<ServicePlan>* rendered) {
  absl::Status allowed = CheckSecrets(state_.plan());
  absl::StatusOr<std::vector<ServicePlan>> services =
      allowed.ok() ? Render(state_.plan()) : absl::StatusOr<std::vector<ServicePlan>>(allowed);
  if (allowed.ok() && services.ok()) allowed = CheckPolicy(state_.plan(), *services);
  std::string problem;
  if (!allowed.ok()) {
    // Checked again here: a plan held from before the policy, or one that
    // could not render when offered. Nothing is written or started.
    problem = absl::StrCat("refused the plan: ", allowed.message());
    if (problem != render_error_) Notice(problem);
    render_error_ = problem;
    return false;
  } else if (!services.ok()) {
    problem = absl::StrCat("cannot render the plan: ", services.status().message());
  } else {
    SyncHosts();
    for (const ServicePlan& plan : *services) files_.SyncDirectoriesAndRemovals(plan);
    if (absl::Status written = files_.SyncFiles(*services); !written.ok()) {
      problem = absl::StrCat("cannot write config files: ", written.message());
    }
    *rendered = std::move(*services);
  }
  if (problem != render_error_ && !problem.empty()) Notice(problem);
  render_error_ = problem;
  return services.ok();
}

void Reconciler::UpdateServices(std::vector<ServicePlan> rendered, int64_t now) {
  for (auto& [name, s] : services_) s->in_plan = false;
  for (ServicePlan& plan : rendered) {
    std::unique_ptr<Service>& slot = services_[plan.name];
    if (!slot) {
      slot = NewService(plan.name);
      // No record of it (first start, or a lost state file): a copy may
      // still run, started by an earlier agent. Adopt it, never start a
      // second one; its files are unknown, so it is marked for restart.
      if (std::optional<ProcessId> found =
              deps_.launcher->FindByMarker(ServiceMarker(runner_.paths(), plan.name))) {
        slot->proc = found;
        slot->has_run = true;
        slot->started_ms = now;
        slot->started_wall_ms = deps_.clock->NowMillis();
        slot->life.To(ServiceState::kStarting);
        Notice(absl::StrCat("adopted ", plan.name, " (pid ", found->pid,
                            ") found running without a state record"));
        state_dirty_ = true;
      }
    }
    slot->in_plan = true;
    slot->desired_hash = ConfigHash(plan);
    slot->plan = std::move(plan);
  }
  for (auto it = services_.begin(); it != services_.end();) {
    Service& s = *it->second;
    if (s.in_plan) {
      ++it;
      continue;
    }
    if (s.proc && !s.life.Stopping()) {
      Notice(absl::StrCat("stopping ", s.name, ": no longer in the plan"));
      runner_.BeginStop(s, ServiceState::kStopping);
    }
    if (!s.proc) {
      it = services_.erase(it);
      state_dirty_ = true;
      continue;
    }
    s.Show(v1::PHASE_STOPPING, v1::HEALTH_UNKNOWN);
    ++it;
  }
}

int64_t Reconciler::Pass() {
  const int64_t now = deps_.clock->MonotonicMillis();
  ApplyStopCompletions(now);
  if (!state_.has_plan()) {
    UpdateProbeTargets();
    if (state_dirty_) SaveState();
    return now + options_.resync_ms;
  }
  if (plan_unsaved_) {
    // A plan is acted on only once saved: an agent restarted mid-way must
    // find the plan it was carrying out. Retried on every pass; what runs
    // keeps its last plan meanwhile.
    SaveState();
    plan_unsaved_ = state_dirty_;
    if (plan_unsaved_) {
      Notice(absl::StrCat("plan ", PlanName(state_.plan_epoch(), state_.plan_version()),
                          " is not acted on until the agent's state can be saved"));
    }
  }
  std::vector<ServicePlan> rendered;
  if (!plan_unsaved_ && RenderAndSync(&rendered)) UpdateServices(std::move(rendered), now);
  node_checks_ = deps_.preflight->ForNode(state_.plan(), clock_offset_ms_);
  for (auto& [name, s] : services_) {
    if (s->in_plan) ReconcileService(*s, now);
  }
  UpdateProbeTargets();
  if (state_dirty_) SaveState();

  int64_t next = now + options_.resync_ms;
  for (const auto& [name, s] : services_) {
    if (!s->proc && s->backoff.next_start_ms() > now) {
      next = std::min(next, s->backoff.next_start_ms());
    }
    // Starting processes and running init steps are watched closely.
    if (s->life.state() == ServiceState::kStarting || s->init_proc) {
      next = std::min(next, now + 1000);
    }
  }
  return next;
}

bool Reconciler::RestartsFreely(const Service& s) const {
  const auto& free = state_.plan().restart_on_config_change();
  if (s.plan.roles.empty()) return false;
  for (const std::string& role : s.plan.roles) {
    if (std::find(free.begin(), free.end(), role) == free.end()) return false;
  }
  return true;  // every role the process serves may restart on its own
}

void Reconciler::ReconcileService(Service& s, int64_t now) {
  s.reason.clear();
  if (s.life.Stopping()) {
    s.Show(s.life.state() == ServiceState::kRestarting ? v1::PHASE_RESTARTING : v1::PHASE_STOPPING,
           v1::HEALTH_UNKNOWN);
    return;
  }
  if (s.proc && !deps_.launcher->IsAlive(*s.proc)) runner_.ObserveExit(s, now);
  if (s.proc) {
    const bool changed_and_free = s.running_hash != s.desired_hash && RestartsFreely(s);
    if (s.restart_requested || changed_and_free) {
      Notice(absl::StrCat("restarting ", s.name,
                          s.restart_requested
                              ? " on request"
                              : ": its config changed and the spec lets it restart on change"));
      s.restart_requested = false;
      runner_.BeginStop(s, ServiceState::kRestarting);
      s.Show(v1::PHASE_RESTARTING, v1::HEALTH_UNKNOWN);
      return;
    }
    runner_.UpdateHealth(s);
    if (s.life.state() == ServiceState::kRunning) s.backoff.OnHealthy(now - s.started_ms);
    // A role that runs for months keeps writing: rotate by size as it goes.
    WARN_IF_ERROR(RotateLogIfNeeded(ServiceLogPath(runner_.paths(), s.name),
                                    options_.limits.log_max_bytes, options_.limits.log_keep),
                  "rotating a role log");
    return;
  }
  if (s.restart_requested) {  // not running: a restart is a start, now
    s.restart_requested = false;
    s.backoff.StartNow(now);
  }
  if (!render_error_.empty()) {
    s.Show(v1::PHASE_FAILED, v1::HEALTH_UNHEALTHY, render_error_);
    return;
  }
  if (!s.backoff.MayStart(now)) {
    s.Show(s.backoff.crash_looping() ? v1::PHASE_CRASH_LOOP : v1::PHASE_BACKOFF,
           v1::HEALTH_UNHEALTHY, s.backoff.Describe(now, s.last_failure));
    return;
  }
  if (!DependenciesMet(s)) return;
  if (!PreflightPasses(s)) return;
  if (!runner_.RunInitSteps(s, now)) return;
  runner_.Launch(s, now, deps_.clock->NowMillis());
}

bool Reconciler::DependenciesMet(Service& s) {
  std::vector<std::string> missing;
  for (const Dependency& dep : s.plan.depends_on) {
    int up = 0;
    for (const std::optional<ProbeSample>& sample : deps_.health->Samples("dep:" + dep.service)) {
      if (sample && sample->result.healthy) ++up;
    }
    if (up < dep.min_healthy) {
      missing.push_back(
          absl::StrCat(dep.service, " (", up, " of ", dep.min_healthy, " needed up)"));
    }
  }
  if (missing.empty()) return true;
  s.Show(v1::PHASE_WAITING, v1::HEALTH_UNKNOWN,
         absl::StrCat("waiting for: ", absl::StrJoin(missing, ", ")));
  return false;
}

bool Reconciler::PreflightPasses(Service& s) {
  s.checks = deps_.preflight->ForService(state_.plan(), s.plan);
  std::vector<std::string> errors;
  for (const v1::PreflightCheck& c : s.checks) {
    if (c.severity() == v1::SEVERITY_ERROR) errors.push_back(c.message());
  }
  if (errors.empty()) return true;
  s.Show(v1::PHASE_BLOCKED, v1::HEALTH_UNHEALTHY,
         absl::StrCat("preflight: ", absl::StrJoin(errors, "; ")));
  return false;
}

void Reconciler::UpdateProbeTargets() {
  std::map<std::string, std::vector<Probe>> targets;
  for (const auto& [name, s] : services_) {
    if (!s->in_plan) continue;
    if (!s->plan.probes.empty()) targets["svc:" + name] = s->plan.probes;
    for (const Dependency& dep : s->plan.depends_on) targets["dep:" + dep.service] = dep.probes;
  }
  deps_.health->SetTargets(targets);
}

v1::NodeReport Reconciler::Report() const {
  v1::NodeReport report;
  report.set_node(options_.node);
  report.set_agent_version(options_.agent_version);
  report.set_applied_version(state_.plan_version());
  report.set_applied_epoch(state_.plan_epoch());
  report.set_applied_plan_hash(state_.plan_hash());
  for (const auto& [name, s] : services_) {
    v1::RoleStatus* r = report.add_roles();
    r->set_service(name);
    r->set_phase(s->phase);
    r->set_health(s->health);
    r->set_reason(s->reason);
    r->set_config_hash(s->proc ? s->running_hash : s->desired_hash);
    r->set_desired_config_hash(s->desired_hash);
    r->set_restart_pending(s->proc && s->running_hash != s->desired_hash);
    r->set_restarts(s->restarts);
    r->set_pid(s->proc ? s->proc->pid : 0);
    r->set_last_exit_code(s->last_exit_code);
    r->set_started_ms(s->proc ? s->started_wall_ms : 0);
    for (const v1::PreflightCheck& c : s->checks) *report.add_preflight() = c;
  }
  for (const v1::PreflightCheck& c : node_checks_) *report.add_preflight() = c;
  for (const std::string& n : notices_) report.add_notices(n);
  if (clock_offset_ms_) report.set_clock_offset_ms(*clock_offset_ms_);
  return report;
}

std::vector<ProcessId> Reconciler::WatchedProcesses() const {
  std::vector<ProcessId> ids;
  for (const auto& [name, s] : services_) {
    if (s->proc) ids.push_back(*s->proc);
    if (s->init_proc) ids.push_back(*s->init_proc);
  }
  return ids;
}

std::vector<Reconciler::ServiceMetrics> Reconciler::Metrics() const {
  std::vector<ServiceMetrics> out;
  out.reserve(services_.size());
  for (const auto& [name, s] : services_) {
    out.push_back({name, s->phase, s->proc.has_value(), s->restarts, s->last_exit_code,
                   !s->proc || s->running_hash == s->desired_hash});
  }
  return out;
}

}  // namespace bamctl
