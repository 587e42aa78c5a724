#ifndef BAMCTL_CONTROLLER_SERVER_METRICS_H_
#define BAMCTL_CONTROLLER_SERVER_METRICS_H_

#include <map>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "proto/controller.pb.h"

namespace bamctl {

// The controller's Prometheus metrics, registered in one registry.
struct ControllerMetrics {
  explicit ControllerMetrics(prometheus::Registry& registry);

  prometheus::Gauge& connected_agents;
  prometheus::Counter& plan_pushes;
  prometheus::Counter& applies_ok;
  prometheus::Counter& applies_refused;
  prometheus::Histogram& apply_seconds;
  prometheus::Gauge& desired_version;
  // The epoch plans carry (DesiredState::ObserveAgent raises it).
  prometheus::Gauge& epoch;
  prometheus::Gauge& nodes_converged;
  prometheus::Gauge& nodes_not_converged;
  // Agent streams dropped because their agent did not read what was queued.
  prometheus::Counter& streams_dropped_slow;
  // 1 when the controller serves plaintext (--insecure_plaintext), else 0.
  prometheus::Gauge& insecure_plaintext;
  // When each TLS certificate the controller serves with expires, in Unix
  // seconds: certificate="controller" and "ca"; no series without TLS.
  prometheus::Family<prometheus::Gauge>& certificate_expiry;
  // Events and versions deleted by retention (--retain_*).
  prometheus::Counter& pruned_events;
  prometheus::Counter& pruned_versions;
  // HA (--ha_zookeeper): 1 while this controller leads and serves, else 0
  // (always 1 without HA); the leadership changes it has seen; the last
  // commit log entry it applied.
  prometheus::Gauge& leader;
  prometheus::Counter& leadership_changes;
  prometheus::Gauge& log_applied_index;
  // Rolling operations not finished, one gauge per kActiveOperationStates.
  std::map<v1::OperationState, prometheus::Gauge*> operations;
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_SERVER_METRICS_H_
