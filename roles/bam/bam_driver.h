#ifndef BAMCTL_ROLES_BAM_BAM_DRIVER_H_
#define BAMCTL_ROLES_BAM_BAM_DRIVER_H_

#include <string>
#include <utility>
#include <vector>

#include "proto/plan.pb.h"
#include "roles/driver/role_driver.h"

namespace bamctl {

// The WSO2 BAM 2.x server of a node: one install and one process ("bam")
// serving whichever of bam-receiver, bam-analyzer and bam-dashboard the
// node has. It patches the shipped files under <home>/repository/conf in
// place (owned elements only, the rest byte for byte):
//
//   every BAM node   carbon.xml (Ports/Offset), cassandra-component.xml,
//                    advanced/streamdefn.xml, datasources/master-datasources.xml
//                    (WSO2_REG_DB, WSO2BAM_DATASOURCE; 0600: it holds the
//                    passwords), registry.xml (shared config/governance mounts)
//   analyzers only   etc/coordination-client-config.xml, etc/tasks-config.xml,
//                    advanced/hive-site.xml, and removal of the toolbox
//                    deployer bundle where the plan does not keep it
//
// The guide configures the last group under "Configuring BAM analyzer
// nodes" only; the datasources and the registry mounts are kept on every
// BAM node because dashboards read the summary database and every node
// shares the registry. streamdefn.xml, coordination-client-config.xml and
// hive-site.xml are generated when the host has none.
//
// Hosts in these files: the Cassandra <Nodes> list and the coordination
// servers become "host:port" strings that Hector and the ZooKeeper client
// split at the last ':', so an IPv6 host is bracketed there; the JDBC URLs
// bracket it too. Probes connect to bare hosts.
class BamDriver : public RoleDriver {
 public:
  struct Options {
    // Bundles under <home>/repository/components/plugins that make up the
    // "BAM Toolbox Deployer" feature the guide removes from all analyzers
    // but one. Glob patterns: the bundle version depends on the BAM release,
    // which the plan does not carry.
    std::vector<std::string> toolbox_deployer_bundles = {
        "org.wso2.carbon.bam.toolbox.deployer_*.jar",
        "org.wso2.carbon.bam.toolbox.deployer.ui_*.jar",
    };
  };

  BamDriver() = default;
  explicit BamDriver(Options options) : options_(std::move(options)) {}

  absl::StatusOr<std::vector<ServiceDescription>> Describe(const v1::NodePlan& plan,
                                                           absl::string_view root) const override;
  absl::StatusOr<std::vector<ServiceSetup>> Setup(
      const v1::NodePlan& plan, const RenderContext& ctx,
      const std::vector<ServiceDescription>& services) const override;

 private:
  Options options_;
};

}  // namespace bamctl

#endif  // BAMCTL_ROLES_BAM_BAM_DRIVER_H_
