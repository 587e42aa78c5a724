#include "agentd/reconciler/service_runner.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_log.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace bamctl {
namespace {

std::string Short(const std::string& hash) { return hash.substr(0, 12); }

}  // namespace

ServiceRunner::ServiceRunner(AgentPaths paths, Limits limits, Launcher* launcher,
                             Executor* executor, HealthView* health, HostFilesystem* fs,
                             Hooks hooks)
    : paths_(std::move(paths)),
      limits_(limits),
      launcher_(launcher),
      executor_(executor),
      health_(health),
      fs_(fs),
      hooks_(std::move(hooks)) {}

void ServiceRunner::ObserveExit(Service& s, int64_t now) {
  std::optional<int> code = launcher_->ExitCode(*s.proc);
  s.last_exit_code = code.value_or(-1);
  const int64_t ran = now - s.started_ms;
  s.last_failure =
      code ? absl::StrCat("exited with code ", *code, " after ", FormatDuration(ran))
           : absl::StrCat("exited after ", FormatDuration(ran), " (code unknown: adopted process)");
  hooks_.notice(absl::StrCat(s.name, " (pid ", s.proc->pid, ") ", s.last_failure));
  s.proc.reset();
  s.life.To(ServiceState::kExited);
  s.backoff.OnExit(now, ran);
  hooks_.state_changed();
}

void ServiceRunner::FailStart(Service& s, int64_t now, std::string failure) {
  s.last_failure = std::move(failure);
  hooks_.notice(absl::StrCat(s.name, ": ", s.last_failure));
  s.life.To(ServiceState::kExited);
  s.backoff.OnStartFailure(now);
  s.Show(v1::PHASE_FAILED, v1::HEALTH_UNHEALTHY, s.last_failure);
}

bool ServiceRunner::RunInitSteps(Service& s, int64_t now) {
  const std::string log = ServiceLogPath(paths_, s.name);
  if (s.init_proc) {
    std::string failure;
    if (launcher_->IsAlive(*s.init_proc)) {
      if (now - s.init_started_ms < limits_.init_step_timeout_ms) {
        s.Show(v1::PHASE_INITIALIZING, v1::HEALTH_UNKNOWN,
               absl::StrCat("running init step ", s.init_name, " (log: ", log, ")"));
        return false;
      }
      WARN_IF_ERROR(launcher_->Stop(*s.init_proc, {}, std::chrono::seconds(5)),
                    "{}: stopping init step {}", s.name, s.init_name);
      failure = absl::StrCat("init step ", s.init_name, " took longer than ",
                             FormatDuration(limits_.init_step_timeout_ms));
    } else {
      std::optional<int> code = launcher_->ExitCode(*s.init_proc);
      if (!s.init_marker.empty() && fs_->Stat(s.init_marker).has_value()) {
        s.init_proc.reset();
        hooks_.state_changed();
        return RunInitSteps(s, now);  // on to the next step
      }
      failure = absl::StrCat(
          "init step ", s.init_name, " exited with code ",
          code ? absl::StrCat(*code) : std::string("unknown"), " without creating ",
          s.init_marker.empty() ? std::string("its marker") : s.init_marker, " (log: ", log, ")");
    }
    s.init_proc.reset();
    hooks_.state_changed();
    FailStart(s, now, failure);
    return false;
  }
  for (const InitStep& step : s.plan.init_steps) {
    if (!step.done_marker.empty() && fs_->Stat(step.done_marker).has_value()) continue;
    WARN_IF_ERROR(fs_->MakeDirs(paths_.log_dir, 0755, ""), "creating the log dir");
    absl::StatusOr<ProcessId> id = launcher_->Launch(InitStepLaunchSpec(paths_, s.plan, step));
    if (!id.ok()) {
      FailStart(s, now, absl::StrCat("init step ", step.name, ": ", id.status().message()));
      return false;
    }
    s.init_proc = *id;
    s.init_name = step.name;
    s.init_marker = step.done_marker;
    s.init_started_ms = now;
    s.life.To(ServiceState::kInitializing);
    hooks_.state_changed();
    s.Show(v1::PHASE_INITIALIZING, v1::HEALTH_UNKNOWN,
           absl::StrCat("running init step ", step.name, " (log: ", log, ")"));
    return false;
  }
  return true;
}

