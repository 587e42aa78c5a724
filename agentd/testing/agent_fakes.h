#ifndef BAMCTL_AGENTD_TESTING_AGENT_FAKES_H_
#define BAMCTL_AGENTD_TESTING_AGENT_FAKES_H_

// Fakes of the agent's seams, shared by its unit tests: a launcher that
// only records, probe samples set by the test, preflight errors on demand,
// a filesystem and a state store in memory, and a controller link the test
// drives.

#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "agentd/client/controller_client.h"
#include "agentd/hostfs/host_filesystem.h"
#include "agentd/launcher/exit_watcher.h"
#include "agentd/launcher/launcher.h"
#include "agentd/preflight/preflight.h"
#include "agentd/reconciler/interfaces.h"
#include "agentd/state/state_file.h"

namespace bamctl::testing {

class FakeLauncher : public Launcher {
 public:
  struct Proc {
    LaunchSpec spec;
    bool alive = true;
    std::optional<int> code;
  };

  // Thread-safe, so an Agent's loop thread and the test can share it; the
  // fields are for single-threaded tests (or after the loop stopped).
  absl::StatusOr<ProcessId> Launch(const LaunchSpec& spec) override {
    absl::MutexLock lock(&mu_);
    for (const std::string& bad : fail_programs) {
      if (absl::StrContains(spec.argv[0], bad)) {
        return absl::FailedPreconditionError(absl::StrCat("exec for ", spec.argv[0], ": denied"));
      }
    }
    ProcessId id{next_pid++, 77};
    procs[id.pid] = Proc{spec, true, std::nullopt};
    launches.push_back(spec);
    // A helper that finishes at once (dfsadmin, nodetool) with its code.
    const std::string command_line = absl::StrJoin(spec.argv, " ");
    for (const auto& [text, code] : exit_at_once) {
      if (absl::StrContains(command_line, text)) {
        procs[id.pid].alive = false;
        procs[id.pid].code = code;
        break;
      }
    }
    for (const auto& [text, output] : prints) {
      if (absl::StrContains(command_line, text)) {
        std::ofstream(spec.log_path, std::ios::app) << output;
        break;
      }
    }
    return id;
  }
  // Launches whose command line contains the text append the output to
  // their log (a real file: for tests on the real filesystem).
  std::vector<std::pair<std::string, std::string>> prints;
  bool IsAlive(const ProcessId& id) override {
    absl::MutexLock lock(&mu_);
    auto it = procs.find(id.pid);
    return it != procs.end() && it->second.alive && id.start_ticks == 77;
  }
  bool WaitForExit(const ProcessId& id, std::chrono::milliseconds) override { return !IsAlive(id); }
  // Launches whose command line contains the text exit at once with the
  // code (set before the loop runs).
  std::vector<std::pair<std::string, int>> exit_at_once;
  absl::Status Stop(const ProcessId& id, const std::vector<std::string>&,
                    std::chrono::milliseconds) override {
    {
      absl::MutexLock lock(&mu_);
      stops.push_back(id.pid);
    }
    Kill(id.pid, 143);
    return absl::OkStatus();
  }
  std::optional<int> ExitCode(const ProcessId& id) override {
    absl::MutexLock lock(&mu_);
    auto it = procs.find(id.pid);
    if (it == procs.end() || it->second.alive) return std::nullopt;
    return std::exchange(it->second.code, std::nullopt);
  }
  std::optional<ProcessId> FindByMarker(const std::string& marker) override {
    absl::MutexLock lock(&mu_);
    for (auto& [pid, p] : procs) {
      if (!p.alive) continue;
      for (const auto& [k, v] : p.spec.env) {
        if (absl::StrCat(k, "=", v) == marker) return ProcessId{pid, 77};
      }
    }
    return std::nullopt;
  }

  void Kill(pid_t pid, int code) {
    absl::MutexLock lock(&mu_);
    procs[pid].alive = false;
    procs[pid].code = code;
  }
  // The pid of the live process whose argv[0] ends with `program` (and has
  // `arg` as argv[1] when given).
  pid_t PidOf(absl::string_view program, absl::string_view arg = "") {
    absl::MutexLock lock(&mu_);
    for (auto& [pid, p] : procs) {
      if (p.alive && absl::EndsWith(p.spec.argv[0], program) &&
          (arg.empty() || (p.spec.argv.size() > 1 && p.spec.argv[1] == arg))) {
        return pid;
      }
    }
    return 0;
  }
  int Launches(absl::string_view program, absl::string_view arg = "") {
    absl::MutexLock lock(&mu_);
    int n = 0;
    for (const LaunchSpec& s : launches) {
      if (absl::EndsWith(s.argv[0], program) &&
          (arg.empty() || (s.argv.size() > 1 && s.argv[1] == arg))) {
        ++n;
      }
    }
    return n;
  }

  pid_t next_pid = 1000;
  std::map<pid_t, Proc> procs;
  std::vector<LaunchSpec> launches;
  std::vector<pid_t> stops;
  std::vector<std::string> fail_programs;

