// Every validation rule, each against the seed spec with one edit: the rule
// must fire with its own message, at the line of the edit, under the right
// field path, and with the right severity.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "roles/spec/spec_loader.h"
#include "tests/util/seed_plans.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

using ::bamctl::testing::Ipv6SeedEdits;
using ::bamctl::testing::LineOf;
using ::bamctl::testing::ReadSourceFile;
using ::bamctl::testing::ReplaceOnce;
using ::testing::HasSubstr;

std::string Seed() { return ReadSourceFile("examples/seed-cluster.yaml"); }

std::string Describe(const std::vector<Diagnostic>& diagnostics) {
  return absl::StrJoin(diagnostics, "\n", [](std::string* out, const Diagnostic& d) {
    out->append(FormatDiagnostic("spec.yaml", d));
  });
}

TEST(ValidateTest, SeedSpecIsValidWithoutWarnings) {
  LoadedSpec loaded = LoadSpec(Seed());
  EXPECT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded.diagnostics.empty()) << Describe(loaded.diagnostics);
}

struct Edit {
  std::string from;
  std::string to;
};

struct RuleCase {
  std::string name;
  std::vector<Edit> edits;
  Severity severity;
  std::string path;      // field path the finding must name
  std::string fragment;  // part of the message that identifies the rule
  std::string at;        // text in the edited spec whose line the finding must name
  int below = 0;         // ... or the line this many lines below it
};

// Shown when a case fails, instead of the struct's bytes.
void PrintTo(const RuleCase& rule, std::ostream* os) { *os << rule.name; }

class RuleTest : public ::testing::TestWithParam<RuleCase> {};

TEST_P(RuleTest, FiresWithItsMessageAtTheEditedLine) {
  const RuleCase& rule = GetParam();
  std::string text = Seed();
  for (const Edit& edit : rule.edits) text = ReplaceOnce(text, edit.from, edit.to);
  LoadedSpec loaded = LoadSpec(text);

  const Diagnostic* found = nullptr;
  for (const Diagnostic& d : loaded.diagnostics) {
    if (d.path == rule.path && d.message.find(rule.fragment) != std::string::npos) found = &d;
  }
  ASSERT_NE(found, nullptr) << "no finding at " << rule.path << " containing \"" << rule.fragment
                            << "\"; got:\n"
                            << Describe(loaded.diagnostics);
  EXPECT_EQ(found->severity, rule.severity) << FormatDiagnostic("spec.yaml", *found);
  EXPECT_EQ(found->pos.line, LineOf(text, rule.at) + rule.below)
      << FormatDiagnostic("spec.yaml", *found);
  EXPECT_GT(found->pos.column, 0);
  EXPECT_EQ(loaded.ok(), rule.severity == Severity::kWarning) << Describe(loaded.diagnostics);
}

const Severity kError = Severity::kError;
const Severity kWarning = Severity::kWarning;

// A line of the seed's node list, for edits of one node.
constexpr char kNode1Roles[] =
    "roles: [namenode, jobtracker, bam-receiver, bam-analyzer, bam-dashboard]";
constexpr char kNode2Roles[] =
    "roles: [secondarynamenode, bam-receiver, bam-analyzer, bam-dashboard]";
constexpr char kNode5[] =
    "  - name: node5\n    address: 192.168.4.104\n    roles: [datanode, tasktracker, cassandra, "
    "zookeeper]\n";

