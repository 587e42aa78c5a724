#include "controller/server/metrics.h"

#include "controller/store/store.h"
#include "proto/enum_text.h"

namespace bamctl {
namespace {

prometheus::Family<prometheus::Counter>& Applies(prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("bamctl_controller_applies_total")
      .Help("ApplyDesiredState calls by result")
      .Register(registry);
}

prometheus::Family<prometheus::Gauge>& Nodes(prometheus::Registry& registry) {
  return prometheus::BuildGauge()
      .Name("bamctl_controller_nodes")
      .Help("Nodes of the current plan by convergence")
      .Register(registry);
}

prometheus::Family<prometheus::Gauge>& Operations(prometheus::Registry& registry) {
  return prometheus::BuildGauge()
      .Name("bamctl_controller_operations")
      .Help("Rolling operations not finished yet, by state")
      .Register(registry);
}

prometheus::Family<prometheus::Counter>& Pruned(prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("bamctl_controller_retention_pruned_total")
      .Help("Rows deleted by retention (--retain_events, --retain_versions), by what")
      .Register(registry);
}

}  // namespace

ControllerMetrics::ControllerMetrics(prometheus::Registry& registry)
    : connected_agents(prometheus::BuildGauge()
                           .Name("bamctl_controller_connected_agents")
                           .Help("Agents with an open stream to the controller")
                           .Register(registry)
                           .Add({})),
      plan_pushes(prometheus::BuildCounter()
                      .Name("bamctl_controller_plan_pushes_total")
                      .Help("Node plans sent to agents")
                      .Register(registry)
                      .Add({})),
      applies_ok(Applies(registry).Add({{"result", "ok"}})),
      applies_refused(Applies(registry).Add({{"result", "refused"}})),
      apply_seconds(prometheus::BuildHistogram()
                        .Name("bamctl_controller_apply_duration_seconds")
                        .Help("Time to validate, compile and store a spec")
                        .Register(registry)
                        .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.05,
                                                                         0.1, 0.5, 1, 5})),
      desired_version(prometheus::BuildGauge()
                          .Name("bamctl_controller_desired_version")
                          .Help("The current desired-state version")
                          .Register(registry)
                          .Add({})),
      epoch(prometheus::BuildGauge()
                .Name("bamctl_controller_epoch")
                .Help("The controller's epoch, raised each time it takes the cluster back")
                .Register(registry)
                .Add({})),
      nodes_converged(Nodes(registry).Add({{"state", "converged"}})),
      nodes_not_converged(Nodes(registry).Add({{"state", "not_converged"}})),
      streams_dropped_slow(prometheus::BuildCounter()
                               .Name("bamctl_controller_agent_streams_dropped_total")
                               .Help("Agent streams dropped because the agent did not read")
                               .Register(registry)
                               .Add({{"reason", "not_reading"}})),
      insecure_plaintext(prometheus::BuildGauge()
                             .Name("bamctl_controller_insecure_plaintext")
                             .Help("1 when the controller serves without TLS (loopback only)")
                             .Register(registry)
                             .Add({})),
      certificate_expiry(prometheus::BuildGauge()
                             .Name("bamctl_controller_certificate_expiry_timestamp_seconds")
                             .Help("When the certificate the controller serves with, or the "
                                   "cluster CA, expires")
                             .Register(registry)),
      pruned_events(Pruned(registry).Add({{"what", "events"}})),
      pruned_versions(Pruned(registry).Add({{"what", "versions"}})),
      leader(prometheus::BuildGauge()
                 .Name("bamctl_controller_leader")
                 .Help("1 while this controller leads (serves writes and agents), else 0")
                 .Register(registry)
                 .Add({})),
      leadership_changes(prometheus::BuildCounter()
                             .Name("bamctl_controller_leadership_changes_total")
                             .Help("Changes of the HA leader this controller has seen")
                             .Register(registry)
                             .Add({})),
      log_applied_index(prometheus::BuildGauge()
                            .Name("bamctl_controller_log_applied_index")
                            .Help("The last HA commit log entry this controller applied")
                            .Register(registry)
                            .Add({})) {
  prometheus::Family<prometheus::Gauge>& family = Operations(registry);
  for (v1::OperationState state : kActiveOperationStates) {
    operations[state] = &family.Add({{"state", EnumText(state)}});
  }
}

}  // namespace bamctl
