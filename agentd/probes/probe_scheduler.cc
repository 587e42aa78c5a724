#include "agentd/probes/probe_scheduler.h"

#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/thread_name.h"

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
      wake_(std::move(wake)) {
  for (int i = 0; i < std::max(1, options_.workers); ++i) {
    workers_.emplace_back([this] { Work(); });
  }
}

ProbeScheduler::~ProbeScheduler() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  for (std::thread& t : workers_) t.join();
}

void ProbeScheduler::SetTargets(const std::map<std::string, std::vector<Probe>>& targets) {
  absl::MutexLock lock(&mu_);
  const int64_t now = clock_->MonotonicMillis();
  std::map<std::string, std::vector<std::pair<std::string, std::shared_ptr<Entry>>>> next;
  for (const auto& [group, probes] : targets) {
    auto& slots = next[group];
    auto old = groups_.find(group);
    for (const Probe& probe : probes) {
      const std::string id = Identity(probe);
      std::shared_ptr<Entry> entry;
      if (old != groups_.end()) {
        for (auto& [old_id, e] : old->second) {
          if (e && old_id == id) {
            entry = std::move(e);  // keeps its sample and schedule
            break;
          }
        }
      }
      if (!entry) {
        entry = std::make_shared<Entry>();
        entry->group = group;
        entry->probe = probe;
        entry->due_ms = now;
      }
      slots.emplace_back(id, std::move(entry));
    }
  }
  for (auto& [group, entries] : groups_) {
    for (auto& [id, e] : entries) {
      if (e) e->retired = true;
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
  for (const auto& [id, e] : it->second) out.push_back(e->latest);
  return out;
}

std::shared_ptr<ProbeScheduler::Entry> ProbeScheduler::NextDue() const {
  std::shared_ptr<Entry> first;
  for (const auto& [group, entries] : groups_) {
    for (const auto& [id, e] : entries) {
      if (!e->running && (!first || e->due_ms < first->due_ms)) first = e;
    }
  }
  return first;
}

void ProbeScheduler::Work() {
  NameThisThread("probe-worker");
  while (true) {
    std::shared_ptr<Entry> entry;
    {
      absl::MutexLock lock(&mu_);
      while (true) {
        if (stop_) return;
        entry = NextDue();
        const int64_t now = clock_->MonotonicMillis();
        if (entry && entry->due_ms <= now) break;
        // Until the next probe is due, or the targets change (a new probe is
        // due at once), or the scheduler stops.
        const int64_t deadline = entry ? entry->due_ms : std::numeric_limits<int64_t>::max();
        auto ready = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
          if (stop_) return true;
          std::shared_ptr<Entry> e = NextDue();
          return e && e->due_ms <= clock_->MonotonicMillis();
        };
        clock_->AwaitUntil(mu_, absl::Condition(&ready), deadline);
      }
      entry->running = true;
    }
    ProbeSample sample;
    sample.at_ms = clock_->MonotonicMillis();  // a probe begun before a restart never counts after
    const auto t0 = std::chrono::steady_clock::now();
    sample.result = run_(entry->probe, options_.timeout);
    sample.latency_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    bool changed = false;
    {
      absl::MutexLock lock(&mu_);
      entry->running = false;
      if (entry->retired) continue;
      changed = !entry->latest || entry->latest->result.healthy != sample.result.healthy;
      entry->latest = sample;
      entry->due_ms = clock_->MonotonicMillis() + options_.interval.count();
    }
    if (on_sample_) on_sample_(entry->group, entry->probe, sample);
    if (changed && wake_) wake_();
  }
}

}  // namespace bamctl
