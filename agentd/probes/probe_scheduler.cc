#include "agentd/probes/probe_scheduler.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace bamctl {
namespace {

std::string Identity(const Probe& p) {
  return absl::StrCat(static_cast<int>(p.kind), "|", p.name, "|", p.host, "|", p.port, "|",
                      p.http_path);
}

}  // namespace

ProbeScheduler::ProbeScheduler(Options options, const Clock* clock, RunFn run, SampleFn on_sample,
                               std::function<void()> wake)
    : options_(options),
      clock_(clock),
      run_(std::move(run)),
      on_sample_(std::move(on_sample)),
      wake_(std::move(wake)) {}

ProbeScheduler::~ProbeScheduler() {
  std::vector<std::unique_ptr<Worker>> all;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [group, workers] : groups_) {
      for (auto& [id, w] : workers) {
        w->stop = true;
        all.push_back(std::move(w));
      }
    }
    groups_.clear();
    for (auto& w : retired_) all.push_back(std::move(w));
    retired_.clear();
  }
  for (auto& w : all) {
    if (w->thread.joinable()) w->thread.join();
  }
}

void ProbeScheduler::SetTargets(const std::map<std::string, std::vector<Probe>>& targets) {
  JoinFinished();
  absl::MutexLock lock(&mu_);
  std::map<std::string, std::vector<std::pair<std::string, std::unique_ptr<Worker>>>> next;
  for (const auto& [group, probes] : targets) {
    auto& slots = next[group];
    auto old = groups_.find(group);
    for (const Probe& probe : probes) {
      const std::string id = Identity(probe);
      std::unique_ptr<Worker> reuse;
      if (old != groups_.end()) {
        for (auto& [old_id, w] : old->second) {
          if (w && old_id == id) {
            reuse = std::move(w);
            break;
          }
        }
      }
      if (!reuse) {
        reuse = std::make_unique<Worker>();
        reuse->group = group;
        reuse->probe = probe;
        Worker* raw = reuse.get();
        reuse->thread = std::thread([this, raw] { Loop(raw); });
      }
      slots.emplace_back(id, std::move(reuse));
    }
  }
  for (auto& [group, workers] : groups_) {
    for (auto& [id, w] : workers) {
      if (!w) continue;
      w->stop = true;  // joined once its current probe returns
      retired_.push_back(std::move(w));
    }
  }
  groups_ = std::move(next);
}

std::vector<std::optional<ProbeSample>> ProbeScheduler::Samples(const std::string& group) const {
  absl::MutexLock lock(&mu_);
  std::vector<std::optional<ProbeSample>> out;
  auto it = groups_.find(group);
  if (it == groups_.end()) return out;
  out.reserve(it->second.size());
  for (const auto& [id, w] : it->second) out.push_back(w->latest);
  return out;
}

void ProbeScheduler::JoinFinished() {
  std::vector<std::unique_ptr<Worker>> finished;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = retired_.begin(); it != retired_.end();) {
      if ((*it)->done) {
        finished.push_back(std::move(*it));
        it = retired_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& w : finished) w->thread.join();
}

void ProbeScheduler::Loop(Worker* w) {
  Probe probe;
  std::string group;
  {
    absl::MutexLock lock(&mu_);
    probe = w->probe;
    group = w->group;
  }
  while (true) {
    const auto t0 = std::chrono::steady_clock::now();
    ProbeResult result = run_(probe, options_.timeout);
    ProbeSample sample;
    sample.latency_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    sample.at_ms = clock_->NowMillis();
    sample.result = std::move(result);
    bool changed = false;
    {
      absl::MutexLock lock(&mu_);
      if (w->stop) break;
      changed = !w->latest || w->latest->result.healthy != sample.result.healthy;
      w->latest = sample;
    }
    if (on_sample_) on_sample_(group, probe, sample);
    if (changed && wake_) wake_();
    absl::MutexLock lock(&mu_);
    auto stopped = [w]() { return w->stop; };
    mu_.AwaitWithTimeout(absl::Condition(&stopped), absl::Milliseconds(options_.interval.count()));
    if (w->stop) break;
  }
  absl::MutexLock lock(&mu_);
  w->done = true;
}

}  // namespace bamctl