void ServiceRunner::Launch(Service& s, int64_t now, int64_t now_wall) {
  const LaunchSpec spec = ServiceLaunchSpec(paths_, s.plan);
  WARN_IF_ERROR(fs_->MakeDirs(paths_.log_dir, 0755, ""), "creating the log dir");
  WARN_IF_ERROR(RotateLogIfNeeded(spec.log_path, limits_.log_max_bytes, limits_.log_keep),
                "rotating a role log");
  absl::StatusOr<ProcessId> id = launcher_->Launch(spec);
  if (!id.ok()) {
    FailStart(s, now, absl::StrCat("cannot start: ", id.status().message()));
    for (const std::string& cmd : s.restart_commands) {
      hooks_.command_result({cmd, false, s.last_failure});
    }
    s.restart_commands.clear();
    return;
  }
  if (s.has_run) ++s.restarts;
  s.has_run = true;
  s.proc = *id;
  s.running_hash = s.desired_hash;
  s.started_ms = now;
  s.started_wall_ms = now_wall;
  s.life.To(ServiceState::kStarting);
  hooks_.state_changed();
  spdlog::info("started {} (pid {})", s.name, id->pid);
  for (const std::string& cmd : s.restart_commands) {
    hooks_.command_result({cmd, true, absl::StrCat("restarted ", s.name, ": pid ", id->pid)});
  }
  s.restart_commands.clear();
  s.Show(v1::PHASE_STARTING, v1::HEALTH_UNKNOWN, "started; waiting for its probes");
}

void ServiceRunner::BeginStop(Service& s, ServiceState then) {
  s.life.To(then);
  const ProcessId id = *s.proc;
  const std::vector<std::string> stop_argv = s.plan.process.stop_argv;
  std::vector<LaunchSpec> pre_stop;
  for (const std::vector<std::string>& argv : s.plan.restart.pre_stop) {
    pre_stop.push_back(PreStopLaunchSpec(paths_, s.plan, argv));
  }
  std::vector<LaunchSpec> undo;
  for (const std::vector<std::string>& argv : s.plan.restart.pre_stop_undo) {
    undo.push_back(PreStopLaunchSpec(paths_, s.plan, argv));
  }
  const bool required = s.plan.restart.pre_stop_required;
  const std::chrono::milliseconds grace(std::max(1, s.plan.process.stop_timeout_seconds) *
                                        int64_t{1000});
  const std::string name = s.name;
  executor_->Run([this, id, stop_argv, pre_stop, undo, required, grace, name] {
    // e.g. `nodetool drain`: flush before the stop, each bounded by the
    // grace; the first that fails ends the sequence.
    std::string failed;
    for (const LaunchSpec& command : pre_stop) {
      if (!launcher_->IsAlive(id)) break;
      failed = RunBounded(command, grace);
      if (!failed.empty()) break;
    }
    if (!failed.empty() && required) {
      // Not stopped: the restart fails and says why (a namenode without a
      // saved namespace), and what the sequence changed is undone.
      for (const LaunchSpec& command : undo) {
        if (std::string undone = RunBounded(command, grace); !undone.empty()) {
          spdlog::warn("{}: undoing the pre-stop: {}", name, undone);
        }
      }
      Complete({name, absl::FailedPreconditionError(
                          absl::StrCat(failed, "; not stopped (see the ", name, " log)"))});
      return;
    }
    if (!failed.empty()) {
      // An undrained stop is still safe (Cassandra replays its commit
      // log), but slower and worth a look: the log says why.
      spdlog::warn("{}: {}; stopping anyway", name, failed);
    }
    Complete({name, launcher_->Stop(id, stop_argv, grace)});
  });
}

