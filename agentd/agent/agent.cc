#include "agentd/agent/agent.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/thread_name.h"
#include "roles/probe/probe_runner.h"
#include "spdlog/spdlog.h"

namespace bamctl {
namespace {

// The probe scheduler as the reconciler sees it, which also keeps the probe
// metrics to the probes the plan has (a role that left the plan takes its
// series with it). Metrics first: a sample of a new probe is never dropped.
class MeteredHealth : public HealthView {
 public:
  MeteredHealth(HealthView* probes, AgentMetrics* metrics) : probes_(probes), metrics_(metrics) {}

  void SetTargets(const std::map<std::string, std::vector<Probe>>& targets) override {
    std::map<std::string, std::vector<std::string>> names;
    for (const auto& [group, probes] : targets) {
      for (const Probe& probe : probes) names[group].push_back(probe.name);
    }
    metrics_->RetainProbes(names);
    probes_->SetTargets(targets);
  }
  std::vector<std::optional<ProbeSample>> Samples(const std::string& group) const override {
    return probes_->Samples(group);
  }

 private:
  HealthView* const probes_;
  AgentMetrics* const metrics_;
};

}  // namespace

PoolExecutor::~PoolExecutor() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  for (std::thread& t : threads_) t.join();
}

void PoolExecutor::Run(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(task));
  // A thread more only when none is idle and the pool has room: stops are
  // rare, and a node's agent must not grow threads with its roles.
  if (idle_ == 0 && static_cast<int>(threads_.size()) < max_threads_) {
    threads_.emplace_back([this] { Work(); });
  }
}

void PoolExecutor::Work() {
  NameThisThread("agent-stopper");
  while (true) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      ++idle_;
      auto ready = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return stop_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      --idle_;
      if (queue_.empty()) return;  // stopping, nothing left to run
      task = std::move(queue_.front());
      queue_.erase(queue_.begin());
    }
    task();
  }
}

Agent::Agent(AgentOptions options, AgentDeps deps)
    : options_(std::move(options)), deps_(std::move(deps)) {}

Agent::~Agent() { Stop(); }

absl::Status Agent::Start() {
  registry_ = std::make_shared<prometheus::Registry>();
  metrics_ = std::make_unique<AgentMetrics>(*registry_);
  if (!options_.metrics_listen.empty()) {
    try {  // prometheus-cpp reports a failed bind by throwing
      // One server thread: /metrics is scraped every few seconds at most.
      exposer_ = std::make_unique<prometheus::Exposer>(options_.metrics_listen, 1);
    } catch (const std::exception& e) {
      return absl::UnavailableError(
          absl::StrCat("cannot serve /metrics on ", options_.metrics_listen, ": ", e.what()));
    }
    exposer_->RegisterCollectable(registry_);
  }
  executor_ = std::make_unique<PoolExecutor>(2);
  ProbeScheduler::Options probe_options;
  probe_options.interval = options_.probe_interval;
  probe_options.timeout = options_.probe_timeout;
  probes_ = std::make_unique<ProbeScheduler>(
      probe_options, deps_.host.clock, deps_.run_probe,
      [this](const std::string& group, const Probe& probe, const ProbeSample& sample) {
        metrics_->ObserveProbe(group, probe.name, sample.latency_ms / 1000.0);
      },
      [this] { Wake(); });
  health_ = std::make_unique<MeteredHealth>(probes_.get(), metrics_.get());
  ReconcilerDeps r = deps_.host;
  r.health = health_.get();
  r.executor = executor_.get();
  reconciler_ = std::make_unique<Reconciler>(options_.reconciler, std::move(r), [this] { Wake(); });
  reconciler_->Start();
  exits_ = deps_.watch_exits([this] { Wake(); });

  if (!options_.controller.empty()) {
    ControllerLink::Callbacks callbacks;
    callbacks.on_plan = [this](const v1::PlanUpdate& plan) {
      absl::MutexLock lock(&mu_);
      plans_.push_back(plan);
      woken_ = true;
    };
    callbacks.on_command = [this](const v1::Command& command) {
      absl::MutexLock lock(&mu_);
      commands_.push_back(command);
      woken_ = true;
    };
    callbacks.on_connected = [this](bool connected) {
      metrics_->SetConnected(connected);
      connected_ = connected;
      spdlog::info("controller {}: {}", options_.controller,
                   connected ? "connected" : "disconnected");
    };
    link_ = deps_.connect(std::move(callbacks));
    // The first report (held plan version) goes out with the hello.
    link_->SetReport(reconciler_->Report());
    link_->Start();
  }
  loop_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void Agent::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stop_) return;
    stop_ = true;
  }
  if (options_.notifier != nullptr) {
    options_.notifier->Stopping("stopping the agent; the roles keep running");
  }
  if (loop_.joinable()) loop_.join();
  if (link_) link_->Stop();
  exits_.reset();
  executor_.reset();  // waits for stops in flight
  probes_.reset();
}

void Agent::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
}