std::vector<RuleCase> Rules() {
  return {
      // Roles the agents may restart on their own.
      {"RestartOnChangeUnknownRole",
       {{"manage_hosts_file: true",
         "manage_hosts_file: true\nrestart_on_config_change: [datanod]"}},
       kError,
       "restart_on_config_change[0]",
       "unknown role \"datanod\"",
       "restart_on_config_change:"},
      {"RestartOnChangeQuorumRole",
       {{"manage_hosts_file: true",
         "manage_hosts_file: true\nrestart_on_config_change: [datanode, zookeeper]"}},
       kError,
       "restart_on_config_change[1]",
       "at once loses the quorum",
       "restart_on_config_change:"},
      {"RestartOnChangeSingleMaster",
       {{"manage_hosts_file: true",
         "manage_hosts_file: true\nrestart_on_config_change: [namenode]"}},
       kError,
       "restart_on_config_change[0]",
       "restarts mean downtime",
       "restart_on_config_change:"},
      // Cluster and nodes.
      {"NameMissing", {{"name: bam-seed\n", ""}}, kError, "name", "needs a name", "java_home:"},
      {"NameBadCharacters",
       {{"name: bam-seed", "name: bam seed!"}},
       kError,
       "name",
       "may hold only",
       "name: bam seed!"},
      {"NodeNameInvalid",
       {{"name: node5", "name: node_5"}},
       kError,
       "nodes[4].name",
       "not a valid host name",
       "node_5"},
      {"NodeNameDuplicate",
       {{"name: node5", "name: node4"}},
       kError,
       "nodes[4].name",
       "already used by nodes[3] (nodes[3].name, line",
       "address: 192.168.4.104",
       -1},
      {"AddressInvalid",
       {{"192.168.4.104", "192.168.4.300"}},
       kError,
       "nodes[4].address",
       "neither an IPv4/IPv6 address nor a host name",
       "192.168.4.300"},
      {"AddressDuplicate",
       {{"192.168.4.104", "192.168.4.103"}},
       kError,
       "nodes[4].address",
       "already used by node \"node4\"",
       "address: 192.168.4.103\n    roles: [datanode, "
       "tasktracker, cassandra, zookeeper]\n\nhadoop"},
      {"AddressMissing",
       {{"    address: 192.168.4.104\n", ""}},
       kError,
       "nodes[4].address",
       "needs an address",
       "name: node5"},
      {"UnknownRole",
       {{"roles: [datanode, tasktracker, cassandra, zookeeper]\n\n",
         "roles: [datanode, tasktraker, cassandra, zookeeper]\n\n"}},
       kError,
       "nodes[4].roles[1]",
       "unknown role \"tasktraker\"; valid roles: zookeeper,",
       "tasktraker"},
      {"RoleTwice",
       {{kNode2Roles, "roles: [secondarynamenode, bam-receiver, bam-receiver]"}},
       kError,
       "nodes[1].roles[2]",
       "listed twice",
       "bam-receiver, bam-receiver"},
      {"NoRolesWarns",
       {{"\nhadoop:",
         "  - name: node6\n    address: 192.168.4.105\n    roles: []\n"
         "\nhadoop:"}},
       kWarning,
       "nodes[5].roles",
       "has no roles",
       "roles: []"},
      {"ZooKeeperIdWithoutRole",
       {{"address: 192.168.4.100\n", "address: 192.168.4.100\n    zookeeper_server_id: 9\n"}},
       kError,
       "nodes[0].zookeeper_server_id",
       "no zookeeper role",
       "zookeeper_server_id: 9"},
      {"TokenWithoutRole",
       {{"address: 192.168.4.100\n",
         "address: 192.168.4.100\n    cassandra_initial_token: \"5\"\n"}},
       kError,
       "nodes[0].cassandra_initial_token",
       "no cassandra role",
       "cassandra_initial_token"},
      // Hadoop.
      {"NoNameNode",
       {{kNode1Roles, "roles: [jobtracker, bam-receiver, bam-analyzer, bam-dashboard]"}},
       kError,
       "nodes",
       "no node has role namenode; exactly one must",
       "nodes:"},
      {"TwoNameNodes",
       {{kNode2Roles,
         "roles: [namenode, secondarynamenode, bam-receiver, bam-analyzer, "
         "bam-dashboard]"}},
       kError,
       "nodes[1].roles[0]",
       "role namenode is on 2 nodes (node1, node2)",
       "roles: [namenode, secondarynamenode"},
      {"NoJobTracker",
       {{kNode1Roles, "roles: [namenode, bam-receiver, bam-analyzer, bam-dashboard]"}},
       kError,
       "nodes",
       "no node has role jobtracker",
       "nodes:"},
      {"TwoJobTrackers",
       {{kNode2Roles,
         "roles: [secondarynamenode, jobtracker, bam-receiver, bam-analyzer, "
         "bam-dashboard]"}},
       kError,
       "nodes[1].roles[1]",
       "role jobtracker is on 2 nodes",
       "roles: [secondarynamenode, jobtracker"},
      {"NoDataNode",
       {{"roles: [datanode, tasktracker, cassandra, zookeeper]\n  - name: node4",
         "roles: [tasktracker, cassandra, zookeeper]\n  - name: node4"},
        {"roles: [datanode, tasktracker, cassandra, zookeeper]\n  - name: node5",
         "roles: [tasktracker, cassandra, zookeeper]\n  - name: node5"},
        {"roles: [datanode, tasktracker, cassandra, zookeeper]\n\n",
         "roles: [tasktracker, cassandra, zookeeper]\n\n"}},
       kError,
       "nodes",
       "no node has role datanode",
       "nodes:"},
      {"NoTaskTracker",
       {{"roles: [datanode, tasktracker, cassandra, zookeeper]\n  - name: node4",
         "roles: [datanode, cassandra, zookeeper]\n  - name: node4"},
        {"roles: [datanode, tasktracker, cassandra, zookeeper]\n  - name: node5",
         "roles: [datanode, cassandra, zookeeper]\n  - name: node5"},
        {"roles: [datanode, tasktracker, cassandra, zookeeper]\n\n",
         "roles: [datanode, cassandra, zookeeper]\n\n"}},
       kError,
       "nodes",
       "no node has role tasktracker",
       "nodes:"},
      {"ReplicationZero",
       {{"dfs_replication: 1", "dfs_replication: 0"}},
       kError,
       "hadoop.dfs_replication",
       "at least 1",
       "dfs_replication: 0"},
      {"ReplicationAboveDataNodesWarns",
       {{"dfs_replication: 1", "dfs_replication: 4"}},
       kWarning,
       "hadoop.dfs_replication",
       "more than the 3 datanode(s)",
       "dfs_replication: 4"},
      {"HadoopPathRelative",
       {{"home: /home/hadoop/hadoop", "home: hadoop"}},
       kError,
       "hadoop.home",
       "must be an absolute path",
       "home: hadoop"},
      // ZooKeeper.
      {"EvenEnsemble",
       {{kNode5, ""}, {"replication_factor: 3", "replication_factor: 2"}},
       kError,
       "nodes[3].roles[3]",
       "has 2 servers (node3, node4)",
       "address: 192.168.4.103",
       1},
      {"SingleServerWarns",
       {{"roles: [datanode, tasktracker, cassandra, zookeeper]\n  - name: node4",
         "roles: [datanode, tasktracker, cassandra]\n  - name: node4"},
        {"roles: [datanode, tasktracker, cassandra, zookeeper]\n  - name: node5",
         "roles: [datanode, tasktracker, cassandra]\n  - name: node5"}},
       kWarning,
       "nodes[4].roles[3]",
       "single ZooKeeper server is not highly available",
       "address: 192.168.4.104",
       1},
      {"AnalyzerWithoutEnsemble",
       {{"roles: [datanode, tasktracker, cassandra, zookeeper]\n  - name: node4",
         "roles: [datanode, tasktracker, cassandra]\n  - name: node4"},
        {"roles: [datanode, tasktracker, cassandra, zookeeper]\n  - name: node5",
         "roles: [datanode, tasktracker, cassandra]\n  - name: node5"},
        {"roles: [datanode, tasktracker, cassandra, zookeeper]\n\n",
         "roles: [datanode, tasktracker, cassandra]\n\n"}},
       kError,
       "nodes",
       "bam-analyzer needs a ZooKeeper ensemble",
       "nodes:"},
      {"ServerIdOutOfRange",
       {{"address: 192.168.4.104\n", "address: 192.168.4.104\n    zookeeper_server_id: 256\n"}},
       kError,
       "nodes[4].zookeeper_server_id",
       "must be from 1 to 255",
       "zookeeper_server_id: 256"},
      {"ServerIdClashesWithDefault",
       {{"address: 192.168.4.104\n", "address: 192.168.4.104\n    zookeeper_server_id: 4\n"}},
       kError,
       "nodes[4].zookeeper_server_id",
       "is also the id of node \"node4\"",
       "zookeeper_server_id: 4"},
      {"TickTimeZero",
       {{"tick_time_ms: 2000", "tick_time_ms: 0"}},
       kError,
       "zookeeper.tick_time_ms",
       "at least 1",
       "tick_time_ms: 0"},
      {"InitLimitZero",
       {{"init_limit: 5", "init_limit: 0"}},
       kError,
       "zookeeper.init_limit",
       "at least 1 tick",
       "init_limit: 0"},
      {"ZooKeeperVersionMalformed",
       {{"sync_limit: 2", "sync_limit: 2\n  version: 3.8-beta"}},
       kError,
       "zookeeper.version",
       "not a release number",
       "version: 3.8-beta"},
      {"SyncLimitZero",
       {{"sync_limit: 2", "sync_limit: 0"}},
       kError,
       "zookeeper.sync_limit",
       "at least 1 tick",
       "sync_limit: 0"},
      // Cassandra.
      {"BamWithoutCassandra",
       {{"roles: [datanode, tasktracker, cassandra, zookeeper]\n  - name: node4",
         "roles: [datanode, tasktracker, zookeeper]\n  - name: node4"},
        {"roles: [datanode, tasktracker, cassandra, zookeeper]\n  - name: node5",
         "roles: [datanode, tasktracker, zookeeper]\n  - name: node5"},
        {"roles: [datanode, tasktracker, cassandra, zookeeper]\n\n",
         "roles: [datanode, tasktracker, zookeeper]\n\n"},
        {"  seeds: [node3]\n", ""}},
       kError,
       "nodes",
       "no node has role cassandra",
       "nodes:"},
      {"ReplicationFactorAboveNodes",
       {{"replication_factor: 3", "replication_factor: 4"}},
       kError,
       "cassandra.replication_factor",
       "is more than the 3 Cassandra node(s) (node3, node4, node5)",
       "replication_factor: 4"},
      {"ReplicationFactorDefaultAboveNodes",
       {{kNode5, ""}, {"  replication_factor: 3\n", ""}},
       kError,
       "cassandra.replication_factor",
       "replication_factor 3 (the default) is more",
       "cassandra:"},
      {"ClusterNameEmpty",
       {{"cluster_name: Test Cluster", "cluster_name: \"\""}},
       kError,
       "cassandra.cluster_name",
       "must not be empty",
       "cluster_name: \"\""},
      {"ReplicationFactorZero",
       {{"replication_factor: 3", "replication_factor: 0"}},
       kError,
       "cassandra.replication_factor",
       "at least 1",
       "replication_factor: 0"},
      {"UnknownConsistency",
       {{"read_consistency: QUORUM", "read_consistency: MOST"}},
       kError,
       "cassandra.read_consistency",
       "unknown consistency level \"MOST\"; valid: ONE",
       "read_consistency: MOST"},
      {"AnyForReads",
       {{"read_consistency: QUORUM", "read_consistency: ANY"}},
       kError,
       "cassandra.read_consistency",
       "for reads",
       "read_consistency: ANY"},
      {"ConsistencyNeedsMoreReplicas",
       {{"write_consistency: QUORUM", "write_consistency: THREE"},
        {"replication_factor: 3", "replication_factor: 2"}},
       kError,
       "cassandra.write_consistency",
       "THREE needs 3 replicas but replication_factor is 2",
       "write_consistency: THREE"},
      {"ConsistencyCannotLoseANodeWarns",
       {{"read_consistency: QUORUM", "read_consistency: ALL"}},
       kWarning,
       "cassandra.read_consistency",
       "reads fail while any one Cassandra replica is down",
       "read_consistency: ALL"},
      {"UnknownStrategy",
       {{"strategy_class: org.apache.cassandra.locator.SimpleStrategy",
         "strategy_class: SimpleStrategy"}},
       kError,
       "cassandra.strategy_class",
       "unknown replication strategy",
       "strategy_class:"},
      {"SeedNotCassandraNode",
       {{"seeds: [node3]", "seeds: [node1]"}},
       kError,
       "cassandra.seeds[0]",
       "\"node1\" is not a Cassandra node",
       "seeds: [node1]"},
      {"UnknownPartitioner",
       {{"partitioner: org.apache.cassandra.dht.RandomPartitioner",
         "partitioner: ByteOrderedPartitioner"}},
       kError,
       "cassandra.partitioner",
       "unknown partitioner \"ByteOrderedPartitioner\"; valid: "
       "RandomPartitioner, Murmur3Partitioner",
       "partitioner: ByteOrderedPartitioner"},
      {"TokensOnSomeNodes",
       {{"address: 192.168.4.104\n",
         "address: 192.168.4.104\n    cassandra_initial_token: \"7\"\n"}},
       kError,
       "nodes[2]",
       "every Cassandra node or on none: node5 have one, node3, node4 do not",
       "name: node3"},
      {"TokenNotInteger",
       {{"address: 192.168.4.104\n", "address: 192.168.4.104\n    cassandra_initial_token: 1e5\n"}},
       kError,
       "nodes[4].cassandra_initial_token",
       "not a decimal integer",
       "1e5"},
      {"TokenOutOfRandomRange",
       {{"address: 192.168.4.104\n",
         "address: 192.168.4.104\n    cassandra_initial_token: \"-1\"\n"}},
       kError,
       "nodes[4].cassandra_initial_token",
       "outside the range of org.apache.cassandra.dht.RandomPartitioner: 0 to "
       "170141183460469231731687303715884105728",
       "\"-1\""},
      {"RandomTokenOutOfMurmur3Range",
       {{"partitioner: org.apache.cassandra.dht.RandomPartitioner",
         "partitioner: Murmur3Partitioner"},
        {"address: 192.168.4.104\n",
         "address: 192.168.4.104\n    cassandra_initial_token: "
         "\"113427455640312821154458202477256070485\"\n"}},
       kError,
       "nodes[4].cassandra_initial_token",
       "outside the range of org.apache.cassandra.dht.Murmur3Partitioner",
       "11342745564031282115"},
      // BAM and MySQL.
      {"PasswordFileMissing",
       {{"    password_file: /etc/bamctl/secrets/regdb-password\n", ""}},
       kError,
       "bam.registry_datasource.password_file",
       "required when the cluster has BAM roles",
       "registry_datasource:"},
      {"PasswordFileRelative",
       {{"password_file: /etc/bamctl/secrets/bamdb-password", "password_file: secrets/bamdb"}},
       kError,
       "bam.summary_datasource.password_file",
       "must be an absolute path",
       "secrets/bamdb"},
      {"DatabaseEmpty",
       {{"database: regdb", "database: \"\""}},
       kError,
       "bam.registry_datasource.database",
       "must not be empty",
       "database: \"\""},
      {"UsernameEmpty",
       {{"username: bam_user", "username: \"\""}},
       kError,
       "bam.summary_datasource.username",
       "must not be empty",
       "username: \"\""},
      {"JndiNameOfStockCarbonDb",
       {{"database: bamdb", "database: bamdb\n    jndi_name: jdbc/WSO2CarbonDB"}},
       kError,
       "bam.summary_datasource.jndi_name",
       "bound by the stock WSO2_CARBON_DB",
       "jndi_name: jdbc/WSO2CarbonDB"},
      {"JndiNameShared",
       {{"database: bamdb", "database: bamdb\n    jndi_name: jdbc/WSO2RegDB"}},
       kError,
       "bam.summary_datasource.jndi_name",
       "also the registry datasource's JNDI name",
       "jndi_name: jdbc/WSO2RegDB"},
      {"MySqlHostMissing",
       {{"  host: mysql.bam.internal\n", ""}},
       kError,
       "mysql.host",
       "required when the cluster has BAM roles",
       "mysql:"},
      {"MySqlHostInvalid",
       {{"host: mysql.bam.internal", "host: \"my sql\""}},
       kError,
       "mysql.host",
       "neither an IP address nor a host name",
       "my sql"},
      {"ToolboxNotOnAnalyzer",
       {{"toolbox_deployer_node: node1", "toolbox_deployer_node: node3"}},
       kError,
       "bam.toolbox_deployer_node",
       "\"node3\" is not a bam-analyzer node; name exactly "
       "one of: node1, node2",
       "toolbox_deployer_node: node3"},
      {"ToolboxWithoutAnalyzers",
       {{kNode1Roles, "roles: [namenode, jobtracker, bam-receiver, bam-dashboard]"},
        {kNode2Roles, "roles: [secondarynamenode, bam-receiver, bam-dashboard]"}},
       kError,
       "bam.toolbox_deployer_node",
       "no node has role bam-analyzer",
       "toolbox_deployer_node: node1"},
      {"TaskServerCountZero",
       {{"task_server_count: 1", "task_server_count: 0"}},
       kError,
       "bam.task_server_count",
       "at least 1",
       "task_server_count: 0"},
      {"TaskServerCountAboveAnalyzers",
       {{"task_server_count: 1", "task_server_count: 3"}},
       kError,
       "bam.task_server_count",
       "more than the 2 bam-analyzer node(s)",
       "task_server_count: 3"},
      {"SessionTimeoutClampedWarns",
       {{"coordination_session_timeout_ms: 5000", "coordination_session_timeout_ms: 1000"}},
       kWarning,
       "bam.coordination_session_timeout_ms",
       "clamps session timeouts",
       "coordination_session_timeout_ms: 1000"},
      {"SmallHeapWarns",
       {{"heap_mb: 2048", "heap_mb: 1024"}},
       kWarning,
       "bam.heap_mb",
       "below the 2048 MB",
       "heap_mb: 1024"},
      // Ports.
      {"PortClash",
       {{"client_port: 2181", "client_port: 9160"}},
       kError,
       "cassandra.rpc_port",
       "on node \"node3\" port 9160 is wanted by both zookeeper (zookeeper.client_port) and "
       "cassandra (cassandra.rpc_port)",
       "rpc_port: 9160"},
      {"PortOffsetWouldWrap",
       {{"port_offset: 0", "port_offset: 4294958000"}},
       kError,
       "bam.port_offset",
       "bam.https_port (the default): port 4294967443 (with bam.port_offset 4294958000 added) is "
       "outside",
       "port_offset: 4294958000"},
      {"PortOffsetOutOfRange",
       {{"port_offset: 0", "port_offset: 60000"}},
       kError,
       "bam.port_offset",
       "port 69443 (with bam.port_offset 60000 added) is outside 1 to 65535",
       "port_offset: 60000"},
      {"WrittenBasePortOutOfRange",
       {{"port_offset: 0", "port_offset: 0\n  https_port: 70000"}},
       kError,
       "bam.https_port",
       "port 70000 (with bam.port_offset 0 added) is outside",
       "https_port: 70000"},
      {"MySqlPortOutOfRange",
       {{"port: 3306", "port: 0"}},
       kError,
       "mysql.port",
       "port 0 is outside 1 to 65535",
       "port: 0"},
      {"NodeNameDuplicateIgnoringCase",
       {{"name: node5", "name: NODE4"}},
       kError,
       "nodes[4].name",
       "\"NODE4\" is already used by nodes[3]",
       "NODE4"},
      {"Ipv6AddressOnAHadoopNode",
       {{"192.168.4.104", "fd00::4"}},
       kError,
       "nodes[4].address",
       "runs Hadoop (datanode, tasktracker) and Hadoop 1.x has no IPv6 support",
       "fd00::4"},
      {"Ipv6MySqlHost",
       {{"host: mysql.bam.internal", "host: \"fd00::1\""}},
       kError,
       "mysql.host",
       "MySQL Connector/J 5.1 reads the JDBC URL's host up to the first ':'",
       "fd00::1"},
      {"HostNameAddressWithManagedHostsFile",
       {{"192.168.4.104", "node5.example.com"}},
       kError,
       "nodes[4].address",
       "manage_hosts_file writes address lines",
       "node5.example.com"},
      {"DataCenterLevelWithSimpleStrategy",
       {{"read_consistency: QUORUM", "read_consistency: LOCAL_QUORUM"}},
       kError,
       "cassandra.read_consistency",
       "LOCAL_QUORUM needs data centers",
       "LOCAL_QUORUM"},
      {"EachQuorumForReads",
       {{"read_consistency: QUORUM", "read_consistency: EACH_QUORUM"},
        {"strategy_class: org.apache.cassandra.locator.SimpleStrategy",
         "strategy_class: org.apache.cassandra.locator.NetworkTopologyStrategy"}},
       kError,
       "cassandra.read_consistency",
       "EACH_QUORUM is for writes only",
       "EACH_QUORUM"},
      {"SeedTwice",
       {{"seeds: [node3]", "seeds: [node3, node3]"}},
       kError,
       "cassandra.seeds[1]",
       "listed twice",
       "seeds: [node3, node3]"},
  };
}

