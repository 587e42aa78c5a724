#include "roles/topology/compiler.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "roles/spec/spec_loader.h"
#include "tests/util/seed_plans.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

using ::bamctl::testing::Ipv6SeedEdits;
using ::bamctl::testing::ReadSourceFile;
using ::bamctl::testing::ReplaceOnce;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Seed() { return ReadSourceFile("examples/seed-cluster.yaml"); }

MATCHER_P2(IsEndpoint, host, port, absl::StrCat("is ", host, " port ", port)) {
  return arg.host() == host && arg.port() == static_cast<uint32_t>(port);
}

v1::ClusterPlan Compile(const std::string& text) {
  LoadedSpec loaded = LoadSpec(text);
  EXPECT_TRUE(loaded.ok());
  absl::StatusOr<v1::ClusterPlan> plan = CompileTopology(loaded.spec);
  EXPECT_TRUE(plan.ok()) << plan.status();
  return plan.ok() ? *plan : v1::ClusterPlan();
}

const v1::NodePlan& Node(const v1::ClusterPlan& plan, int i) { return plan.nodes(i); }

TEST(CompilerTest, SeedRolesPerNode) {
  v1::ClusterPlan plan = Compile(Seed());
  ASSERT_EQ(plan.nodes_size(), 5);
  EXPECT_EQ(plan.cluster_name(), "bam-seed");
  EXPECT_THAT(Node(plan, 0).roles(), ElementsAre("namenode", "jobtracker", "bam-receiver",
                                                 "bam-analyzer", "bam-dashboard"));
  EXPECT_THAT(Node(plan, 2).roles(),
              ElementsAre("zookeeper", "cassandra", "datanode", "tasktracker"));
  EXPECT_FALSE(Node(plan, 0).has_zookeeper());
  EXPECT_FALSE(Node(plan, 0).has_cassandra());
  EXPECT_TRUE(Node(plan, 0).has_bam());
  EXPECT_FALSE(Node(plan, 2).has_bam());
  EXPECT_TRUE(Node(plan, 3).manage_hosts_file());
  ASSERT_EQ(plan.hosts().entries_size(), 5);
  EXPECT_EQ(plan.hosts().entries(1).name(), "node2");
  EXPECT_EQ(plan.hosts().entries(1).address(), "192.168.4.101");
}

TEST(CompilerTest, HostsOnlyWhenTheSpecManagesTheHostsFile) {
  v1::ClusterPlan plan =
      Compile(ReplaceOnce(Seed(), "manage_hosts_file: true\n", "manage_hosts_file: false\n"));
  EXPECT_FALSE(Node(plan, 3).manage_hosts_file());
  EXPECT_THAT(plan.hosts().entries(), IsEmpty());
}

// A cluster of `nodes` nodes managing hosts files: three ZooKeeper and
// Cassandra seeds, one master, and workers.
std::string ManagedSpec(int nodes) {
  std::string yaml = "name: big\nmanage_hosts_file: true\nnodes:\n";
  absl::StrAppend(&yaml,
                  "  - {name: m, address: 10.0.0.1, roles: [namenode, jobtracker, "
                  "bam-receiver, bam-analyzer, bam-dashboard]}\n");
  for (int i = 1; i < nodes; ++i) {
    absl::StrAppend(&yaml, "  - {name: w", i, ", address: 10.", 1 + i / 65536, ".", (i / 256) % 256,
                    ".", i % 256, ", roles: [datanode, tasktracker",
                    i <= 3 ? ", zookeeper, cassandra" : "", "]}\n");
  }
  absl::StrAppend(&yaml,
                  "bam:\n  registry_datasource: {password_file: /etc/s/reg}\n"
                  "  summary_datasource: {password_file: /etc/s/bam}\n"
                  "mysql: {host: db}\n");
  return yaml;
}

