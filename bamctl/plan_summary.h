#ifndef BAMCTL_BAMCTL_PLAN_SUMMARY_H_
#define BAMCTL_BAMCTL_PLAN_SUMMARY_H_

#include <string>

#include "proto/plan.pb.h"

namespace bamctl {

// A short human-readable digest of compiled plans: per node its roles and
// the cluster-wide facts it received (HDFS/JobTracker addresses, masters and
// slaves, ZooKeeper id and server lines, Cassandra token and seeds, BAM
// components and toolbox deployer). Secrets are only file references in
// plans, so nothing here needs redaction.
std::string SummarizePlan(const v1::ClusterPlan& plan);

}  // namespace bamctl

#endif  // BAMCTL_BAMCTL_PLAN_SUMMARY_H_