INSTANTIATE_TEST_SUITE_P(Rules, RuleTest, ::testing::ValuesIn(Rules()),
                         [](const ::testing::TestParamInfo<RuleCase>& info) {
                           return info.param.name;
                         });

// Specs too small to derive from the seed: the first finding must be the rule's.
void ExpectFirstError(const std::string& text, const std::string& path, const std::string& fragment,
                      int line) {
  LoadedSpec loaded = LoadSpec(text);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.diagnostics[0].path, path);
  EXPECT_THAT(loaded.diagnostics[0].message, HasSubstr(fragment));
  EXPECT_EQ(loaded.diagnostics[0].pos.line, line);
}

std::string Ipv6Seed() {
  std::string text = Seed();
  for (const auto& [from, to] : Ipv6SeedEdits()) text = ReplaceOnce(text, from, to);
  return text;
}

TEST(ValidateTest, Ipv6WhereEveryProductTakesItIsValid) {
  LoadedSpec loaded = LoadSpec(Ipv6Seed());
  EXPECT_TRUE(loaded.ok()) << Describe(loaded.diagnostics);
  EXPECT_TRUE(loaded.diagnostics.empty()) << Describe(loaded.diagnostics);
}

// The seed moved onto fd00::0 to fd00::4 as it is: every node runs Hadoop.
TEST(ValidateTest, Ipv6AddressesOfHadoopNodesAreRefused) {
  std::string text = ReplaceOnce(Seed(), "manage_hosts_file: true\n",
                                 "manage_hosts_file: true\nrender_addresses: true\n");
  for (int n = 0; n < 5; ++n) {
    text = ReplaceOnce(text, absl::StrCat("192.168.4.10", n), absl::StrCat("fd00::", n));
  }
  LoadedSpec loaded = LoadSpec(text);
  ASSERT_FALSE(loaded.ok());
  const Diagnostic& first = loaded.diagnostics.at(0);
  EXPECT_EQ(first.severity, Severity::kError);
  EXPECT_EQ(first.path, "nodes[0].address");
  EXPECT_EQ(first.pos.line, LineOf(text, "fd00::0"));
  EXPECT_EQ(first.message,
            "address \"fd00::0\" is IPv6, but node \"node1\" runs Hadoop (namenode, jobtracker) "
            "and Hadoop 1.x has no IPv6 support: it splits host:port at the first ':' and runs "
            "with java.net.preferIPv4Stack=true (its daemons bind this address whatever "
            "render_addresses says); give the node an IPv4 address, or a host name that resolves "
            "to one");
  std::vector<std::string> hadoop_paths;
  for (const Diagnostic& d : loaded.diagnostics) {
    if (d.message.find("Hadoop 1.x has no IPv6 support") != std::string::npos) {
      hadoop_paths.push_back(d.path);
    }
  }
  EXPECT_THAT(hadoop_paths,
              ::testing::ElementsAre("nodes[0].address", "nodes[1].address", "nodes[2].address",
                                     "nodes[3].address", "nodes[4].address"));
}