// Issue 12: the host list is in the plan once, not once per node.
TEST(CompilerTest, OneHostListPerClusterNotPerNode) {
  for (int n : {10, 100}) {
    v1::ClusterPlan plan = Compile(ManagedSpec(n));
    ASSERT_EQ(plan.nodes_size(), n);
    int64_t entries = plan.hosts().entries_size();
    for (const v1::NodePlan& node : plan.nodes()) {
      EXPECT_TRUE(node.manage_hosts_file());
      entries += node.hosts_size();
    }
    EXPECT_EQ(entries, n) << n << " nodes";
    EXPECT_EQ(plan.hosts().entries(n - 1).name(), absl::StrCat("w", n - 1));
  }
}

// 10x the nodes is about 10x the bytes (N², as before, would be 100x).
TEST(CompilerTest, SerializedPlanGrowsLinearly) {
  const size_t small = Compile(ManagedSpec(100)).ByteSizeLong();
  const size_t large = Compile(ManagedSpec(1000)).ByteSizeLong();
  EXPECT_LT(static_cast<double>(large) / static_cast<double>(small), 15.0)
      << small << " bytes at 100 nodes, " << large << " at 1000";
}

TEST(CompilerTest, SeedZooKeeperIdsAndServerLines) {
  v1::ClusterPlan plan = Compile(Seed());
  for (int i = 2; i < 5; ++i) {
    const v1::ZooKeeperPlan& zk = Node(plan, i).zookeeper();
    EXPECT_EQ(zk.myid(), static_cast<uint32_t>(i + 1));
    ASSERT_EQ(zk.servers_size(), 3);
    EXPECT_EQ(zk.servers(0).id(), 3u);
    EXPECT_EQ(zk.servers(0).host(), "node3");
    EXPECT_EQ(zk.servers(2).host(), "node5");
    EXPECT_EQ(zk.servers(2).peer_port(), 2888u);
    EXPECT_EQ(zk.servers(2).election_port(), 3888u);
    EXPECT_EQ(zk.client_port(), 2181u);
    EXPECT_EQ(zk.tick_time_ms(), 2000u);
    EXPECT_EQ(zk.init_limit(), 5u);
    EXPECT_EQ(zk.sync_limit(), 2u);
    EXPECT_EQ(zk.client_address(), Node(plan, i).address());
  }
}

TEST(CompilerTest, SeedCassandraTokensSeedsAndAddresses) {
  v1::ClusterPlan plan = Compile(Seed());
  const char* tokens[] = {"0", "56713727820156410577229101238628035242",
                          "113427455640312821154458202477256070485"};
  for (int i = 2; i < 5; ++i) {
    const v1::CassandraPlan& c = Node(plan, i).cassandra();
    EXPECT_EQ(c.initial_token(), tokens[i - 2]);
    EXPECT_EQ(c.partitioner(), "org.apache.cassandra.dht.RandomPartitioner");
    EXPECT_EQ(c.cluster_name(), "Test Cluster");
    EXPECT_THAT(c.seeds(), ElementsAre("node3"));
    EXPECT_EQ(c.listen_address(), Node(plan, i).node());
    EXPECT_EQ(c.rpc_address(), Node(plan, i).node());
    EXPECT_EQ(c.rpc_port(), 9160u);
  }
}

TEST(CompilerTest, SeedHadoopAddressesMastersSlavesAndAcl) {
  v1::ClusterPlan plan = Compile(Seed());
  for (int i = 0; i < 5; ++i) {
    const v1::HadoopPlan& h = Node(plan, i).hadoop();
    EXPECT_EQ(h.namenode().host(), "node1");
    EXPECT_EQ(h.namenode().port(), 9000u);
    EXPECT_EQ(h.jobtracker().host(), "node1");
    EXPECT_EQ(h.jobtracker().port(), 9001u);
    EXPECT_EQ(h.java_home(), "/opt/java/jdk1.6.0_29");
    EXPECT_EQ(h.name_dir(), "/home/hadoop/hadoop/dfs/name");
    EXPECT_EQ(h.dfs_replication(), 1u);
  }
  EXPECT_THAT(Node(plan, 0).hadoop().masters(), ElementsAre("node2"));
  EXPECT_THAT(Node(plan, 0).hadoop().slaves(), ElementsAre("node3", "node4", "node5"));
  EXPECT_THAT(Node(plan, 1).hadoop().masters(), IsEmpty());
  EXPECT_THAT(Node(plan, 3).hadoop().slaves(), IsEmpty());
  EXPECT_EQ(Node(plan, 1).hadoop().job_submission_acl(), "hadoop");
  EXPECT_EQ(Node(plan, 0).hadoop().job_submission_acl(), "");
}

