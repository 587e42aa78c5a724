// Fuzz target: the line-based cassandra.yaml patcher, on any text as the
// file the host has. Property from its contract: patching its own output
// again returns it unchanged (the agent patches on every pass, and a
// change would restart Cassandra).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.h"
#include "proto/plan.pb.h"
#include "roles/cassandra/cassandra_yaml.h"

namespace {

bamctl::v1::CassandraPlan Plan() {
  bamctl::v1::CassandraPlan plan;
  plan.set_cluster_name("Test Cluster's ring");
  plan.set_partitioner("org.apache.cassandra.dht.RandomPartitioner");
  plan.set_initial_token("85070591730234615865843651857942052864");
  plan.add_seeds("node3");
  plan.add_seeds("node4");
  plan.set_listen_address("198.18.0.3");
  plan.set_rpc_address("198.18.0.3");
  plan.set_rpc_port(9160);
  plan.set_storage_port(7000);
  plan.set_data_dir("/var/lib/cassandra/data");
  plan.set_commitlog_dir("/var/lib/cassandra/commitlog");
  plan.set_saved_caches_dir("/var/lib/cassandra/saved_caches");
  return plan;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bamctl::v1::CassandraPlan* const plan = new bamctl::v1::CassandraPlan(Plan());
  absl::StatusOr<std::string> once =
      bamctl::PatchCassandraYaml("cassandra.yaml", bamctl::fuzz::AsText(data, size), *plan);
  if (!once.ok()) return 0;
  absl::StatusOr<std::string> twice = bamctl::PatchCassandraYaml("cassandra.yaml", *once, *plan);
  bamctl::fuzz::Check(twice.ok(), "the patcher accepts its own output");
  bamctl::fuzz::Check(*twice == *once, "patching twice is patching once");
  return 0;
}