 private:
  absl::Mutex mu_;
};

class FakeHealth : public HealthView {
 public:
  void SetTargets(const std::map<std::string, std::vector<Probe>>& t) override { targets = t; }
  std::vector<std::optional<ProbeSample>> Samples(const std::string& group) const override {
    auto it = samples.find(group);
    return it == samples.end() ? std::vector<std::optional<ProbeSample>>{} : it->second;
  }
  // Every probe of `group` answers `healthy` at `at_ms`.
  void Set(const std::string& group, bool healthy, int64_t at_ms) {
    std::vector<std::optional<ProbeSample>>& out = samples[group];
    out.clear();
    for (const Probe& p : targets[group]) {
      ProbeSample s;
      s.result.healthy = healthy;
      s.result.reason = healthy ? "ok" : absl::StrCat("connect ", p.host, ":", p.port, ": refused");
      s.at_ms = at_ms;
      out.emplace_back(s);
    }
  }
  std::map<std::string, std::vector<Probe>> targets;
  std::map<std::string, std::vector<std::optional<ProbeSample>>> samples;
};

class FakePreflight : public Preflight {
 public:
  std::vector<v1::PreflightCheck> ForService(const v1::NodePlan&,
                                             const ServicePlan& service) override {
    std::vector<v1::PreflightCheck> out;
    auto it = errors.find(service.name);
    if (it != errors.end()) {
      v1::PreflightCheck c;
      c.set_name("java");
      c.set_service(service.name);
      c.set_severity(v1::SEVERITY_ERROR);
      c.set_message(it->second);
      out.push_back(c);
    }
    return out;
  }
  std::vector<v1::PreflightCheck> ForNode(const v1::NodePlan&, std::optional<int64_t>) override {
    return {};
  }
  std::map<std::string, std::string> errors;
};

// A filesystem in memory: paths to contents and modes; owners as user
// names. Directories exist when made or when a file below them is written.
class MemoryFilesystem : public HostFilesystem {
 public:
  struct File {
    std::string content;
    mode_t mode = 0;
    std::string owner;
  };
  absl::StatusOr<std::optional<std::string>> ReadFile(const std::string& path) override;
  absl::Status WriteFile(const std::string& path, absl::string_view content, mode_t mode,
                         const std::string& owner) override;
  std::optional<PathInfo> Stat(const std::string& path) override;
  absl::Status MakeDirs(const std::string& path, mode_t mode, const std::string& owner) override;
  absl::Status Chmod(const std::string& path, mode_t mode) override;
  absl::Status Chown(const std::string& path, const std::string& user) override;
  std::optional<uid_t> UserId(const std::string& user) override;
  bool ChangesOwners() const override { return true; }
  std::vector<std::string> RemoveMatching(const std::string& pattern) override;

  std::map<std::string, File> files;
  std::map<std::string, File> dirs;  // content unused
  std::map<std::string, uid_t> users{{"root", 0}, {"hadoop", 1001}, {"zookeeper", 1002}};
  std::vector<std::string> writes;   // paths, in order
  std::set<std::string> unwritable;  // WriteFile fails for these
};

// Agent state in memory; Save can be made to fail.
class MemoryStateStore : public StateStore {
 public:
  Loaded Load() const override { return {state, problem}; }
  absl::Status Save(const v1::AgentState& s) override {
    if (fail_saves) return absl::UnavailableError("disk full");
    state = s;
    ++saves;
    return absl::OkStatus();
  }
  std::string Where() const override { return "memory"; }

  v1::AgentState state;
  std::optional<std::string> problem;
  bool fail_saves = false;
  int saves = 0;
};

// Watches nothing: tests move the fake clock (or call the loop) instead.
class NullExitWatcher : public ExitWatcher {
 public:
  void Watch(const std::vector<ProcessId>& ids) override { watched = ids; }
  std::vector<ProcessId> watched;
};

// The agent's controller link, driven by the test: it delivers plans and
// commands, and reads what the agent reported and answered.
class FakeControllerLink : public ControllerLink {
 public:
  explicit FakeControllerLink(Callbacks callbacks) : callbacks_(std::move(callbacks)) {}
  void Start() override {}
  void Stop() override {}
  void SetReport(const v1::NodeReport& report) override {
    absl::MutexLock lock(&mu_);
    report_ = report;
  }
  void SendCommandResult(const v1::CommandResult& result) override {
    absl::MutexLock lock(&mu_);
    results_.push_back(result);
  }
  std::optional<int64_t> clock_offset_ms() const override { return 0; }

  void DeliverPlan(const v1::PlanUpdate& plan) { callbacks_.on_plan(plan); }
  void DeliverCommand(const v1::Command& command) { callbacks_.on_command(command); }
  v1::NodeReport report() const {
    absl::MutexLock lock(&mu_);
    return report_;
  }
  std::vector<v1::CommandResult> results() const {
    absl::MutexLock lock(&mu_);
    return results_;
  }

 private:
  Callbacks callbacks_;
  mutable absl::Mutex mu_;
  v1::NodeReport report_;
  std::vector<v1::CommandResult> results_;
};

}  // namespace bamctl::testing

#endif  // BAMCTL_AGENTD_TESTING_AGENT_FAKES_H_
