#include "agentd/agent/agent_metrics.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "proto/enum_text.h"

namespace bamctl {

AgentMetrics::AgentMetrics(prometheus::Registry& registry)
    : up_(prometheus::BuildGauge()
              .Name("bam_agent_role_up")
              .Help("1 when the service's process runs")
              .Register(registry)),
      phase_(prometheus::BuildGauge()
                 .Name("bam_agent_role_phase")
                 .Help("1 for the service's current phase, 0 for the others")
                 .Register(registry)),
      restarts_(prometheus::BuildCounter()
                    .Name("bam_agent_role_restarts_total")
                    .Help("Times the agent started a service again after it ended")
                    .Register(registry)),
      exit_code_(prometheus::BuildGauge()
                     .Name("bam_agent_role_last_exit_code")
                     .Help("Exit code of the service's last exit (128+signal); -1 unknown")
                     .Register(registry)),
      config_current_(prometheus::BuildGauge()
                          .Name("bam_agent_role_config_current")
                          .Help("1 when the running process has the plan's config (no restart "
                                "pending)")
                          .Register(registry)),
      probe_seconds_(prometheus::BuildHistogram()
                         .Name("bam_agent_probe_duration_seconds")
                         .Help("Probe latency")
                         .Register(registry)),
      reconcile_seconds_(
          prometheus::BuildHistogram()
              .Name("bam_agent_reconcile_duration_seconds")
              .Help("Duration of one reconcile pass")
              .Register(registry)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                               0.025, 0.05, 0.1, 0.25, 0.5, 1})),
      connected_(prometheus::BuildGauge()
                     .Name("bam_agent_controller_connected")
                     .Help("1 while the agent's stream to the controller is up")
                     .Register(registry)
                     .Add({})),
      // Below the controller's bamctl_controller_epoch while the agent holds
      // a plan from before a take-back.
      plan_epoch_(prometheus::BuildGauge()
                      .Name("bam_agent_plan_epoch")
                      .Help("Epoch of the plan the agent holds")
                      .Register(registry)
                      .Add({})),
      plan_version_(prometheus::BuildGauge()
                        .Name("bam_agent_plan_version")
                        .Help("Desired-state version of the plan the agent holds")
                        .Register(registry)
                        .Add({})),
      certificate_expiry_(prometheus::BuildGauge()
                              .Name("bam_agent_certificate_expiry_timestamp_seconds")
                              .Help("When the node certificate the agent uses expires (it renews "
                                    "it after two thirds of its lifetime)")
                              .Register(registry)) {}

void AgentMetrics::Update(const std::vector<Reconciler::ServiceMetrics>& services,
                          int64_t plan_epoch, int64_t plan_version, double reconcile_seconds) {
  reconcile_seconds_.Observe(reconcile_seconds);
  plan_epoch_.Set(static_cast<double>(plan_epoch));
  plan_version_.Set(static_cast<double>(plan_version));
  std::set<std::string> present;
  for (const Reconciler::ServiceMetrics& s : services) {
    present.insert(s.name);
    const std::map<std::string, std::string> labels{{"service", s.name}};
    up_.Add(labels).Set(s.up ? 1 : 0);
    exit_code_.Add(labels).Set(s.last_exit_code);
    config_current_.Add(labels).Set(s.config_current ? 1 : 0);
    // Every phase, so each service has a full state set (one series at 1,
    // the others at 0) and alerts can match on any of them.
    for (v1::Phase phase : EnumValues<v1::Phase>()) {
      phase_.Add({{"service", s.name}, {"phase", EnumText(phase)}}).Set(s.phase == phase ? 1 : 0);
    }
    prometheus::Counter& restarts = restarts_.Add(labels);
    uint32_t& seen = restarts_seen_[s.name];
    if (s.restarts > seen) restarts.Increment(s.restarts - seen);
    seen = s.restarts;
  }
  for (auto it = restarts_seen_.begin(); it != restarts_seen_.end();) {
    if (present.count(it->first) > 0) {
      ++it;
      continue;
    }
    const std::map<std::string, std::string> labels{{"service", it->first}};
    up_.Remove(&up_.Add(labels));
    exit_code_.Remove(&exit_code_.Add(labels));
    config_current_.Remove(&config_current_.Add(labels));
    restarts_.Remove(&restarts_.Add(labels));
    for (v1::Phase phase : EnumValues<v1::Phase>()) {
      phase_.Remove(&phase_.Add({{"service", it->first}, {"phase", EnumText(phase)}}));
    }
    it = restarts_seen_.erase(it);
  }
}

void AgentMetrics::SetConnected(bool connected) { connected_.Set(connected ? 1 : 0); }

void AgentMetrics::SetCertificateExpiry(int64_t unix_ms) {
  certificate_expiry_.Add({}).Set(static_cast<double>(unix_ms) / 1000.0);
}

void AgentMetrics::RetainProbes(const std::map<std::string, std::vector<std::string>>& probes) {
  std::set<std::string> keep;
  for (const auto& [group, names] : probes) {
    for (const std::string& name : names) keep.insert(absl::StrCat(group, "\n", name));
  }
  absl::MutexLock lock(&probe_mu_);
  for (auto it = probes_.begin(); it != probes_.end();) {
    if (keep.count(it->first) > 0) {
      ++it;
      continue;
    }
    probe_seconds_.Remove(it->second);
    it = probes_.erase(it);
  }
  retained_probes_ = std::move(keep);
}

void AgentMetrics::ObserveProbe(const std::string& group, const std::string& probe,
                                double seconds) {
  const std::string key = absl::StrCat(group, "\n", probe);
  absl::MutexLock lock(&probe_mu_);
  if (retained_probes_.count(key) == 0) return;  // left the plan meanwhile
  prometheus::Histogram*& slot = probes_[key];
  if (slot == nullptr) {
    slot = &probe_seconds_.Add({{"group", group}, {"probe", probe}},
                               prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.005, 0.01,
                                                                       0.05, 0.1, 0.5, 1, 2, 5});
  }
  slot->Observe(seconds);
}

}  // namespace bamctl
