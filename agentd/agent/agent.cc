#include "agentd/agent/agent.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "roles/probe/probe_runner.h"
#include "spdlog/spdlog.h"

namespace bamctl {

ThreadExecutor::~ThreadExecutor() {
  std::vector<std::unique_ptr<Task>> tasks;
  {
    absl::MutexLock lock(&mu_);
    tasks.swap(tasks_);
  }
  for (auto& t : tasks) t->thread.join();
}

void ThreadExecutor::Run(std::function<void()> task) {
  std::vector<std::unique_ptr<Task>> finished;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = tasks_.begin(); it != tasks_.end();) {
      if ((*it)->done) {
        finished.push_back(std::move(*it));
        it = tasks_.erase(it);
      } else {
        ++it;
      }
    }
    auto t = std::make_unique<Task>();
    Task* raw = t.get();
    t->thread = std::thread([this, raw, task = std::move(task)] {
      task();
      absl::MutexLock l(&mu_);
      raw->done = true;
    });
    tasks_.push_back(std::move(t));
  }
  for (auto& f : finished) f->thread.join();  // done already: returns at once
}

Agent::Agent(AgentOptions options)
    : options_(std::move(options)), secrets_(options_.reconciler.root_dir) {}

Agent::~Agent() { Stop(); }

absl::Status Agent::Start() {
  registry_ = std::make_shared<prometheus::Registry>();
  metrics_ = std::make_unique<AgentMetrics>(*registry_);
  if (!options_.metrics_listen.empty()) {
    try {  // prometheus-cpp reports a failed bind by throwing
      exposer_ = std::make_unique<prometheus::Exposer>(options_.metrics_listen);
    } catch (const std::exception& e) {
      return absl::UnavailableError(
          absl::StrCat("cannot serve /metrics on ", options_.metrics_listen, ": ", e.what()));
    }
    exposer_->RegisterCollectable(registry_);
  }
  executor_ = std::make_unique<ThreadExecutor>();
  ProbeScheduler::Options probe_options;
  probe_options.interval = options_.probe_interval;
  probe_options.timeout = options_.probe_timeout;
  probes_ = std::make_unique<ProbeScheduler>(
      probe_options, SystemClock::Get(), RunProbe,
      [this](const std::string& group, const Probe& probe, const ProbeSample& sample) {
        metrics_->ObserveProbe(group, probe.name, sample.latency_ms / 1000.0);
      },
      [this] { Wake(); });
  reconciler_ = std::make_unique<Reconciler>(options_.reconciler, &launcher_, SystemClock::Get(),
                                             probes_.get(), executor_.get(), &preflight_, &secrets_,
                                             [this] { Wake(); });
  reconciler_->Start();

  if (!options_.controller.empty()) {
    ControllerClient::Options client_options;
    client_options.target = options_.controller;
    client_options.node = options_.reconciler.node;
    client_options.agent_version = options_.reconciler.agent_version;
    client_options.heartbeat = options_.heartbeat;
    ControllerClient::Callbacks callbacks;
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
      spdlog::info("controller {}: {}", options_.controller,
                   connected ? "connected" : "disconnected");
    };
    client_ = std::make_unique<ControllerClient>(client_options, SystemClock::Get(), callbacks);
    // The first report (held plan version) goes out with the hello.
    client_->SetReport(reconciler_->Report());
    client_->Start();
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
  if (loop_.joinable()) loop_.join();
  if (client_) client_->Stop();
  for (auto& [pid, w] : watchers_) *w.stop = true;
  for (auto& [pid, w] : watchers_) w.thread.join();
  watchers_.clear();
  executor_.reset();  // waits for stops in flight
  probes_.reset();
}

void Agent::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
}

void Agent::SyncWatchers(const std::vector<ProcessId>& ids) {
  std::map<pid_t, ProcessId> want;
  for (const ProcessId& id : ids) want[id.pid] = id;
  for (auto it = watchers_.begin(); it != watchers_.end();) {
    if (want.count(it->first) > 0) {
      ++it;
      continue;
    }
    *it->second.stop = true;
    it->second.thread.join();  // returns within one wait slice
    it = watchers_.erase(it);
  }
  for (const auto& [pid, id] : want) {
    if (watchers_.count(pid) > 0) continue;
    auto stop = std::make_shared<std::atomic<bool>>(false);
    // pidfd: woken the moment the process ends, child or adopted.
    std::thread thread([this, id = id, stop] {
      while (!*stop) {
        if (launcher_.WaitForExit(id, std::chrono::milliseconds(500))) {
          Wake();
          return;
        }
      }
    });
    watchers_[pid] = Watcher{std::move(thread), stop};
  }
}

void Agent::Loop() {
  while (true) {
    std::vector<v1::PlanUpdate> plans;
    std::vector<v1::Command> commands;
    {
      absl::MutexLock lock(&mu_);
      if (stop_) break;
      plans.swap(plans_);
      commands.swap(commands_);
      woken_ = false;
    }
    for (const v1::PlanUpdate& plan : plans) {
      PlanVerdict verdict = reconciler_->OfferPlan(plan);
      if (verdict.changed) spdlog::info("accepted plan v{}", plan.version());
    }
    for (const v1::Command& command : commands) reconciler_->OfferCommand(command);
    if (client_) reconciler_->SetClockOffset(client_->clock_offset_ms());

    const auto t0 = std::chrono::steady_clock::now();
    const int64_t next = reconciler_->Pass();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    if (client_) {
      for (const CommandResult& r : reconciler_->TakeCommandResults()) {
        v1::CommandResult out;
        out.set_command_id(r.command_id);
        out.set_ok(r.ok);
        out.set_message(r.message);
        client_->SendCommandResult(out);
      }
      client_->SetReport(reconciler_->Report());
    }
    SyncWatchers(reconciler_->WatchedProcesses());
    metrics_->Update(reconciler_->Metrics(), reconciler_->plan_version(), seconds);

    const int64_t wait_ms = std::max<int64_t>(0, next - SystemClock::Get()->NowMillis());
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return stop_ || woken_; };
    mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(wait_ms));
  }
}

}  // namespace bamctl
