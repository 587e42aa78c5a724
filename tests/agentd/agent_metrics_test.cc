// The agent's Prometheus metrics as a scrape would read them, from the
// registry they are kept in.
#include "agentd/agent/agent_metrics.h"

#include <optional>
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "prometheus/registry.h"

namespace bamctl {
namespace {

// The value of the unlabelled gauge `name`; nullopt when there is none.
std::optional<double> Gauge(prometheus::Registry& registry, const std::string& name) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name == name && family.metric.size() == 1) return family.metric[0].gauge.value;
  }
  return std::nullopt;
}

TEST(AgentMetricsTest, ThePlanGaugesNameTheHeldPlansEpochAndVersion) {
  prometheus::Registry registry;
  AgentMetrics metrics(registry);
  EXPECT_EQ(Gauge(registry, "bam_agent_plan_epoch"), 0);  // no plan yet

  metrics.Update({}, /*plan_epoch=*/1, /*plan_version=*/7, /*reconcile_seconds=*/0.001);
  EXPECT_EQ(Gauge(registry, "bam_agent_plan_epoch"), 1);
  EXPECT_EQ(Gauge(registry, "bam_agent_plan_version"), 7);

  // A controller that took the cluster back: a new epoch, its versions anew.
  metrics.Update({}, /*plan_epoch=*/2, /*plan_version=*/1, /*reconcile_seconds=*/0.001);
  EXPECT_EQ(Gauge(registry, "bam_agent_plan_epoch"), 2);
  EXPECT_EQ(Gauge(registry, "bam_agent_plan_version"), 1);
}

TEST(AgentMetricsTest, TheCertificateExpiryIsInSecondsAndOnlyWithTls) {
  prometheus::Registry registry;
  AgentMetrics metrics(registry);
  EXPECT_EQ(Gauge(registry, "bam_agent_certificate_expiry_timestamp_seconds"), std::nullopt)
      << "no series without a certificate (plaintext)";
  metrics.SetCertificateExpiry(1'800'000'000'500);
  EXPECT_EQ(Gauge(registry, "bam_agent_certificate_expiry_timestamp_seconds"), 1'800'000'000.5);
  metrics.SetCertificateExpiry(1'802'592'000'000);  // renewed
  EXPECT_EQ(Gauge(registry, "bam_agent_certificate_expiry_timestamp_seconds"), 1'802'592'000);
}

// The label sets of family `name`'s series, as "k=v,k=v".
std::set<std::string> Series(prometheus::Registry& registry, const std::string& name) {
  std::set<std::string> out;
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& m : family.metric) {
      std::string labels;
      for (const prometheus::ClientMetric::Label& l : m.label) {
        labels += (labels.empty() ? "" : ",") + l.name + "=" + l.value;
      }
      out.insert(labels);
    }
  }
  return out;
}

TEST(AgentMetricsTest, ProbesAndRolesThatLeftThePlanTakeTheirSeriesWithThem) {
  prometheus::Registry registry;
  AgentMetrics metrics(registry);
  metrics.RetainProbes({{"zookeeper", {"ruok", "port"}}, {"datanode", {"port"}}});
  metrics.ObserveProbe("zookeeper", "ruok", 0.001);
  metrics.ObserveProbe("zookeeper", "port", 0.001);
  metrics.ObserveProbe("datanode", "port", 0.002);
  metrics.ObserveProbe("datanode", "other", 0.002);  // not a probe of the plan
  EXPECT_EQ(Series(registry, "bam_agent_probe_duration_seconds"),
            (std::set<std::string>{"group=datanode,probe=port", "group=zookeeper,probe=port",
                                   "group=zookeeper,probe=ruok"}));

  // The datanode left the plan; a sample still on its way is dropped.
  metrics.RetainProbes({{"zookeeper", {"ruok", "port"}}});
  metrics.ObserveProbe("datanode", "port", 0.002);
  EXPECT_EQ(Series(registry, "bam_agent_probe_duration_seconds"),
            (std::set<std::string>{"group=zookeeper,probe=port", "group=zookeeper,probe=ruok"}));

  Reconciler::ServiceMetrics zk;
  zk.name = "zookeeper";
  zk.up = true;
  Reconciler::ServiceMetrics dn;
  dn.name = "datanode";
  metrics.Update({zk, dn}, 1, 1, 0.001);
  EXPECT_EQ(Series(registry, "bam_agent_role_up"),
            (std::set<std::string>{"service=datanode", "service=zookeeper"}));
  metrics.Update({zk}, 1, 2, 0.001);
  EXPECT_EQ(Series(registry, "bam_agent_role_up"), (std::set<std::string>{"service=zookeeper"}));
  EXPECT_EQ(Series(registry, "bam_agent_role_restarts_total"),
            (std::set<std::string>{"service=zookeeper"}));
}

}  // namespace
}  // namespace bamctl
