#ifndef BAMCTL_AGENTD_AGENT_AGENT_METRICS_H_
#define BAMCTL_AGENTD_AGENT_AGENT_METRICS_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "agentd/reconciler/reconciler.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace bamctl {

// The agent's Prometheus metrics. Per-service series follow the plan: a
// service that leaves it loses its series.
class AgentMetrics {
 public:
  explicit AgentMetrics(prometheus::Registry& registry);

  // After each pass, from the loop thread; `plan_epoch` and `plan_version`
  // name the plan the agent holds (accepted or restored from its state).
  void Update(const std::vector<Reconciler::ServiceMetrics>& services, int64_t plan_epoch,
              int64_t plan_version, double reconcile_seconds);
  void SetConnected(bool connected);
  // When the node certificate in use expires (Unix ms); never called, and
  // no series, without mutual TLS.
  void SetCertificateExpiry(int64_t unix_ms);
  // The probes the plan has now, by group (the reconciler's SetTargets):
  // the series of every other probe go, and a late sample of one that left
  // (a probe still running when its role left the plan) is dropped, so a
  // scrape shows only what the plan probes.
  void RetainProbes(const std::map<std::string, std::vector<std::string>>& probes);
  // From probe threads.
  void ObserveProbe(const std::string& group, const std::string& probe, double seconds);

 private:
  prometheus::Family<prometheus::Gauge>& up_;
  prometheus::Family<prometheus::Gauge>& phase_;
  prometheus::Family<prometheus::Counter>& restarts_;
  prometheus::Family<prometheus::Gauge>& exit_code_;
  prometheus::Family<prometheus::Gauge>& config_current_;
  prometheus::Family<prometheus::Histogram>& probe_seconds_;
  prometheus::Histogram& reconcile_seconds_;
  prometheus::Gauge& connected_;
  prometheus::Gauge& plan_epoch_;
  prometheus::Gauge& plan_version_;
  prometheus::Family<prometheus::Gauge>& certificate_expiry_;

  std::map<std::string, uint32_t> restarts_seen_;  // loop thread only
  // Family::Add is thread-safe; this guards the cache, and holds a
  // histogram while it is observed so RetainProbes never frees it midway.
  absl::Mutex probe_mu_;
  std::set<std::string> retained_probes_ ABSL_GUARDED_BY(probe_mu_);  // "group\nprobe"
  std::map<std::string, prometheus::Histogram*> probes_ ABSL_GUARDED_BY(probe_mu_);
};

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_AGENT_AGENT_METRICS_H_
