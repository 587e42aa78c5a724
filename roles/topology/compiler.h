#ifndef BAMCTL_ROLES_TOPOLOGY_COMPILER_H_
#define BAMCTL_ROLES_TOPOLOGY_COMPILER_H_

#include "absl/status/statusor.h"
#include "proto/plan.pb.h"
#include "proto/spec.pb.h"

namespace bamctl {

// Compiles an effective, validated spec (LoadSpec(...).ok()) into one
// NodePlan per node, in spec order, with every cluster-wide fact resolved:
// ZooKeeper ids and server lines, Cassandra tokens for the partitioner,
// seeds, HDFS and JobTracker addresses, masters/slaves, datasource URLs,
// which analyzer keeps the toolbox deployer. Pure and deterministic: the same
// spec gives byte-identical plans. Returns InvalidArgument for a spec that
// skipped validation (unknown roles, bad tokens, missing namenode, ...).
absl::StatusOr<v1::ClusterPlan> CompileTopology(const v1::ClusterSpec& spec);

}  // namespace bamctl

#endif  // BAMCTL_ROLES_TOPOLOGY_COMPILER_H_
