#include "agentd/reconciler/reconciler.h"

#include <glob.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "agentd/hosts/hosts_file.h"
#include "common/file_util.h"
#include "common/hash.h"
#include "proto/enum_text.h"
#include "roles/driver/file_sources.h"
#include "roles/render/node_renderer.h"
#include "spdlog/spdlog.h"

namespace bamctl {

struct Reconciler::Service {
  std::string name;
  ServicePlan plan;
  bool in_plan = false;
  std::string desired_hash;

  // The role process, when one runs (started or adopted).
  std::optional<ProcessId> proc;
  std::string running_hash;  // the files it was started with; "" unknown
  int64_t started_ms = 0;
  bool seen_healthy = false;
  bool adopted = false;

  uint32_t restarts = 0;
  int last_exit_code = -1;
  int quick_failures = 0;
  int64_t next_start_ms = 0;
  bool relaunch = false;     // the next start is a restart
  std::string last_failure;  // why the last run or start ended

  std::optional<ProcessId> init_proc;
  std::string init_name;
  std::string init_marker;
  int64_t init_started_ms = 0;

  bool stopping = false;
  bool forget_after_stop = false;
  bool restart_after_stop = false;
  bool restart_requested = false;
  std::vector<std::string> restart_commands;  // ids answered at relaunch