TEST(ValidateTest, Ipv6ZooKeeperServerLinesNeedARecentRelease) {
  std::string text = Ipv6Seed();
  text = ReplaceOnce(text, "  version: 3.4.14\n", "");  // the seed's 3.3.6
  LoadedSpec loaded = LoadSpec(text);
  ASSERT_FALSE(loaded.ok());
  ASSERT_EQ(loaded.diagnostics.size(), 3u) << Describe(loaded.diagnostics);
  EXPECT_EQ(loaded.diagnostics[0].path, "nodes[2].address");
  EXPECT_EQ(loaded.diagnostics[0].message,
            "address \"fd00::2\" is IPv6, and render_addresses writes it into zoo.cfg's server "
            "lines, which ZooKeeper 3.3.6 (the default) cannot read: 3.4.9 and later 3.4 releases "
            "and 3.5.7+ can; set zookeeper.version to the installed release if it is one of "
            "those, give the node an IPv4 address, or set render_addresses: false");
  EXPECT_EQ(loaded.diagnostics[2].path, "nodes[4].address");

  for (const char* version : {"3.4.8", "3.5.6"}) {
    loaded =
        LoadSpec(ReplaceOnce(Ipv6Seed(), "version: 3.4.14", absl::StrCat("version: ", version)));
    EXPECT_FALSE(loaded.ok()) << version;
  }
  for (const char* version : {"3.4.9", "3.5.7", "3.8.0"}) {
    loaded =
        LoadSpec(ReplaceOnce(Ipv6Seed(), "version: 3.4.14", absl::StrCat("version: ", version)));
    EXPECT_TRUE(loaded.ok()) << version << "\n" << Describe(loaded.diagnostics);
  }
  // Server lines by name: any release.
  loaded = LoadSpec(ReplaceOnce(text, "render_addresses: true\n", ""));
  EXPECT_TRUE(loaded.ok()) << Describe(loaded.diagnostics);
}

