// The agent's Prometheus metrics as a scrape would read them, from the
// registry they are kept in.
#include "agentd/agent/agent_metrics.h"

#include <optional>
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

}  // namespace
}  // namespace bamctl