  std::vector<v1::PreflightCheck> checks;
  v1::Phase phase = v1::PHASE_PENDING;
  v1::Health health = v1::HEALTH_UNKNOWN;
  std::string reason;
};

namespace {

constexpr const char* kMarkerVar = "BAMCTL_SERVICE";

std::string Short(const std::string& hash) { return hash.substr(0, 12); }

// What a restart would run: the files and the command line.
std::string ConfigHash(const ServicePlan& plan) {
  std::vector<const ConfigFile*> files;
  files.reserve(plan.files.size());
  for (const ConfigFile& f : plan.files) files.push_back(&f);
  std::sort(files.begin(), files.end(),
            [](const ConfigFile* a, const ConfigFile* b) { return a->path < b->path; });
  std::string material;
  for (const ConfigFile* f : files) {
    absl::StrAppend(&material, f->path, "\n", f->mode, "\n", f->owner, "\n", f->content.size(),
                    "\n", f->content, "\n");
  }
  absl::StrAppend(&material, "argv\n", absl::StrJoin(plan.process.argv, "\n"), "\nenv\n");
  for (const auto& [k, v] : plan.process.env) absl::StrAppend(&material, k, "=", v, "\n");
  absl::StrAppend(&material, "user\n", plan.process.user, "\n", plan.process.working_dir, "\n");
  return Sha256Hex(material);
}

std::string FormatDuration(int64_t ms) {
  if (ms < 1000) return absl::StrCat(ms, "ms");
  return absl::StrCat(absl::SixDigits(static_cast<double>(ms) / 1000.0), "s");
}

std::optional<std::pair<uid_t, gid_t>> LookUpUser(const std::string& user) {
  struct passwd pw;
  struct passwd* found = nullptr;
  char buf[4096];
  if (getpwnam_r(user.c_str(), &pw, buf, sizeof(buf), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return std::make_pair(pw.pw_uid, pw.pw_gid);
}

// The agent runs as root on a host and hands files to the role's user; as
// anyone else (the local cluster) files stay the agent's.
void ChownIfRoot(const std::string& path, const std::string& owner) {
  if (owner.empty() || geteuid() != 0) return;
  if (auto ids = LookUpUser(owner)) (void)chown(path.c_str(), ids->first, ids->second);
}

std::map<std::string, std::string> BaseEnv() {
  return {{"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
          {"LANG", "C.UTF-8"}};
}

}  // namespace

Reconciler::Reconciler(ReconcilerOptions options, Launcher* launcher, const Clock* clock,
                       HealthView* health, Executor* executor, Preflight* preflight,
                       const SecretSource* secrets, std::function<void()> wake)
    : options_(std::move(options)),
      launcher_(launcher),
      clock_(clock),
      health_(health),
      executor_(executor),
      preflight_(preflight),
      secrets_(secrets),
      wake_(std::move(wake)),
      state_file_(options_.state_dir + "/agent.state"),
      rng_(std::random_device{}()) {}

Reconciler::~Reconciler() = default;

// node/service@state_dir: the state dir tells apart agents sharing a
// machine (the local cluster), even ones with equal node names.
std::string Reconciler::MarkerValue(const std::string& service) const {
  return absl::StrCat(options_.node, "/", service, "@", options_.state_dir);
}

std::string Reconciler::LogPath(const std::string& service) const {
  return absl::StrCat(options_.log_dir, "/", service, ".log");
}

void Reconciler::Notice(std::string text) {
  spdlog::info("{}", text);
  const std::string stamp = absl::FormatTime(
      "%Y-%m-%dT%H:%M:%SZ ", absl::FromUnixMillis(clock_->NowMillis()), absl::UTCTimeZone());
  notices_.push_back(stamp + text);
  while (notices_.size() > options_.max_notices) notices_.pop_front();
}

void Reconciler::Start() {
  StateFile::Loaded loaded = state_file_.Load();
  if (loaded.problem) {
    Notice(absl::StrCat("state file ", state_file_.path(), " was unusable (", *loaded.problem,
                        "); rebuilding from what runs"));
  }
  state_ = std::move(loaded.state);
  const int64_t now = clock_->NowMillis();
  for (const v1::ServiceState& saved : state_.services()) {
    auto s = std::make_unique<Service>();
    s->name = saved.name();
    s->restarts = saved.restarts();
    const ProcessId id{static_cast<pid_t>(saved.pid()), saved.start_ticks()};
    if (saved.pid() > 0 && launcher_->IsAlive(id)) {
      s->proc = id;
      s->adopted = true;
      s->running_hash = saved.config_hash();
      s->started_ms = now;
      spdlog::info("adopted {} (pid {})", s->name, id.pid);
    } else if (saved.pid() > 0) {
      Notice(absl::StrCat(s->name, " (pid ", saved.pid(), ") ended while the agent was away"));
      s->relaunch = true;
    }
    const ProcessId init{static_cast<pid_t>(saved.init_pid()), saved.init_start_ticks()};
    if (saved.init_pid() > 0 && launcher_->IsAlive(init)) {
      s->init_proc = init;
      s->init_name = saved.init_step();
      s->init_started_ms = now;
    }
    services_[s->name] = std::move(s);
  }
}

PlanVerdict Reconciler::OfferPlan(const v1::PlanUpdate& update) {
  PlanVerdict verdict;
  if (update.plan().node() != options_.node) {
    verdict.reason =
        absl::StrCat("refused plan v", update.version(), ": it is for node \"",
                     update.plan().node(), "\", this agent is node \"", options_.node, "\"");
  } else if (update.version() < state_.plan_version()) {
    verdict.reason = absl::StrCat("refused plan v", update.version(), ": older than the v",
                                  state_.plan_version(), " this agent holds");
  }
  if (!verdict.reason.empty()) {
    Notice(verdict.reason);
    return verdict;
  }
  verdict.accepted = true;
  if (update.version() == state_.plan_version() && update.plan_hash() == state_.plan_hash()) {
    return verdict;
  }
  verdict.changed = true;
  state_.set_plan_version(update.version());
  state_.set_plan_hash(update.plan_hash());
  *state_.mutable_plan() = update.plan();
  SaveState();  // the plan is persisted before anything acts on it
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
  if (command.kind() == v1::COMMAND_KIND_PREFLIGHT) {
    // Preflight runs on every pass (node checks, and each service before
    // it starts); the answer is that the next report carries it.
    command_results_.push_back({command.id(), true, "preflight runs on every pass; see status"});
    return;
  }
  if (command.kind() != v1::COMMAND_KIND_RESTART) {
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

void Reconciler::SetClockOffset(std::optional<int64_t> offset_ms) { clock_offset_ms_ = offset_ms; }

std::vector<CommandResult> Reconciler::TakeCommandResults() {
  return std::exchange(command_results_, {});
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
  absl::Status saved = state_file_.Save(state_);
  if (!saved.ok()) {
    Notice(absl::StrCat("cannot save state: ", saved.message()));
    return;  // stays dirty: the next pass tries again
  }
  state_dirty_ = false;
}

void Reconciler::SyncHosts() {
  if (options_.hosts_file.empty()) return;
  const v1::NodePlan& plan = state_.plan();
  std::vector<v1::HostEntry> entries;
  if (plan.manage_hosts_file()) entries.assign(plan.hosts().begin(), plan.hosts().end());
  absl::StatusOr<bool> wrote = SyncHostsFile(options_.hosts_file, plan.cluster_name(), entries);
  if (!wrote.ok()) {
    Notice(absl::StrCat("hosts file: ", wrote.status().message()));
  } else if (*wrote) {
    spdlog::info("updated the cluster's host entries in {}", options_.hosts_file);
  }
}

absl::Status Reconciler::SyncFiles(const std::vector<ServicePlan>& services) {
  absl::StatusOr<std::vector<ConfigFile>> files = NodeFiles(services);
  if (!files.ok()) return files.status();
  for (const ConfigFile& f : *files) {
    absl::StatusOr<std::optional<std::string>> current = ReadFileIfExists(f.path);
    if (!current.ok()) return current.status();
    const std::string want = Sha256Hex(f.content);
    if (current->has_value() && **current == f.content) {
      written_[f.path] = want;
      struct stat st;
      if (stat(f.path.c_str(), &st) == 0 && (st.st_mode & 07777) != f.mode) {
        (void)chmod(f.path.c_str(), f.mode);  // a secret must not stay readable
      }
      continue;
    }
    auto last = written_.find(f.path);
    if (current->has_value() && last != written_.end() && Sha256Hex(**current) != last->second) {
      Notice(absl::StrCat("restored ", f.path, ": it was edited by hand"));
    }
    absl::Status wrote = WriteFileAtomically(f.path, f.content, f.mode);
    if (!wrote.ok()) return wrote;
    ChownIfRoot(f.path, f.owner);
    written_[f.path] = want;
  }
  return absl::OkStatus();
}

void Reconciler::SyncDirectoriesAndRemovals(const ServicePlan& plan) {
  for (const Directory& d : plan.directories) {
    struct stat st;
    if (stat(d.path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      // Made by a file's parent creation, or chowned by hand: the role's
      // user must own what it writes into.
      if (!d.owner.empty() && geteuid() == 0) {
        auto ids = LookUpUser(d.owner);
        if (ids && st.st_uid != ids->first) (void)chown(d.path.c_str(), ids->first, ids->second);
      }
      continue;
    }
    absl::Status made = MakeDirs(d.path, d.mode);
    if (!made.ok()) {
      Notice(absl::StrCat(plan.name, ": ", made.message()));
      continue;
    }
    (void)chmod(d.path.c_str(), d.mode);
    ChownIfRoot(d.path, d.owner);
  }
  for (const std::string& pattern : plan.remove_paths) {
    glob_t found{};
    if (glob(pattern.c_str(), GLOB_NOSORT, nullptr, &found) == 0) {
      for (size_t i = 0; i < found.gl_pathc; ++i) {
        std::error_code ec;
        if (std::filesystem::remove_all(found.gl_pathv[i], ec) > 0) {
          spdlog::info("{}: removed {} (the plan says it must not exist)", plan.name,
                       found.gl_pathv[i]);
        }
      }
    }
    globfree(&found);
  }
}

int64_t Reconciler::Pass() {
  const int64_t now = clock_->NowMillis();
  {
    std::vector<Completion> done;
    {
      absl::MutexLock lock(&mu_);
      done.swap(completions_);
    }
    for (Completion& c : done) {
      auto it = services_.find(c.service);
      if (it == services_.end()) continue;
      Service& s = *it->second;
      s.stopping = false;
      if (!c.status.ok()) {
        Notice(absl::StrCat("stopping ", s.name, ": ", c.status.message()));
        continue;  // still alive: the next pass sees it running
      }
      s.proc.reset();
      if (s.forget_after_stop) {
        services_.erase(it);
      } else if (s.restart_after_stop) {
        s.restart_after_stop = false;
        s.relaunch = true;
        s.next_start_ms = now;
      }
      state_dirty_ = true;
    }
  }

  if (!state_.has_plan()) {
    UpdateProbeTargets();
    if (state_dirty_) SaveState();
    return now + options_.resync_ms;
  }

  DirectoryFileSource base("");
  RenderContext ctx;
  ctx.secrets = secrets_;
  ctx.base = &base;
  ctx.root = options_.root_dir;
  ctx.fall_back_to_stock = options_.fall_back_to_stock;
  absl::StatusOr<std::vector<ServicePlan>> rendered = RenderNode(state_.plan(), ctx);
  std::string problem;
  if (!rendered.ok()) {
    problem = absl::StrCat("cannot render the plan: ", rendered.status().message());
  } else {
    SyncHosts();
    for (const ServicePlan& plan : *rendered) SyncDirectoriesAndRemovals(plan);
    absl::Status files = SyncFiles(*rendered);
    if (!files.ok()) problem = absl::StrCat("cannot write config files: ", files.message());
  }
  if (problem != render_error_ && !problem.empty()) Notice(problem);
  render_error_ = problem;

  if (rendered.ok()) {
    for (auto& [name, s] : services_) s->in_plan = false;
    for (ServicePlan& plan : *rendered) {
      std::unique_ptr<Service>& slot = services_[plan.name];
      if (!slot) {
        slot = std::make_unique<Service>();
        slot->name = plan.name;
        // No record of it (first start, or a lost state file): a copy may
        // still run, started by an earlier agent. Adopt it, never start a
        // second one; its files are unknown, so it is marked for restart.
        if (std::optional<ProcessId> found =
                launcher_->FindByMarker(absl::StrCat(kMarkerVar, "=", MarkerValue(plan.name)))) {
          slot->proc = found;
          slot->adopted = true;
          slot->started_ms = now;
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
      if (s.proc && !s.stopping) {
        Notice(absl::StrCat("stopping ", s.name, ": no longer in the plan"));
        BeginStop(s, /*then_forget=*/true);
      }
      if (!s.proc && !s.stopping) {
        it = services_.erase(it);
        state_dirty_ = true;
        continue;
      }
      s.phase = v1::PHASE_STOPPING;
      ++it;
    }
  }

  node_checks_ = preflight_->ForNode(state_.plan(), clock_offset_ms_);

  for (auto& [name, s] : services_) {
    if (s->in_plan) ReconcileService(*s, now);
  }
  UpdateProbeTargets();
  if (state_dirty_) SaveState();

  int64_t next = now + options_.resync_ms;
  for (const auto& [name, s] : services_) {
    if (!s->proc && s->next_start_ms > now) next = std::min(next, s->next_start_ms);
    // Starting processes and running init steps are watched closely.
    if ((s->proc && !s->seen_healthy) || s->init_proc) next = std::min(next, now + 1000);
  }
  return next;
}

void Reconciler::ObserveExit(Service& s, int64_t now) {
  std::optional<int> code = launcher_->ExitCode(*s.proc);
  s.last_exit_code = code.value_or(-1);
  const int64_t ran = now - s.started_ms;
  s.last_failure =
      code ? absl::StrCat("exited with code ", *code, " after ", FormatDuration(ran))
           : absl::StrCat("exited after ", FormatDuration(ran), " (code unknown: adopted process)");
  Notice(absl::StrCat(s.name, " (pid ", s.proc->pid, ") ", s.last_failure));
  s.proc.reset();
  s.relaunch = true;
  ScheduleRetry(s, now, ran < options_.quick_exit_ms);
  state_dirty_ = true;
}

int64_t Reconciler::JitteredBackoff(int quick_failures) {
  double delay = static_cast<double>(options_.backoff_initial_ms) *
                 std::pow(2.0, std::min(quick_failures, 30));
  delay = std::min(delay, static_cast<double>(options_.backoff_max_ms));
  std::uniform_real_distribution<double> jitter(1.0 - options_.backoff_jitter,
                                                1.0 + options_.backoff_jitter);
  return static_cast<int64_t>(delay * jitter(rng_));
}

void Reconciler::ScheduleRetry(Service& s, int64_t now, bool quick) {
  s.quick_failures = quick ? s.quick_failures + 1 : 0;
  // The first retry after a failure waits the initial backoff; each quick
  // failure in a row doubles it.
  s.next_start_ms = now + JitteredBackoff(std::max(0, s.quick_failures - 1));
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
  if (s.stopping) {
    s.phase = s.restart_after_stop ? v1::PHASE_RESTARTING : v1::PHASE_STOPPING;
    s.health = v1::HEALTH_UNKNOWN;
    return;
  }
  if (s.proc && !launcher_->IsAlive(*s.proc)) ObserveExit(s, now);
  if (s.proc) {
    const bool changed_and_free = s.running_hash != s.desired_hash && RestartsFreely(s);
    if (s.restart_requested || changed_and_free) {
      Notice(absl::StrCat("restarting ", s.name,
                          s.restart_requested
                              ? " on request"
                              : ": its config changed and the spec lets it restart on change"));
      s.restart_requested = false;
      s.restart_after_stop = true;
      BeginStop(s, /*then_forget=*/false);
      s.phase = v1::PHASE_RESTARTING;
      s.health = v1::HEALTH_UNKNOWN;
      return;
    }
    UpdateHealth(s);
    if (s.seen_healthy && now - s.started_ms >= options_.quick_exit_ms) s.quick_failures = 0;
    // A role that runs for months keeps writing: rotate by size as it goes.
    if (absl::Status r =
            RotateLogIfNeeded(LogPath(s.name), options_.log_max_bytes, options_.log_keep);
        !r.ok()) {
      spdlog::warn("{}", r.ToString());
    }
    return;
  }
  if (s.restart_requested) {  // not running: a restart is a start, now
    s.restart_requested = false;
    s.next_start_ms = now;
  }
  if (!render_error_.empty()) {
    s.phase = v1::PHASE_FAILED;
    s.health = v1::HEALTH_UNHEALTHY;
    s.reason = render_error_;
    return;
  }
  if (now < s.next_start_ms) {
    const bool looping = s.quick_failures >= options_.crash_loop_after;
    s.phase = looping ? v1::PHASE_CRASH_LOOP : v1::PHASE_BACKOFF;
    s.health = v1::HEALTH_UNHEALTHY;
    s.reason = absl::StrCat(
        looping ? absl::StrCat(s.quick_failures, " quick failures in a row; ") : "",
        "last: ", s.last_failure, "; next start in ", FormatDuration(s.next_start_ms - now));
    return;
  }
  if (!DependenciesMet(s)) return;
  if (!PreflightPasses(s)) return;
  if (!RunInitSteps(s, now)) return;
  LaunchService(s, now);
}

bool Reconciler::DependenciesMet(Service& s) {
  std::vector<std::string> missing;
  for (const Dependency& dep : s.plan.depends_on) {
    int up = 0;
    for (const std::optional<ProbeSample>& sample : health_->Samples("dep:" + dep.service)) {
      if (sample && sample->result.healthy) ++up;
    }
    if (up < dep.min_healthy) {
      missing.push_back(
          absl::StrCat(dep.service, " (", up, " of ", dep.min_healthy, " needed up)"));
    }
  }
  if (missing.empty()) return true;
  s.phase = v1::PHASE_WAITING;
  s.health = v1::HEALTH_UNKNOWN;
  s.reason = absl::StrCat("waiting for: ", absl::StrJoin(missing, ", "));
  return false;
}

bool Reconciler::PreflightPasses(Service& s) {
  s.checks = preflight_->ForService(state_.plan(), s.plan);
  std::vector<std::string> errors;
  for (const v1::PreflightCheck& c : s.checks) {
    if (c.severity() == v1::SEVERITY_ERROR) errors.push_back(c.message());
  }
  if (errors.empty()) return true;
  s.phase = v1::PHASE_BLOCKED;
  s.health = v1::HEALTH_UNHEALTHY;
  s.reason = absl::StrCat("preflight: ", absl::StrJoin(errors, "; "));
  return false;
}

bool Reconciler::RunInitSteps(Service& s, int64_t now) {
  if (s.init_proc) {
    if (launcher_->IsAlive(*s.init_proc)) {
      if (now - s.init_started_ms < options_.init_step_timeout_ms) {
        s.phase = v1::PHASE_INITIALIZING;
        s.health = v1::HEALTH_UNKNOWN;
        s.reason = absl::StrCat("running init step ", s.init_name, " (log: ", LogPath(s.name), ")");
        return false;
      }
      (void)launcher_->Stop(*s.init_proc, {}, std::chrono::seconds(5));
      s.last_failure = absl::StrCat("init step ", s.init_name, " took longer than ",
                                    FormatDuration(options_.init_step_timeout_ms));
    } else {
      std::optional<int> code = launcher_->ExitCode(*s.init_proc);
      std::error_code ec;
      if (!s.init_marker.empty() && std::filesystem::exists(s.init_marker, ec)) {
        s.init_proc.reset();
        state_dirty_ = true;
        return RunInitSteps(s, now);  // on to the next step
      }
      s.last_failure =
          absl::StrCat("init step ", s.init_name, " exited with code ",
                       code ? absl::StrCat(*code) : std::string("unknown"), " without creating ",
                       s.init_marker.empty() ? std::string("its marker") : s.init_marker,
                       " (log: ", LogPath(s.name), ")");
    }
    Notice(absl::StrCat(s.name, ": ", s.last_failure));
    s.init_proc.reset();
    state_dirty_ = true;
    ScheduleRetry(s, now, /*quick=*/true);
    s.phase = v1::PHASE_FAILED;
    s.health = v1::HEALTH_UNHEALTHY;
    s.reason = s.last_failure;
    return false;
  }
  for (const InitStep& step : s.plan.init_steps) {
    std::error_code ec;
    if (!step.done_marker.empty() && std::filesystem::exists(step.done_marker, ec)) continue;
    LaunchSpec spec;
    spec.argv = step.argv;
    spec.env = BaseEnv();
    for (const auto& [k, v] : step.env) spec.env[k] = v;
    spec.user = step.user;
    spec.working_dir = s.plan.process.working_dir;
    spec.log_path = LogPath(s.name);
    (void)MakeDirs(options_.log_dir, 0755);
    absl::StatusOr<ProcessId> id = launcher_->Launch(spec);
    if (!id.ok()) {
      s.last_failure = absl::StrCat("init step ", step.name, ": ", id.status().message());
      Notice(absl::StrCat(s.name, ": ", s.last_failure));
      ScheduleRetry(s, now, /*quick=*/true);
      s.phase = v1::PHASE_FAILED;
      s.health = v1::HEALTH_UNHEALTHY;
      s.reason = s.last_failure;
      return false;
    }
    s.init_proc = *id;
    s.init_name = step.name;
    s.init_marker = step.done_marker;
    s.init_started_ms = now;
    state_dirty_ = true;
    s.phase = v1::PHASE_INITIALIZING;
    s.health = v1::HEALTH_UNKNOWN;
    s.reason = absl::StrCat("running init step ", step.name, " (log: ", LogPath(s.name), ")");
    return false;
  }
  return true;
}

void Reconciler::LaunchService(Service& s, int64_t now) {
  LaunchSpec spec;
  spec.argv = s.plan.process.argv;
  spec.env = BaseEnv();
  for (const auto& [k, v] : s.plan.process.env) spec.env[k] = v;
  // Found again by FindByMarker if the agent loses its state file.
  spec.env[kMarkerVar] = MarkerValue(s.name);
  spec.working_dir = s.plan.process.working_dir;
  spec.user = s.plan.process.user;
  spec.nofile_limit = s.plan.process.nofile_limit;
  spec.log_path = LogPath(s.name);
  (void)MakeDirs(options_.log_dir, 0755);
  absl::Status rotated =
      RotateLogIfNeeded(spec.log_path, options_.log_max_bytes, options_.log_keep);
  if (!rotated.ok()) spdlog::warn("{}", rotated.ToString());
  absl::StatusOr<ProcessId> id = launcher_->Launch(spec);
  if (!id.ok()) {
    s.last_failure = absl::StrCat("cannot start: ", id.status().message());
    Notice(absl::StrCat(s.name, ": ", s.last_failure));
    ScheduleRetry(s, now, /*quick=*/true);
    s.phase = v1::PHASE_FAILED;
    s.health = v1::HEALTH_UNHEALTHY;
    s.reason = s.last_failure;
    for (const std::string& cmd : s.restart_commands) {
      command_results_.push_back({cmd, false, s.last_failure});
    }
    s.restart_commands.clear();
    return;
  }
  if (s.relaunch) ++s.restarts;
  s.relaunch = false;
  s.proc = *id;
  s.running_hash = s.desired_hash;
  s.started_ms = now;
  s.seen_healthy = false;
  s.adopted = false;
  state_dirty_ = true;
  spdlog::info("started {} (pid {})", s.name, id->pid);
  for (const std::string& cmd : s.restart_commands) {
    command_results_.push_back({cmd, true, absl::StrCat("restarted ", s.name, ": pid ", id->pid)});
    state_.add_handled_commands(cmd);
  }
  while (state_.handled_commands_size() > 100) {
    state_.mutable_handled_commands()->erase(state_.mutable_handled_commands()->begin());
  }
  s.restart_commands.clear();
  s.phase = v1::PHASE_STARTING;
  s.health = v1::HEALTH_UNKNOWN;
  s.reason = "started; waiting for its probes";
}

void Reconciler::BeginStop(Service& s, bool then_forget) {
  s.stopping = true;
  s.forget_after_stop = then_forget;
  const ProcessId id = *s.proc;
  const std::vector<std::string> stop_argv = s.plan.process.stop_argv;
  const std::vector<std::string> pre_stop = s.plan.restart.pre_stop_argv;
  const std::chrono::milliseconds grace(std::max(1, s.plan.process.stop_timeout_seconds) *
                                        int64_t{1000});
  const std::string name = s.name;
  const std::string log = LogPath(s.name);
  executor_->Run([this, id, stop_argv, pre_stop, grace, name, log] {
    if (!pre_stop.empty() && launcher_->IsAlive(id)) {
      // e.g. `nodetool drain`: flush before the stop, bounded by the grace.
      LaunchSpec drain;
      drain.argv = pre_stop;
      drain.env = BaseEnv();
      drain.log_path = log;
      absl::StatusOr<ProcessId> drainer = launcher_->Launch(drain);
      if (drainer.ok() && !launcher_->WaitForExit(*drainer, grace)) {
        (void)launcher_->Stop(*drainer, {}, std::chrono::seconds(1));
      }
    }
    absl::Status stopped = launcher_->Stop(id, stop_argv, grace);
    {
      absl::MutexLock lock(&mu_);
      completions_.push_back({name, stopped});
    }
    if (wake_) wake_();
  });
}

void Reconciler::UpdateHealth(Service& s) {
  std::string failing;
  if (!s.plan.probes.empty()) {
    std::vector<std::optional<ProbeSample>> samples = health_->Samples("svc:" + s.name);
    for (size_t i = 0; i < s.plan.probes.size() && failing.empty(); ++i) {
      const std::string& probe = s.plan.probes[i].name;
      if (i >= samples.size() || !samples[i] || samples[i]->at_ms < s.started_ms) {
        failing = absl::StrCat(probe, ": not probed since start");
      } else if (!samples[i]->result.healthy) {
        failing = absl::StrCat(probe, ": ", samples[i]->result.reason);
      }
    }
  }
  if (failing.empty()) {
    s.seen_healthy = true;
    s.phase = v1::PHASE_RUNNING;
    s.health = v1::HEALTH_HEALTHY;
  } else if (s.seen_healthy) {
    s.phase = v1::PHASE_RUNNING;
    s.health = v1::HEALTH_UNHEALTHY;
    s.reason = failing;
  } else {
    s.phase = v1::PHASE_STARTING;
    s.health = v1::HEALTH_UNKNOWN;
    s.reason = failing;
  }
  if (s.running_hash != s.desired_hash) {
    const std::string pending =
        s.running_hash.empty()
            ? std::string("restart pending: adopted without a record of its config")
            : absl::StrCat("restart pending: config ", Short(s.running_hash), " -> ",
                           Short(s.desired_hash));
    s.reason = s.reason.empty() ? pending : absl::StrCat(s.reason, "; ", pending);
  }
}

void Reconciler::UpdateProbeTargets() {
  std::map<std::string, std::vector<Probe>> targets;
  for (const auto& [name, s] : services_) {
    if (!s->in_plan) continue;
    if (!s->plan.probes.empty()) targets["svc:" + name] = s->plan.probes;
    for (const Dependency& dep : s->plan.depends_on) targets["dep:" + dep.service] = dep.probes;
  }
  health_->SetTargets(targets);
}

v1::NodeReport Reconciler::Report() const {
  v1::NodeReport report;
  report.set_node(options_.node);
  report.set_agent_version(options_.agent_version);
  report.set_applied_version(state_.plan_version());
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
    r->set_started_ms(s->proc ? s->started_ms : 0);
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