TEST(ValidateTest, NoNodesAtAll) {
  ExpectFirstError("name: empty\nnodes: []\n", "nodes", "has no nodes", 2);
}

TEST(ValidateTest, NodeWithoutName) {
  ExpectFirstError("name: x\nnodes:\n  - address: 10.0.0.1\n    roles: [zookeeper]\n",
                   "nodes[0].name", "every node needs a name", 3);
}

TEST(ValidateTest, ZooKeeperOnlyClusterNeedsNoHadoopOrBam) {
  LoadedSpec loaded = LoadSpec(
      "name: zk\nnodes:\n"
      "  - {name: a, address: 10.0.0.1, roles: [zookeeper]}\n"
      "  - {name: b, address: 10.0.0.2, roles: [zookeeper]}\n"
      "  - {name: c, address: 10.0.0.3, roles: [zookeeper]}\n");
  EXPECT_TRUE(loaded.ok()) << Describe(loaded.diagnostics);
  EXPECT_TRUE(loaded.diagnostics.empty()) << Describe(loaded.diagnostics);
}

TEST(ValidateTest, TopOfRandomRangeIsAccepted) {
  std::string text = Seed();
  text = ReplaceOnce(text, "address: 192.168.4.102\n",
                     "address: 192.168.4.102\n    cassandra_initial_token: \"0\"\n");
  text = ReplaceOnce(text, "address: 192.168.4.103\n",
                     "address: 192.168.4.103\n    cassandra_initial_token: \"1\"\n");
  text = ReplaceOnce(text, "address: 192.168.4.104\n",
                     "address: 192.168.4.104\n    cassandra_initial_token: "
                     "\"170141183460469231731687303715884105728\"\n");
  LoadedSpec loaded = LoadSpec(text);
  EXPECT_TRUE(loaded.ok()) << Describe(loaded.diagnostics);
}

