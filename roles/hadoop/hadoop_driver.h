#ifndef BAMCTL_ROLES_HADOOP_HADOOP_DRIVER_H_
#define BAMCTL_ROLES_HADOOP_HADOOP_DRIVER_H_

#include <string>
#include <utility>
#include <vector>

#include "proto/plan.pb.h"
#include "roles/driver/role_driver.h"

namespace bamctl {

// The Hadoop 1.x daemons of a node (namenode, secondarynamenode,
// jobtracker, datanode, tasktracker): one service each, all sharing the
// install's conf/ files. Every service lists the same files with the same
// bytes; the node-level renderer writes each once. Hadoop 1.x has no IPv6
// support (it splits host:port at the first ':'): a plan with an IPv6 node
// address or Hadoop endpoint is refused (validation refuses the spec).
class HadoopDriver : public RoleDriver {
 public:
  absl::StatusOr<std::vector<ServiceDescription>> Describe(const v1::NodePlan& plan,
                                                           absl::string_view root) const override;
  absl::StatusOr<std::vector<ServiceSetup>> Setup(
      const v1::NodePlan& plan, const RenderContext& ctx,
      const std::vector<ServiceDescription>& services) const override;
};

// A Hadoop-style configuration document (<configuration><property>...),
// generated whole with a managed-by header; values are XML-escaped.
std::string HadoopConfigXml(const std::vector<std::pair<std::string, std::string>>& properties);

// hadoop-env.sh patched in place: the `export JAVA_HOME=` and
// `export HADOOP_HEAPSIZE=` lines (commented or not) are replaced, and
// appended when absent; every other line is kept. Idempotent.
std::string PatchHadoopEnv(const std::string& current, const std::string& java_home,
                           uint32_t heap_mb);

}  // namespace bamctl

#endif  // BAMCTL_ROLES_HADOOP_HADOOP_DRIVER_H_