TEST(CompilerTest, SeedBamSettings) {
  v1::ClusterPlan plan = Compile(Seed());
  const v1::BamPlan& b1 = Node(plan, 0).bam();
  const v1::BamPlan& b2 = Node(plan, 1).bam();
  EXPECT_TRUE(b1.keep_toolbox_deployer());
  EXPECT_FALSE(b2.keep_toolbox_deployer());
  EXPECT_TRUE(b2.receiver() && b2.analyzer() && b2.dashboard());
  EXPECT_THAT(
      b1.cassandra_nodes(),
      ElementsAre(IsEndpoint("node3", 9160), IsEndpoint("node4", 9160), IsEndpoint("node5", 9160)));
  EXPECT_EQ(b1.replication_factor(), 3u);
  EXPECT_EQ(b1.read_consistency(), "QUORUM");
  EXPECT_EQ(b1.strategy_class(), "org.apache.cassandra.locator.SimpleStrategy");
  ASSERT_EQ(b1.datasources_size(), 2);
  EXPECT_EQ(b1.datasources(0).name(), "WSO2_REG_DB");
  EXPECT_EQ(b1.datasources(0).jndi_name(), "jdbc/WSO2RegDB");
  EXPECT_EQ(b1.datasources(0).database(), "regdb");
  EXPECT_THAT(b1.mysql(), IsEndpoint("mysql.bam.internal", 3306));
  EXPECT_EQ(b1.datasources(0).password_file(), "/etc/bamctl/secrets/regdb-password");
  EXPECT_EQ(b1.datasources(1).name(), "WSO2BAM_DATASOURCE");
  EXPECT_EQ(b1.datasources(1).jndi_name(), "jdbc/WSO2BamDataSource");
  EXPECT_EQ(b1.datasources(1).database(), "bamdb");
  EXPECT_EQ(b1.datasources(1).max_active(), 50u);
  ASSERT_EQ(b1.coordination_servers_size(), 3);
  EXPECT_THAT(b1.coordination_servers(0), IsEndpoint("node3", 2181));
  EXPECT_EQ(b1.coordination_session_timeout_ms(), 5000u);
  EXPECT_EQ(b1.task_server_mode(), "CLUSTERED");
  EXPECT_EQ(b1.task_server_count(), 1u);
  EXPECT_THAT(b1.namenode(), IsEndpoint("node1", 9000));
  EXPECT_THAT(b1.jobtracker(), IsEndpoint("node1", 9001));
  EXPECT_EQ(b1.hive_warehouse_dir(), "/user/hive/warehouse");
  EXPECT_THAT(b1.hive_aux_jars_path(),
              HasSubstr("plugins/apache-cassandra_1.1.0.wso2v1.jar,file://${CARBON_HOME}"));
  EXPECT_THAT(b1.hive_aux_jars_path(),
              ::testing::EndsWith(",file://${CARBON_HOME}/repository/components/lib/"
                                  "mysql-connector-java-5.1.5-bin.jar"));
  EXPECT_EQ(b1.https_port(), 9443u);
  EXPECT_EQ(b1.thrift_port(), 7611u);
}

