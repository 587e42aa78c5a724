// The seed procedure's own text, host by host: every snippet the guide tells
// a person to put into a file must be in what bamctl renders for that host
// (compared with whitespace between tags and runs of blanks normalized, and
// <HADOOP_HOME>, $ZOO_HOME and the password placeholder filled in).
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "roles/render/node_renderer.h"
#include "tests/util/seed_plans.h"
#include "yaml-cpp/yaml.h"

namespace bamctl {
namespace {

using ::bamctl::testing::SeedNodePlan;

// Collapses whitespace runs to one space and drops whitespace between tags,
// so layout differences between the guide and a patched file do not matter.
std::string Normalize(const std::string& text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = true;
      continue;
    }
    if (space && !out.empty() && !(out.back() == '>' && c == '<')) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string Rendered(const std::string& node, const std::string& path) {
  RedactingSecretSource secrets;
  RenderContext ctx;
  ctx.secrets = &secrets;
  ctx.fall_back_to_stock = true;
  absl::StatusOr<std::vector<ServicePlan>> services = RenderNode(SeedNodePlan(node), ctx);
  EXPECT_TRUE(services.ok()) << services.status();
  if (!services.ok()) return "";
  absl::StatusOr<std::vector<ConfigFile>> files = NodeFiles(*services);
  EXPECT_TRUE(files.ok());
  for (const ConfigFile& f : *files) {
    if (f.path == path) return f.content;
  }
  ADD_FAILURE() << node << " has no " << path;
  return "";
}

struct Snippet {
  std::vector<std::string> nodes;
  std::string path;
  std::string seed_text;  // as the guide prints it
};

constexpr char kHadoop[] = "/home/hadoop/hadoop";
constexpr char kBamConf[] = "/opt/wso2bam/repository/conf/";

std::vector<Snippet> Snippets() {
  const std::vector<std::string> all = {"node1", "node2", "node3", "node4", "node5"};
  const std::vector<std::string> bam = {"node1", "node2"};
  const std::string conf = std::string(kHadoop) + "/conf/";
  return {
      // Hadoop steps 12-17.
      {all, conf + "hadoop-env.sh", "export JAVA_HOME=/opt/java/jdk1.6.0_29"},
      {all, conf + "core-site.xml",
       "<property>\n   <name>fs.default.name</name>\n   <value>hdfs://node1:9000</value>\n"
       "</property>"},
      {all, conf + "core-site.xml",
       "<property>\n   <name>hadoop.tmp.dir</name>\n   <value>/tmp/hadoop</value>\n</property>"},
      {all, conf + "core-site.xml",
       "<name>fs.hdfs.impl</name>\n   <value>org.apache.hadoop.hdfs.DistributedFileSystem</value>"},
      {all, conf + "hdfs-site.xml",
       "<property>\n       <name>dfs.replication</name>\n       <value>1</value>\n   </property>"},
      {all, conf + "hdfs-site.xml",
       "<property>\n      <name>dfs.name.dir</name>\n      <value><HADOOP_HOME>/dfs/name</value>\n"
       "   </property>"},
      {all, conf + "hdfs-site.xml",
       "<property>\n      <name>dfs.data.dir</name>\n      <value><HADOOP_HOME>/dfs/data</value>\n"
       "   </property>"},
      {all, conf + "mapred-site.xml",
       "<property>\n      <name>mapred.job.tracker</name>\n      <value>node1:9001</value>\n"
       "   </property>"},
      {all, conf + "mapred-site.xml",
       "<property>\n  \t  <name>mapred.system.dir</name>\n  \t  "
       "<value><HADOOP_HOME>/mapred/system</value>\n   </property>"},
      {{"node2"},
       conf + "hadoop-policy.xml",
       "<property>\n   <name>security.job.submission.protocol.acl</name>\n   "
       "<value>hadoop</value>\n</property>"},
      {{"node1"}, conf + "slaves", "node3\nnode4\n\nnode5"},
      // Cassandra steps 2-3 (data receivers).
      {bam, std::string(kBamConf) + "cassandra-component.xml",
       "<Cassandra>\n    <Cluster>\n        <Name>Test Cluster</Name>\n"
       "        <Nodes>node3:9160,node4:9160,node5:9160</Nodes>\n"
       "        <DefaultPort>9160</DefaultPort>\n"
       "        <AutoDiscovery disable=\"false\" delay=\"1000\"/>\n    </Cluster>\n</Cassandra>"},
      {bam, std::string(kBamConf) + "advanced/streamdefn.xml",
       "<StreamDefinition>\n    <ReplicationFactor>3</ReplicationFactor>\n"
       "    <ReadConsistencyLevel>QUORUM</ReadConsistencyLevel>\n"
       "    <WriteConsistencyLevel>QUORUM</WriteConsistencyLevel>\n"
       "    <StrategyClass>org.apache.cassandra.locator.SimpleStrategy</StrategyClass>\n"
       "</StreamDefinition>"},
      // Analyzer steps 3-4 (registry sharing).
      {bam, std::string(kBamConf) + "datasources/master-datasources.xml",
       "<datasource>\n      <name>WSO2_REG_DB</name>\n"
       "      <description>The datasource used for config</description>\n"
       "      <jndiConfig>\n          <name>jdbc/WSO2RegDB</name>\n      </jndiConfig>\n"
       "      <definition type=\"RDBMS\">\n          <configuration>\n"
       "                   <url>jdbc:mysql://[host]:[port]/[reg-db]</url>\n"
       "                   <username>reg_user</username>\n"
       "                   <password>password</password>\n"
       "                   <driverClassName>com.mysql.jdbc.Driver</driverClassName>\n"
       "                   <maxActive>50</maxActive>\n                   <maxWait>60000</maxWait>\n"
       "                   <testOnBorrow>true</testOnBorrow>\n"
       "                   <validationQuery>SELECT 1</validationQuery>\n"
       "                   <validationInterval>30000</validationInterval>\n"
       "           </configuration>\n      </definition>\n</datasource>"},
      {bam, std::string(kBamConf) + "registry.xml",
       "<dbConfig name=\"wso2GReg\">\n     <dataSource>jdbc/WSO2RegDB</dataSource>\n </dbConfig>"},
      {bam, std::string(kBamConf) + "registry.xml",
       "<remoteInstance url=\"https://localhost:9443/registry\">\n     <id>registryInstance</id>\n"
       "     <dbConfig>wso2GReg</dbConfig>\n     <readOnly>false</readOnly>\n"
       "     <registryRoot>/</registryRoot>\n </remoteInstance>"},
      {bam, std::string(kBamConf) + "registry.xml",
       "<mount path=\"/_system/config\" overwrite=\"true\">\n"
       "     <instanceId>registryInstance</instanceId>\n"
       "     <targetPath>/_system/config</targetPath>\n </mount>"},
      {bam, std::string(kBamConf) + "registry.xml",
       "<mount path=\"/_system/governance\" overwrite=\"true\">\n"
       "     <instanceId>registryInstance</instanceId>\n"
       "     <targetPath>/_system/governance</targetPath>\n </mount>"},
      // Analyzer steps 12-16 (analyzer nodes).
      {bam, std::string(kBamConf) + "etc/coordination-client-config.xml",
       "<CoordinationClientConfiguration enabled=\"true\">\n        <Servers>\n"
       "            <Server host=\"node3\" port=\"2181\"/>\n"
       "            <Server host=\"node4\" port=\"2181\"/>\n"
       "            <Server host=\"node5\" port=\"2181\"/>\n        </Servers>\n"
       "        <SessionTimeout>5000</SessionTimeout>\n</CoordinationClientConfiguration>"},
      {bam, std::string(kBamConf) + "etc/tasks-config.xml",
       "<taskServerMode>CLUSTERED</taskServerMode>"},
      {bam, std::string(kBamConf) + "etc/tasks-config.xml", "<taskServerCount>1</taskServerCount>"},
      {bam, std::string(kBamConf) + "advanced/hive-site.xml",
       "<property>\n   <name>hadoop.embedded.local.mode</name>\n   <value>false</value>\n"
       "</property>"},
      {bam, std::string(kBamConf) + "advanced/hive-site.xml",
       "<name>hive.metastore.warehouse.dir</name>\n   <value>/user/hive/warehouse</value>"},
      {bam, std::string(kBamConf) + "advanced/hive-site.xml",
       "<property>\n   <name>fs.default.name</name>\n   <value>hdfs://node1:9000</value>\n"
       "</property>"},
      {bam, std::string(kBamConf) + "advanced/hive-site.xml",
       "<property>\n   <name>mapred.job.tracker</name>\n   <value>node1:9001</value>\n"
       "</property>"},
      {bam, std::string(kBamConf) + "advanced/hive-site.xml",
       "file://${CARBON_HOME}/repository/components/lib/mysql-connector-java-5.1.5-bin.jar"},
      // Analyzer step 7: zoo.cfg; step 9: myid.
      {{"node3", "node4", "node5"}, "/opt/zookeeper/conf/zoo.cfg", "tickTime=2000\n"},
      {{"node3", "node4", "node5"}, "/opt/zookeeper/conf/zoo.cfg", "dataDir=$ZOO_HOME/data\n"},
      {{"node3", "node4", "node5"}, "/opt/zookeeper/conf/zoo.cfg", "clientPort=2181\n"},
      {{"node3", "node4", "node5"}, "/opt/zookeeper/conf/zoo.cfg", "initLimit=5\nsyncLimit=2\n"},
      {{"node3", "node4", "node5"},
       "/opt/zookeeper/conf/zoo.cfg",
       "server.3=node3:2888:3888\nserver.4=node4:2888:3888\nserver.5=node5:2888:3888\n"},
  };
}

// The guide's placeholders, as the seed spec fills them.
std::string FillPlaceholders(const std::string& text) {
  return absl::StrReplaceAll(
      text, {{"<HADOOP_HOME>", kHadoop},
             {"$ZOO_HOME", "/opt/zookeeper"},
             {"jdbc:mysql://[host]:[port]/[reg-db]", "jdbc:mysql://mysql.bam.internal:3306/regdb"},
             {"<password>password</password>", "<password>&lt;redacted&gt;</password>"}});
}

TEST(SeedTextTest, EverySnippetOfTheGuideIsRenderedOnItsHosts) {
  for (const Snippet& snippet : Snippets()) {
    const std::string want = Normalize(FillPlaceholders(snippet.seed_text));
    for (const std::string& node : snippet.nodes) {
      const std::string got = Normalize(Rendered(node, snippet.path));
      EXPECT_NE(got.find(want), std::string::npos)
          << node << " " << snippet.path << " lacks the guide's\n  " << want;
    }
  }
}

TEST(SeedTextTest, MyidPerZooKeeperNode) {
  for (int n = 3; n <= 5; ++n) {
    const std::string node = "node" + std::to_string(n);
    EXPECT_EQ(Rendered(node, "/opt/zookeeper/data/myid"), std::to_string(n) + "\n");
  }
}

// Cassandra step 1, read back as YAML: the guide's values per node.
TEST(SeedTextTest, CassandraYamlPerNode) {
  const char* tokens[] = {"0", "56713727820156410577229101238628035242",
                          "113427455640312821154458202477256070485"};
  for (int n = 3; n <= 5; ++n) {
    const std::string node = "node" + std::to_string(n);
    YAML::Node yaml = YAML::Load(Rendered(node, "/opt/cassandra/conf/cassandra.yaml"));
    EXPECT_EQ(yaml["cluster_name"].as<std::string>(), "Test Cluster");
    EXPECT_EQ(yaml["initial_token"].as<std::string>(), tokens[n - 3]);
    EXPECT_EQ(yaml["seed_provider"][0]["parameters"][0]["seeds"].as<std::string>(), "node3");
    EXPECT_EQ(yaml["listen_address"].as<std::string>(), node);
    EXPECT_EQ(yaml["rpc_address"].as<std::string>(), node);
    EXPECT_EQ(yaml["rpc_port"].as<int>(), 9160);
    EXPECT_EQ(yaml["partitioner"].as<std::string>(), "org.apache.cassandra.dht.RandomPartitioner");
  }
}

}  // namespace
}  // namespace bamctl