TEST(ValidateTest, DuplicateTokensAfterCanonicalForm) {
  std::string text = Seed();
  text = ReplaceOnce(text, "address: 192.168.4.102\n",
                     "address: 192.168.4.102\n    cassandra_initial_token: \"0\"\n");
  text = ReplaceOnce(text, "address: 192.168.4.103\n",
                     "address: 192.168.4.103\n    cassandra_initial_token: \"+000\"\n");
  text = ReplaceOnce(text, "address: 192.168.4.104\n",
                     "address: 192.168.4.104\n    cassandra_initial_token: \"9\"\n");
  LoadedSpec loaded = LoadSpec(text);
  ASSERT_FALSE(loaded.ok());
  ASSERT_EQ(loaded.diagnostics.size(), 1u) << Describe(loaded.diagnostics);
  EXPECT_EQ(loaded.diagnostics[0].path, "nodes[3].cassandra_initial_token");
  EXPECT_THAT(loaded.diagnostics[0].message,
              HasSubstr("token 0 is also the token of node \"node3\""));
  EXPECT_EQ(loaded.diagnostics[0].pos.line, LineOf(text, "\"+000\""));
}

TEST(ValidateTest, DiagnosticsComeInFileOrder) {
  // The port check runs after the BAM checks, but its finding is earlier in
  // the file, so it must come first.
  std::string text = Seed();
  text = ReplaceOnce(text, "task_server_count: 1", "task_server_count: 0");
  text = ReplaceOnce(text, "rpc_port: 9160", "rpc_port: 9160\n  jmx_port: 9160");
  LoadedSpec loaded = LoadSpec(text);
  ASSERT_EQ(loaded.diagnostics.size(), 4u) << Describe(loaded.diagnostics);  // 3 nodes clash
  EXPECT_EQ(loaded.diagnostics[0].path, "cassandra.jmx_port");
  EXPECT_EQ(loaded.diagnostics[3].path, "bam.task_server_count");
}