TEST(CompilerTest, PortOffsetShiftsBamPorts) {
  v1::ClusterPlan plan = Compile(ReplaceOnce(Seed(), "port_offset: 0", "port_offset: 2"));
  EXPECT_EQ(Node(plan, 0).bam().https_port(), 9445u);
  EXPECT_EQ(Node(plan, 0).bam().thrift_secure_port(), 7713u);
}

TEST(CompilerTest, DeterministicAndIndependentOfKeyOrder) {
  std::string text = Seed();
  std::string reordered = ReplaceOnce(text, "name: bam-seed\njava_home: /opt/java/jdk1.6.0_29\n",
                                      "java_home: /opt/java/jdk1.6.0_29\nname: bam-seed\n");
  reordered = ReplaceOnce(reordered, "  read_consistency: QUORUM\n  write_consistency: QUORUM\n",
                          "  write_consistency: QUORUM\n  read_consistency: QUORUM\n");
  std::string a;
  std::string b;
  std::string c;
  ASSERT_TRUE(Compile(text).SerializeToString(&a));
  ASSERT_TRUE(Compile(text).SerializeToString(&b));
  ASSERT_TRUE(Compile(reordered).SerializeToString(&c));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
}

TEST(CompilerTest, RenderAddressesUsesAddressesEverywhere) {
  v1::ClusterPlan plan = Compile(ReplaceOnce(Seed(), "manage_hosts_file: true\n",
                                             "manage_hosts_file: true\nrender_addresses: true\n"));
  EXPECT_THAT(Node(plan, 0).hadoop().namenode(), IsEndpoint("192.168.4.100", 9000));
  EXPECT_EQ(Node(plan, 2).zookeeper().servers(1).host(), "192.168.4.103");
  EXPECT_EQ(Node(plan, 2).cassandra().listen_address(), "192.168.4.102");
  EXPECT_THAT(Node(plan, 2).cassandra().seeds(), ElementsAre("192.168.4.102"));
  EXPECT_THAT(Node(plan, 0).bam().cassandra_nodes(2), IsEndpoint("192.168.4.104", 9160));
  EXPECT_EQ(Node(plan, 0).bam().coordination_servers(0).host(), "192.168.4.102");
  EXPECT_THAT(Node(plan, 0).hadoop().jobtracker(), IsEndpoint("192.168.4.100", 9001));
  EXPECT_THAT(Node(plan, 0).hadoop().masters(), ElementsAre("192.168.4.101"));
  EXPECT_THAT(Node(plan, 0).hadoop().slaves(),
              ElementsAre("192.168.4.102", "192.168.4.103", "192.168.4.104"));
}

// Plans carry hosts bare; drivers bracket them where a product wants it.
TEST(CompilerTest, Ipv6HostsTravelBareInEndpoints) {
  std::string text = Seed();
  for (const auto& [from, to] : Ipv6SeedEdits()) text = ReplaceOnce(text, from, to);
  v1::ClusterPlan plan = Compile(text);
  const v1::BamPlan& bam = Node(plan, 0).bam();
  EXPECT_THAT(bam.cassandra_nodes(),
              ElementsAre(IsEndpoint("fd00::2", 9160), IsEndpoint("fd00::3", 9160),
                          IsEndpoint("fd00::4", 9160)));
  EXPECT_THAT(bam.coordination_servers(),
              ElementsAre(IsEndpoint("fd00::2", 2181), IsEndpoint("fd00::3", 2181),
                          IsEndpoint("fd00::4", 2181)));
  EXPECT_THAT(bam.namenode(), IsEndpoint("192.168.4.100", 9000));
  EXPECT_THAT(bam.jobtracker(), IsEndpoint("192.168.4.100", 9001));
  EXPECT_THAT(Node(plan, 1).hadoop().namenode(), IsEndpoint("192.168.4.100", 9000));
  const v1::ZooKeeperPlan& zk = Node(plan, 2).zookeeper();
  EXPECT_EQ(zk.servers(0).host(), "fd00::2");
  EXPECT_EQ(zk.client_address(), "fd00::2");
  const v1::CassandraPlan& c = Node(plan, 3).cassandra();
  EXPECT_THAT(c.seeds(), ElementsAre("fd00::2"));
  EXPECT_EQ(c.listen_address(), "fd00::3");
  EXPECT_EQ(c.rpc_address(), "fd00::3");
}