std::string ServiceRunner::RunBounded(const LaunchSpec& command, std::chrono::milliseconds timeout,
                                      absl::string_view what) {
  absl::StatusOr<ProcessId> process = launcher_->Launch(command);
  if (!process.ok()) {
    return absl::StrCat(what, " ", command.argv.front(),
                        " did not start: ", process.status().message());
  }
  if (!launcher_->WaitForExit(*process, timeout)) {
    WARN_IF_ERROR(launcher_->Stop(*process, {}, std::chrono::seconds(1)),
                  "stopping the pre-stop command");
  }
  const std::optional<int> code = launcher_->ExitCode(*process);  // reaped
  if (code == 0) return "";
  return absl::StrCat(what, " `", absl::StrJoin(command.argv, " "), "` ",
                      code.has_value()
                          ? absl::StrCat("exited ", *code)
                          : absl::StrCat("did not finish within ", timeout.count() / 1000, " s"));
}

void ServiceRunner::Complete(StopCompletion completion) {
  {
    absl::MutexLock lock(&mu_);
    completions_.push_back(std::move(completion));
  }
  if (hooks_.wake) hooks_.wake();
}

void ServiceRunner::QueryPeerView(const Service& s, const std::string& command_id) {
  {
    absl::MutexLock lock(&mu_);
    auto [it, first] = queries_.try_emplace(s.name);
    it->second.push_back(command_id);
    if (!first) return;  // the one running answers this id too
  }
  LaunchSpec spec = PreStopLaunchSpec(paths_, s.plan, s.plan.restart.peer_view);
  // Its own file in the agent's state directory (root's): the service name
  // comes from the agent's plan, never from the command.
  spec.log_path = absl::StrCat(paths_.state_dir, "/peer-view-", s.name, ".out");
  const std::string name = s.name;
  executor_->Run([this, spec, name] {
    fs_->RemoveMatching(spec.log_path);
    CommandResult result;
    result.message = RunBounded(spec, kQueryTimeout, "the peer view");
    result.ok = result.message.empty();
    // Checked before and after the read: what the role user's nodetool
    // started may still write to the file (the read itself stops at 16 MiB).
    uint64_t printed = 0;
    if (std::optional<PathInfo> info = fs_->Stat(spec.log_path); info.has_value()) {
      printed = info->size;
    }
    if (printed <= kMaxQueryOutputBytes) {
      absl::StatusOr<std::optional<std::string>> out = fs_->ReadFile(spec.log_path);
      if (out.ok() && out->has_value()) result.output = **std::move(out);
      printed = std::max<uint64_t>(printed, result.output.size());
    }
    if (printed > kMaxQueryOutputBytes) {
      result.ok = false;
      result.output.clear();
      result.message = absl::StrCat("the peer view printed ", printed, " bytes (at most ",
                                    kMaxQueryOutputBytes, " are read)");
    }
    fs_->RemoveMatching(spec.log_path);
    if (result.ok) result.message = absl::StrCat(name, " peer view taken");
    {
      absl::MutexLock lock(&mu_);
      for (std::string& id : queries_[name]) {
        CommandResult answer = result;
        answer.command_id = std::move(id);
        query_results_.push_back(std::move(answer));
      }
      queries_.erase(name);
    }
    if (hooks_.wake) hooks_.wake();
  });
}

std::vector<CommandResult> ServiceRunner::TakeQueryResults() {
  absl::MutexLock lock(&mu_);
  return std::exchange(query_results_, {});
}

std::vector<StopCompletion> ServiceRunner::TakeStopCompletions() {
  absl::MutexLock lock(&mu_);
  return std::exchange(completions_, {});
}

void ServiceRunner::UpdateHealth(Service& s) {
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
    if (s.life.state() == ServiceState::kStarting) s.life.To(ServiceState::kRunning);
    s.Show(v1::PHASE_RUNNING, v1::HEALTH_HEALTHY);
  } else if (s.life.state() == ServiceState::kRunning) {
    s.Show(v1::PHASE_RUNNING, v1::HEALTH_UNHEALTHY, failing);
  } else {
    s.Show(v1::PHASE_STARTING, v1::HEALTH_UNKNOWN, failing);
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

}  // namespace bamctl