TEST(ValidateTest, OneTypoInADerivedFromPathGivesOneError) {
  LoadedSpec loaded =
      LoadSpec(ReplaceOnce(Seed(), "java_home: /opt/java/jdk1.6.0_29", "java_home: jdk"));
  ASSERT_EQ(loaded.diagnostics.size(), 1u) << Describe(loaded.diagnostics);
  EXPECT_EQ(loaded.diagnostics[0].path, "java_home");
}

}  // namespace
}  // namespace bamctl

namespace bamctl {
namespace {

TEST(SpecLimitsTest, ASpecOverTheLimitsIsRefusedNamingThem) {
  LoadedSpec huge = LoadSpec(std::string(kMaxSpecBytes + 1, '#'));
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.diagnostics.at(0).message,
            "the spec is 4194305 bytes; at most 4194304 (4 MiB) are accepted");

  std::string many = "name: many\nnodes:\n";
  for (int i = 0; i <= kMaxSpecNodes; ++i) {
    absl::StrAppend(&many, "  - {name: n", i, ", address: 10.0.", i / 250, ".", i % 250 + 1,
                    ", roles: [datanode]}\n");
  }
  LoadedSpec crowded = LoadSpec(many);
  ASSERT_FALSE(crowded.ok());
  EXPECT_EQ(crowded.diagnostics.at(0).path, "nodes");
  EXPECT_EQ(crowded.diagnostics.at(0).message,
            "10001 nodes; a cluster spec may have at most 10000");
  EXPECT_EQ(crowded.diagnostics.at(0).pos.line, 2);
}

}  // namespace
}  // namespace bamctl