TEST(CompilerTest, OnlyAnalyzersCarryTheHadoopEndpoints) {
  v1::ClusterPlan plan =
      Compile(ReplaceOnce(Seed(), "roles: [secondarynamenode, bam-receiver, bam-analyzer,",
                          "roles: [secondarynamenode, bam-receiver,"));
  EXPECT_TRUE(Node(plan, 0).bam().has_namenode());
  EXPECT_FALSE(Node(plan, 1).bam().has_namenode());
  EXPECT_FALSE(Node(plan, 1).bam().has_jobtracker());
}

TEST(CompilerTest, ExplicitTokensAndServerIdsAreKept) {
  std::string text = Seed();
  text = ReplaceOnce(text, "address: 192.168.4.102\n",
                     "address: 192.168.4.102\n    cassandra_initial_token: \"+10\"\n"
                     "    zookeeper_server_id: 9\n");
  text = ReplaceOnce(text, "address: 192.168.4.103\n",
                     "address: 192.168.4.103\n    cassandra_initial_token: \"20\"\n");
  text = ReplaceOnce(text, "address: 192.168.4.104\n",
                     "address: 192.168.4.104\n    cassandra_initial_token: \"30\"\n");
  v1::ClusterPlan plan = Compile(text);
  EXPECT_EQ(Node(plan, 2).cassandra().initial_token(), "10");
  EXPECT_EQ(Node(plan, 4).cassandra().initial_token(), "30");
  EXPECT_EQ(Node(plan, 2).zookeeper().myid(), 9u);
  // Server lines are ordered by id.
  EXPECT_EQ(Node(plan, 3).zookeeper().servers(2).node(), "node3");
}

TEST(CompilerTest, Murmur3TokensWhenThatPartitionerIsNamed) {
  v1::ClusterPlan plan =
      Compile(ReplaceOnce(Seed(), "partitioner: org.apache.cassandra.dht.RandomPartitioner",
                          "partitioner: Murmur3Partitioner"));
  EXPECT_EQ(Node(plan, 2).cassandra().partitioner(), "org.apache.cassandra.dht.Murmur3Partitioner");
  EXPECT_EQ(Node(plan, 2).cassandra().initial_token(), "-9223372036854775808");
  EXPECT_EQ(Node(plan, 4).cassandra().initial_token(), "3074457345618258602");
}

TEST(CompilerTest, RefusesUnvalidatedSpecs) {
  v1::ClusterSpec spec;
  spec.set_name("x");
  v1::NodeSpec* node = spec.add_nodes();
  node->set_name("a");
  node->add_roles("hbase");
  absl::StatusOr<v1::ClusterPlan> plan = CompileTopology(spec);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(), HasSubstr("unknown role \"hbase\""));

  v1::ClusterSpec mixed_tokens;
  mixed_tokens.set_name("x");
  for (const char* name : {"a", "b"}) {
    v1::NodeSpec* n = mixed_tokens.add_nodes();
    n->set_name(name);
    n->add_roles("cassandra");
  }
  mixed_tokens.mutable_cassandra()->set_partitioner("RandomPartitioner");
  mixed_tokens.mutable_nodes(1)->set_cassandra_initial_token("5");
  plan = CompileTopology(mixed_tokens);
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.status().message(), HasSubstr("some Cassandra nodes but not all"));

  spec.mutable_nodes(0)->set_roles(0, "datanode");
  plan = CompileTopology(spec);
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.status().message(), HasSubstr("exactly one namenode"));
}

}  // namespace
}  // namespace bamctl
