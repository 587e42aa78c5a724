#ifndef BAMCTL_ROLES_CASSANDRA_CASSANDRA_DRIVER_H_
#define BAMCTL_ROLES_CASSANDRA_CASSANDRA_DRIVER_H_

#include <vector>

#include "absl/status/statusor.h"
#include "proto/plan.pb.h"
#include "roles/driver/render_context.h"
#include "roles/driver/role_driver.h"
#include "roles/driver/service_plan.h"

namespace bamctl {

// The Cassandra ring member (Cassandra step 1 of the seed procedure): one
// service "cassandra" on nodes whose plan has a CassandraPlan, none
// elsewhere. It patches the installed `<home>/conf/cassandra.yaml` (read
// through the context, stock copy "wso2-bam/cassandra.yaml") and
// `<home>/conf/cassandra-env.sh` (the heap and the JMX port; stock copy
// "apache-cassandra/cassandra-env.sh"), runs `bin/cassandra -f`, probes the
// RPC and storage ports, and is restarted one node at a time after
// `nodetool drain` on that JMX port.
// On a node with an IPv6 address (or IPv6 seeds) the JVM is started with
// -Djava.net.preferIPv4Stack=false, overriding cassandra-env.sh's IPv4-only
// default. Errors name the node and the file.
class CassandraDriver : public RoleDriver {
 public:
  absl::StatusOr<std::vector<ServiceDescription>> Describe(const v1::NodePlan& plan,
                                                           absl::string_view root) const override;
  absl::StatusOr<std::vector<ServiceSetup>> Setup(
      const v1::NodePlan& plan, const RenderContext& ctx,
      const std::vector<ServiceDescription>& services) const override;
};

}  // namespace bamctl

#endif  // BAMCTL_ROLES_CASSANDRA_CASSANDRA_DRIVER_H_