int64_t Agent::RunOnce() {
  std::vector<v1::PlanUpdate> plans;
  std::vector<v1::Command> commands;
  {
    absl::MutexLock lock(&mu_);
    plans.swap(plans_);
    commands.swap(commands_);
    woken_ = false;
  }
  for (const v1::PlanUpdate& plan : plans) {
    PlanVerdict verdict = reconciler_->OfferPlan(plan);
    if (verdict.changed) spdlog::info("accepted plan v{}", plan.version());
  }
  for (const v1::Command& command : commands) reconciler_->OfferCommand(command);
  if (link_) reconciler_->SetClockOffset(link_->clock_offset_ms());

  const auto t0 = std::chrono::steady_clock::now();
  const int64_t next = reconciler_->Pass();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  if (link_) {
    for (const CommandResult& r : reconciler_->TakeCommandResults()) {
      v1::CommandResult out;
      out.set_command_id(r.command_id);
      out.set_ok(r.ok);
      out.set_message(r.message);
      out.set_output(r.output);
      link_->SendCommandResult(out);
    }
    link_->SetReport(reconciler_->Report());
  }
  exits_->Watch(reconciler_->WatchedProcesses());
  metrics_->Update(reconciler_->Metrics(), reconciler_->plan_epoch(), reconciler_->plan_version(),
                   seconds);
  if (options_.credentials != nullptr) {
    metrics_->SetCertificateExpiry(options_.credentials->ExpiryMillis());
  }
  return next;
}

std::string Agent::StatusLine() const {
  const std::vector<Reconciler::ServiceMetrics> services = reconciler_->Metrics();
  int running = 0;
  int crash_looping = 0;
  int failed = 0;
  for (const Reconciler::ServiceMetrics& s : services) {
    running += s.phase == v1::PHASE_RUNNING ? 1 : 0;
    crash_looping += s.phase == v1::PHASE_CRASH_LOOP ? 1 : 0;
    failed += s.phase == v1::PHASE_FAILED || s.phase == v1::PHASE_BLOCKED ? 1 : 0;
  }
  std::string line = reconciler_->plan_version() == 0
                         ? std::string("no plan yet")
                         : absl::StrCat("plan v", reconciler_->plan_version(), ": ",
                                        services.size(), " roles, ", running, " running");
  if (crash_looping > 0) absl::StrAppend(&line, ", ", crash_looping, " crash-looping");
  if (failed > 0) absl::StrAppend(&line, ", ", failed, " failed or blocked");
  if (link_) {
    absl::StrAppend(&line, "; controller ", connected_ ? "connected" : "not connected");
  }
  return line;
}

void Agent::Loop() {
  NameThisThread("agent-loop");
  SystemdNotifier* notifier = options_.notifier;
  bool first = true;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stop_) break;
    }
    int64_t next = RunOnce();
    if (notifier != nullptr) {
      // Ready once the first pass has adopted or started what the held plan
      // names; the watchdog hears from this loop only, so a hung pass (a
      // blocked syscall, a deadlock) stops the pings and systemd restarts
      // the agent (the roles run on).
      const std::string status = StatusLine();
      if (first) {
        notifier->Ready(status);
      } else {
        notifier->Status(status);
      }
      const int64_t now = deps_.host.clock->MonotonicMillis();
      notifier->Ping(now);
      next = std::min(next, now + notifier->PingIntervalMs());
    }
    first = false;
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return stop_ || woken_; };
    deps_.host.clock->AwaitUntil(mu_, absl::Condition(&ready), next);
  }
}

HostAgentParts::HostAgentParts(const AgentOptions& options)
    : fs_(options.reconciler.policy ? options.reconciler.policy->allowed_paths
                                    : DefaultOwnedRoots(options.reconciler.root_dir)),
      state_(options.reconciler.state_dir + "/agent.state"),
      secrets_(options.reconciler.root_dir) {
  client_options_.target = options.controller;
  client_options_.node = options.reconciler.node;
  client_options_.agent_version = options.reconciler.agent_version;
  client_options_.metrics_address = options.metrics_listen;
  client_options_.heartbeat = options.heartbeat;
  client_options_.credentials = options.credentials;
}

AgentDeps HostAgentParts::Deps() {
  AgentDeps deps;
  deps.host.launcher = &launcher_;
  deps.host.clock = SystemClock::Get();
  deps.host.state = &state_;
  deps.host.fs = &fs_;
  deps.host.preflight = &preflight_;
  deps.host.secrets = &secrets_;
  deps.run_probe = RunProbe;
  deps.connect = [this](ControllerLink::Callbacks callbacks) -> std::unique_ptr<ControllerLink> {
    return std::make_unique<ControllerClient>(client_options_, SystemClock::Get(),
                                              std::move(callbacks));
  };
  deps.watch_exits = [](std::function<void()> on_exit) -> std::unique_ptr<ExitWatcher> {
    return std::make_unique<PidfdExitWatcher>(std::move(on_exit));
  };
  return deps;
}

}  // namespace bamctl
