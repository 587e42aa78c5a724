#ifndef BAMCTL_TESTS_UTIL_SEED_PLANS_H_
#define BAMCTL_TESTS_UTIL_SEED_PLANS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "proto/plan.pb.h"

namespace bamctl::testing {

// The compiled plan of `node` in examples/seed-cluster.yaml (after
// `edit_from` -> `edit_to` when given); fails the test when it does not
// compile.
v1::NodePlan SeedNodePlan(absl::string_view node, absl::string_view edit_from = "",
                          absl::string_view edit_to = "");

// The host list compiled from examples/seed-cluster.yaml (ClusterPlan.hosts:
// its five nodes, spec order).
v1::HostList SeedHosts();

// The same after several edits, applied in order.
v1::NodePlan SeedNodePlanEdited(absl::string_view node,
                                const std::vector<std::pair<std::string, std::string>>& edits);

// Edits that move examples/seed-cluster.yaml onto IPv6 where its products
// allow it: node3-5 (Cassandra and ZooKeeper) get fd00::2 to fd00::4 and
// lose their datanodes and tasktrackers to node1 and node2, which keep
// their IPv4 addresses (Hadoop 1.x has no IPv6); render_addresses is on and
// ZooKeeper is 3.4.14, which reads IPv6 server lines.
std::vector<std::pair<std::string, std::string>> Ipv6SeedEdits();

// The compiled plan of `node` after Ipv6SeedEdits().
v1::NodePlan Ipv6SeedNodePlan(absl::string_view node);

}  // namespace bamctl::testing

#endif  // BAMCTL_TESTS_UTIL_SEED_PLANS_H_
