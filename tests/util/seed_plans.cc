#include "tests/util/seed_plans.h"

#include "gtest/gtest.h"
#include "roles/spec/spec_loader.h"
#include "roles/topology/compiler.h"
#include "tests/util/test_util.h"

namespace bamctl::testing {

v1::NodePlan SeedNodePlan(absl::string_view node, absl::string_view edit_from,
                          absl::string_view edit_to) {
  if (edit_from.empty()) return SeedNodePlanEdited(node, {});
  return SeedNodePlanEdited(node, {{std::string(edit_from), std::string(edit_to)}});
}

v1::NodePlan SeedNodePlanEdited(absl::string_view node,
                                const std::vector<std::pair<std::string, std::string>>& edits) {
  std::string text = ReadSourceFile("examples/seed-cluster.yaml");
  for (const auto& [from, to] : edits) text = ReplaceOnce(text, from, to);
  LoadedSpec loaded = LoadSpec(text);
  EXPECT_TRUE(loaded.ok());
  absl::StatusOr<v1::ClusterPlan> plan = CompileTopology(loaded.spec);
  EXPECT_TRUE(plan.ok()) << plan.status();
  if (plan.ok()) {
    for (const v1::NodePlan& n : plan->nodes()) {
      if (n.node() == node) return n;
    }
  }
  ADD_FAILURE() << "no seed node " << node;
  return v1::NodePlan();
}

v1::HostList SeedHosts() {
  LoadedSpec loaded = LoadSpec(ReadSourceFile("examples/seed-cluster.yaml"));
  EXPECT_TRUE(loaded.ok());
  absl::StatusOr<v1::ClusterPlan> plan = CompileTopology(loaded.spec);
  EXPECT_TRUE(plan.ok()) << plan.status();
  return plan.ok() ? plan->hosts() : v1::HostList();
}

std::vector<std::pair<std::string, std::string>> Ipv6SeedEdits() {
  return {
      {"manage_hosts_file: true\n", "manage_hosts_file: true\nrender_addresses: true\n"},
      {"roles: [namenode, jobtracker, bam-receiver",
       "roles: [namenode, jobtracker, datanode, tasktracker, bam-receiver"},
      {"roles: [secondarynamenode, bam-receiver",
       "roles: [secondarynamenode, datanode, tasktracker, bam-receiver"},
      {"address: 192.168.4.102\n    roles: [datanode, tasktracker, cassandra, zookeeper]",
       "address: fd00::2\n    roles: [cassandra, zookeeper]"},
      {"address: 192.168.4.103\n    roles: [datanode, tasktracker, cassandra, zookeeper]",
       "address: fd00::3\n    roles: [cassandra, zookeeper]"},
      {"address: 192.168.4.104\n    roles: [datanode, tasktracker, cassandra, zookeeper]",
       "address: fd00::4\n    roles: [cassandra, zookeeper]"},
      {"zookeeper:\n  client_port: 2181\n", "zookeeper:\n  version: 3.4.14\n  client_port: 2181\n"},
  };
}

v1::NodePlan Ipv6SeedNodePlan(absl::string_view node) {
  return SeedNodePlanEdited(node, Ipv6SeedEdits());
}

}  // namespace bamctl::testing
