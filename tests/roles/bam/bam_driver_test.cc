#include "roles/bam/bam_driver.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "roles/driver/file_sources.h"
#include "roles/patch/xml_patch.h"
#include "tests/util/seed_plans.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::bamctl::testing::Ipv6SeedEdits;
using ::bamctl::testing::Ipv6SeedNodePlan;
using ::bamctl::testing::ReadSourceFile;
using ::bamctl::testing::ReplaceOnce;
using ::bamctl::testing::SeedNodePlan;
using ::bamctl::testing::SeedNodePlanEdited;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr absl::string_view kSecret = "s3cr3t-value";
constexpr absl::string_view kConf = "/opt/wso2bam/repository/conf/";

class FakeSecrets : public SecretSource {
 public:
  absl::StatusOr<std::string> Read(absl::string_view path) const override {
    if (fail) return absl::PermissionDeniedError(absl::StrCat("cannot read ", path));
    return std::string(kSecret);
  }
  bool fail = false;
};

// Stock files as a fresh install holds them, by path under <home>/repository/conf.
const std::map<std::string, std::string>& StockInstall() {
  static const auto* files = new std::map<std::string, std::string>{
      {"carbon.xml", "wso2-bam/carbon.xml"},
      {"cassandra-component.xml", "wso2-bam/cassandra-component.xml"},
      {"datasources/master-datasources.xml", "wso2-carbon-kernel/master-datasources.xml"},
      {"registry.xml", "wso2-carbon-kernel/registry.xml"},
      {"tomcat/catalina-server.xml", "wso2-carbon-kernel/catalina-server.xml"},
      {"etc/tasks-config.xml", "wso2-bam/tasks-config.das-clustering-template.xml"},
  };
  return *files;
}

std::string Stock(absl::string_view rel) {
  return ReadSourceFile(absl::StrCat("roles/stock/", StockInstall().at(std::string(rel))));
}

class BamDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Each node's filesystem lives under a temp root holding copies of the
    // stock files (the fixtures themselves stay read-only).
    root_ = testing::MakeTempDir("bam_driver_test").string();
    for (const auto& [rel, stock] : StockInstall()) {
      WriteHostFile(absl::StrCat(kConf, rel), ReadSourceFile(absl::StrCat("roles/stock/", stock)));
    }
    ctx_.secrets = &secrets_;
    ctx_.base = &disk_;
    ctx_.root = root_;
  }
  void TearDown() override { fs::remove_all(root_); }

  void WriteHostFile(absl::string_view host_path, absl::string_view content) {
    fs::path path = root_ + std::string(host_path);
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out << content;
  }

  ServicePlan RenderOne(const v1::NodePlan& plan) {
    absl::StatusOr<std::vector<ServicePlan>> services = BamDriver().Render(plan, ctx_);
    EXPECT_TRUE(services.ok()) << services.status();
    EXPECT_EQ(services.ok() ? services->size() : 0, 1u);
    return services.ok() && !services->empty() ? services->front() : ServicePlan();
  }

  // The content of the rendered file at <home>/repository/conf/`rel`.
  std::string Content(const ServicePlan& s, absl::string_view rel) {
    const ConfigFile* f = File(s, rel);
    return f != nullptr ? f->content : std::string();
  }
  const ConfigFile* File(const ServicePlan& s, absl::string_view rel) {
    const std::string path = absl::StrCat(root_, kConf, rel);
    for (const ConfigFile& f : s.files) {
      if (f.path == path) return &f;
    }
    ADD_FAILURE() << "no file " << path;
    return nullptr;
  }
  std::vector<std::string> RelPaths(const ServicePlan& s) {
    std::vector<std::string> out;
    for (const ConfigFile& f : s.files) out.push_back(f.path.substr(root_.size() + kConf.size()));
    return out;
  }

  std::string root_;
  FakeSecrets secrets_;
  DirectoryFileSource disk_{""};
  RenderContext ctx_;
};

std::string XmlValue(const std::string& content, absl::string_view path) {
  absl::StatusOr<std::unique_ptr<patch::XmlDocument>> doc =
      patch::ParseXmlForPatch(content, "rendered");
  EXPECT_TRUE(doc.ok()) << doc.status();
  if (!doc.ok()) return "";
  return patch::XmlText(patch::FindElement((*doc)->root(), path));
}

TEST_F(BamDriverTest, OneServiceServingAllThreeRolesOnSeedNodes) {
  for (const char* node : {"node1", "node2"}) {
    ServicePlan s = RenderOne(SeedNodePlan(node));
    EXPECT_EQ(s.name, "bam");
    EXPECT_THAT(s.roles, ElementsAre("bam-receiver", "bam-analyzer", "bam-dashboard"));
    EXPECT_THAT(RelPaths(s),
                ElementsAre("carbon.xml", "cassandra-component.xml", "advanced/streamdefn.xml",
                            "datasources/master-datasources.xml", "registry.xml",
                            "tomcat/catalina-server.xml", "etc/coordination-client-config.xml",
                            "etc/tasks-config.xml", "advanced/hive-site.xml"));
    for (const ConfigFile& f : s.files) EXPECT_EQ(f.owner, "wso2") << f.path;
  }
}

// Tomcat's two connectors bind the node's address instead of every
// interface; nothing else of the stock file changes.
TEST_F(BamDriverTest, TheConsoleConnectorsBindTheNodesAddress) {
  ServicePlan s = RenderOne(SeedNodePlan("node2"));
  const ConfigFile* catalina = nullptr;
  for (const ConfigFile& f : s.files) {
    if (absl::EndsWith(f.path, "/tomcat/catalina-server.xml")) catalina = &f;
  }
  ASSERT_NE(catalina, nullptr);
  // The address follows each connector's last attribute; the attributes'
  // lines, indentation and trailing blanks stay.
  const std::string stock = Stock("tomcat/catalina-server.xml");
  size_t from = 0;
  std::string expected;
  for (int i = 0; i < 2; ++i) {
    const size_t at = stock.find("URIEncoding=\"UTF-8\"/>", from);
    ASSERT_NE(at, std::string::npos);
    absl::StrAppend(&expected, stock.substr(from, at - from),
                    "URIEncoding=\"UTF-8\" address=\"192.168.4.101\"/>");
    from = at + std::string("URIEncoding=\"UTF-8\"/>").size();
  }
  absl::StrAppend(&expected, stock.substr(from));
  EXPECT_EQ(catalina->content, expected);
}

TEST_F(BamDriverTest, NodesWithoutBamGetNothing) {
  absl::StatusOr<std::vector<ServicePlan>> services =
      BamDriver().Render(SeedNodePlan("node3"), ctx_);
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_THAT(*services, IsEmpty());
}

// "Data receiver configurations" step 2: only the owned values change; the
// new DefaultPort sits after Nodes, indented and CRLF-terminated like them.
TEST_F(BamDriverTest, CassandraComponentIsTheStockWithTheSeedValues) {
  const std::string stock = Stock("cassandra-component.xml");
  for (const char* node : {"node1", "node2"}) {
    std::string want = ReplaceOnce(stock, "<Name>ClusterOne</Name>", "<Name>Test Cluster</Name>");
    want = ReplaceOnce(want, "<Nodes>localhost:9160</Nodes>\r\n",
                       "<Nodes>node3:9160,node4:9160,node5:9160</Nodes>\r\n"
                       "        <DefaultPort>9160</DefaultPort>\r\n");
    EXPECT_EQ(Content(RenderOne(SeedNodePlan(node)), "cassandra-component.xml"), want) << node;
  }
}

TEST_F(BamDriverTest, CarbonXmlOnlyOffsetChanges) {
  EXPECT_EQ(Content(RenderOne(SeedNodePlan("node1")), "carbon.xml"), Stock("carbon.xml"));
  ServicePlan s = RenderOne(SeedNodePlan("node1", "port_offset: 0", "port_offset: 2"));
  EXPECT_EQ(Content(s, "carbon.xml"),
            ReplaceOnce(Stock("carbon.xml"), "<Offset>0</Offset>", "<Offset>2</Offset>"));
  EXPECT_EQ(s.probes[1].port, 9445u);
}

// Step 3: no stock copy exists, so a host without one gets the seed's file.
TEST_F(BamDriverTest, StreamDefnGeneratedAsInTheSeed) {
  EXPECT_EQ(Content(RenderOne(SeedNodePlan("node2")), "advanced/streamdefn.xml"),
            "<StreamDefinition>\n"
            "    <ReplicationFactor>3</ReplicationFactor>\n"
            "    <ReadConsistencyLevel>QUORUM</ReadConsistencyLevel>\n"
            "    <WriteConsistencyLevel>QUORUM</WriteConsistencyLevel>\n"
            "    <StrategyClass>org.apache.cassandra.locator.SimpleStrategy</StrategyClass>\n"
            "</StreamDefinition>\n");
}

TEST_F(BamDriverTest, ExistingStreamDefnIsPatched) {
  const std::string shipped =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<StreamDefinition>\n"
      "    <!-- keyspace settings of the event store -->\n"
      "    <ReplicationFactor>1</ReplicationFactor>\n"
      "    <ReadConsistencyLevel>ONE</ReadConsistencyLevel>\n"
      "    <WriteConsistencyLevel>ONE</WriteConsistencyLevel>\n"
      "    <StrategyClass>org.apache.cassandra.locator.SimpleStrategy</StrategyClass>\n"
      "</StreamDefinition>\n";
  WriteHostFile(absl::StrCat(kConf, "advanced/streamdefn.xml"), shipped);
  std::string want = ReplaceOnce(shipped, ">1<", ">3<");
  want = ReplaceOnce(want, "<ReadConsistencyLevel>ONE", "<ReadConsistencyLevel>QUORUM");
  want = ReplaceOnce(want, "<WriteConsistencyLevel>ONE", "<WriteConsistencyLevel>QUORUM");
  EXPECT_EQ(Content(RenderOne(SeedNodePlan("node1")), "advanced/streamdefn.xml"), want);
}

// The seed's two <datasource> blocks (registry sharing step 3, analyzer
// step 16), added after the stock ones, which stay as they are.
std::string SeedDataSource(absl::string_view name, absl::string_view description,
                           absl::string_view jndi, absl::string_view db, absl::string_view user,
                           absl::string_view password) {
  return absl::StrCat(
      "        <datasource>\n"
      "            <name>",
      name, "</name>\n            <description>", description,
      "</description>\n"
      "            <jndiConfig>\n"
      "                <name>",
      jndi,
      "</name>\n"
      "            </jndiConfig>\n"
      "            <definition type=\"RDBMS\">\n"
      "                <configuration>\n"
      "                    <url>jdbc:mysql://mysql.bam.internal:3306/",
      db, "</url>\n                    <username>", user,
      "</username>\n                    <password>", password,
      "</password>\n"
      "                    <driverClassName>com.mysql.jdbc.Driver</driverClassName>\n"
      "                    <maxActive>50</maxActive>\n"
      "                    <maxWait>60000</maxWait>\n"
      "                    <testOnBorrow>true</testOnBorrow>\n"
      "                    <validationQuery>SELECT 1</validationQuery>\n"
      "                    <validationInterval>30000</validationInterval>\n"
      "                </configuration>\n"
      "            </definition>\n"
      "        </datasource>\n");
}

std::string WantMasterDataSources(absl::string_view password) {
  return ReplaceOnce(
      Stock("datasources/master-datasources.xml"),
      "        </datasource>\n        <!-- For an explanation",
      absl::StrCat(
          "        </datasource>\n",
          SeedDataSource("WSO2_REG_DB", "The datasource used for config", "jdbc/WSO2RegDB", "regdb",
                         "reg_user", password),
          SeedDataSource("WSO2BAM_DATASOURCE", "The datasource used for registry and user manager",
                         "jdbc/WSO2BamDataSource", "bamdb", "bam_user", password),
          "        <!-- For an explanation"));
}

TEST_F(BamDriverTest, MasterDataSourcesAddsTheSeedDataSources) {
  for (const char* node : {"node1", "node2"}) {
    ServicePlan s = RenderOne(SeedNodePlan(node));
    const ConfigFile* f = File(s, "datasources/master-datasources.xml");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->content, WantMasterDataSources(kSecret)) << node;
    EXPECT_TRUE(f->secret);
    EXPECT_EQ(f->mode, 0600u);
  }
}

// The seed gives WSO2BAM_DATASOURCE the JNDI name of the stock
// WSO2_CARBON_DB; the spec's default gives it its own, so each name is bound
// by exactly one datasource.
TEST_F(BamDriverTest, EveryJndiNameIsBoundOnce) {
  const std::string content =
      Content(RenderOne(SeedNodePlan("node1")), "datasources/master-datasources.xml");
  for (const char* jndi : {"jdbc/WSO2CarbonDB", "jdbc/WSO2RegDB", "jdbc/WSO2BamDataSource"}) {
    const std::string tag = std::string("<name>") + jndi + "</name>";
    size_t first = content.find(tag);
    ASSERT_NE(first, std::string::npos) << jndi;
    EXPECT_EQ(content.find(tag, first + 1), std::string::npos) << jndi;
  }
}

TEST_F(BamDriverTest, ExistingDataSourceIsUpdatedInPlace) {
  // BAM ships WSO2BAM_DATASOURCE on H2, without a jndiConfig.
  const std::string h2 =
      "        <datasource>\n"
      "            <name>WSO2BAM_DATASOURCE</name>\n"
      "            <description>The datasource used for analyzer data</description>\n"
      "            <definition type=\"RDBMS\">\n"
      "                <configuration>\n"
      "                    <url>jdbc:h2:repository/database/samples/BAM_STATS_DB</url>\n"
      "                    <username>wso2carbon</username>\n"
      "                    <password>wso2carbon</password>\n"
      "                    <driverClassName>org.h2.Driver</driverClassName>\n"
      "                    <maxActive>50</maxActive>\n"
      "                    <maxWait>60000</maxWait>\n"
      "                    <testOnBorrow>true</testOnBorrow>\n"
      "                    <validationQuery>SELECT 1</validationQuery>\n"
      "                    <validationInterval>30000</validationInterval>\n"
      "                    <defaultAutoCommit>false</defaultAutoCommit>\n"
      "                </configuration>\n"
      "            </definition>\n"
      "        </datasource>\n";
  const std::string anchor = "        </datasource>\n        <!-- For an explanation";
  const std::string shipped =
      ReplaceOnce(Stock("datasources/master-datasources.xml"), anchor,
                  absl::StrCat("        </datasource>\n", h2, "        <!-- For an explanation"));
  WriteHostFile(absl::StrCat(kConf, "datasources/master-datasources.xml"), shipped);

  std::string updated =
      SeedDataSource("WSO2BAM_DATASOURCE", "The datasource used for registry and user manager",
                     "jdbc/WSO2BamDataSource", "bamdb", "bam_user", kSecret);
  // Unowned settings stay.
  updated = ReplaceOnce(updated, "<validationInterval>30000</validationInterval>\n",
                        "<validationInterval>30000</validationInterval>\n"
                        "                    <defaultAutoCommit>false</defaultAutoCommit>\n");
  const std::string want = ReplaceOnce(
      shipped, h2,
      absl::StrCat(updated, SeedDataSource("WSO2_REG_DB", "The datasource used for config",
                                           "jdbc/WSO2RegDB", "regdb", "reg_user", kSecret)));
  EXPECT_EQ(Content(RenderOne(SeedNodePlan("node2")), "datasources/master-datasources.xml"), want);
}

// Registry sharing step 4: the wso2GReg dbConfig and registryInstance are
// added after their stock siblings; the stock mounts of the two paths now
// point at registryInstance.
TEST_F(BamDriverTest, RegistryMountsPointAtTheSharedRegistry) {
  std::string want = ReplaceOnce(
      Stock("registry.xml"), "        <dataSource>jdbc/SHARED_DB</dataSource>\n    </dbConfig>\n",
      "        <dataSource>jdbc/SHARED_DB</dataSource>\n    </dbConfig>\n"
      "    <dbConfig name=\"wso2GReg\">\n"
      "        <dataSource>jdbc/WSO2RegDB</dataSource>\n"
      "    </dbConfig>\n");
  want = ReplaceOnce(want, "    </remoteInstance>\n",
                     "    </remoteInstance>\n"
                     "    <remoteInstance url=\"https://localhost:9443/registry\">\n"
                     "        <id>registryInstance</id>\n"
                     "        <dbConfig>wso2GReg</dbConfig>\n"
                     "        <readOnly>false</readOnly>\n"
                     "        <registryRoot>/</registryRoot>\n"
                     "    </remoteInstance>\n");
  want = absl::StrReplaceAll(
      want, {{"<instanceId>gov</instanceId>", "<instanceId>registryInstance</instanceId>"}});
  for (const char* node : {"node1", "node2"}) {
    const std::string content = Content(RenderOne(SeedNodePlan(node)), "registry.xml");
    EXPECT_EQ(content, want) << node;
    EXPECT_THAT(content, HasSubstr("<mount path=\"/_system/config\" overwrite=\"true\">\n"
                                   "        <instanceId>registryInstance</instanceId>\n"
                                   "        <targetPath>/_system/config</targetPath>"));
    EXPECT_THAT(content, HasSubstr("<mount path=\"/_system/governance\" overwrite=\"true\">\n"
                                   "        <instanceId>registryInstance</instanceId>\n"
                                   "        <targetPath>/_system/governance</targetPath>"));
  }
}

// Analyzer step 12, generated when the host has no file.
TEST_F(BamDriverTest, CoordinationClientConfigGenerated) {
  for (const char* node : {"node1", "node2"}) {
    EXPECT_EQ(Content(RenderOne(SeedNodePlan(node)), "etc/coordination-client-config.xml"),
              "<CoordinationClientConfiguration enabled=\"true\">\n"
              "    <Servers>\n"
              "        <Server host=\"node3\" port=\"2181\"/>\n"
              "        <Server host=\"node4\" port=\"2181\"/>\n"
              "        <Server host=\"node5\" port=\"2181\"/>\n"
              "    </Servers>\n"
              "    <SessionTimeout>5000</SessionTimeout>\n"
              "</CoordinationClientConfiguration>\n")
        << node;
  }
}

TEST_F(BamDriverTest, ExistingCoordinationClientConfigIsPatched) {
  const std::string shipped =
      "<!-- ZooKeeper client settings -->\n"
      "<CoordinationClientConfiguration enabled=\"false\">\n"
      "        <Servers>\n"
      "                <Server host=\"localhost\" port=\"2181\"/>\n"
      "        </Servers>\n"
      "        <SessionTimeout>5000</SessionTimeout>\n"
      "</CoordinationClientConfiguration>\n";
  WriteHostFile(absl::StrCat(kConf, "etc/coordination-client-config.xml"), shipped);
  EXPECT_EQ(Content(RenderOne(SeedNodePlan("node2")), "etc/coordination-client-config.xml"),
            "<!-- ZooKeeper client settings -->\n"
            "<CoordinationClientConfiguration enabled=\"true\">\n"
            "        <Servers>\n"
            "                <Server host=\"node3\" port=\"2181\"/>\n"
            "                <Server host=\"node4\" port=\"2181\"/>\n"
            "                <Server host=\"node5\" port=\"2181\"/>\n"
            "        </Servers>\n"
            "        <SessionTimeout>5000</SessionTimeout>\n"
            "</CoordinationClientConfiguration>\n");
}

// Analyzer step 13 on the stock template: its placeholder is filled.
TEST_F(BamDriverTest, TasksConfigClustered) {
  std::string want = ReplaceOnce(Stock("etc/tasks-config.xml"), "<taskServerMode>AUTO<",
                                 "<taskServerMode>CLUSTERED<");
  want = ReplaceOnce(want, "[[[serverCount]]]", "1");
  for (const char* node : {"node1", "node2"}) {
    EXPECT_EQ(Content(RenderOne(SeedNodePlan(node)), "etc/tasks-config.xml"), want) << node;
  }
}

std::string HiveProperty(absl::string_view name, absl::string_view value) {
  return absl::StrCat("    <property>\n        <name>", name, "</name>\n        <value>", value,
                      "</value>\n    </property>\n");
}

constexpr absl::string_view kAuxJars =
    "file://${CARBON_HOME}/repository/components/plugins/apache-cassandra_1.1.0.wso2v1.jar,"
    "file://${CARBON_HOME}/repository/components/plugins/guava_12.0.0.wso2v1.jar,"
    "file://${CARBON_HOME}/repository/components/plugins/json_2.0.0.wso2v1.jar,"
    "file://${CARBON_HOME}/repository/components/plugins/commons-dbcp_1.4.0.wso2v1.jar,"
    "file://${CARBON_HOME}/repository/components/plugins/commons-pool_1.5.6.wso2v1.jar,"
    "file://${CARBON_HOME}/repository/components/lib/mysql-connector-java-5.1.5-bin.jar";

// Analyzer step 14.
TEST_F(BamDriverTest, HiveSiteGenerated) {
  EXPECT_EQ(Content(RenderOne(SeedNodePlan("node1")), "advanced/hive-site.xml"),
            absl::StrCat("<?xml version=\"1.0\"?>\n<configuration>\n",
                         HiveProperty("hadoop.embedded.local.mode", "false"),
                         HiveProperty("hive.metastore.warehouse.dir", "/user/hive/warehouse"),
                         HiveProperty("fs.default.name", "hdfs://node1:9000"),
                         HiveProperty("mapred.job.tracker", "node1:9001"),
                         HiveProperty("hive.aux.jars.path", kAuxJars), "</configuration>\n"));
}

TEST_F(BamDriverTest, ExistingHiveSiteIsPatched) {
  const std::string shipped =
      "<?xml version=\"1.0\"?>\n"
      "<?xml-stylesheet type=\"text/xsl\" href=\"configuration.xsl\"?>\n"
      "<configuration>\n"
      "\n"
      "<!-- Hive Execution Parameters -->\n"
      "<property>\n"
      "  <name>hadoop.embedded.local.mode</name>\n"
      "  <value>true</value>\n"
      "</property>\n"
      "\n"
      "<property>\n"
      "  <name>javax.jdo.option.ConnectionURL</name>\n"
      "  <value>jdbc:h2:repository/database/metastore_db</value>\n"
      "</property>\n"
      "\n"
      "<property>\n"
      "  <name>hive.metastore.warehouse.dir</name>\n"
      "  <value>/tmp/hivewarehouse</value>\n"
      "  <description>location of default database for the warehouse</description>\n"
      "</property>\n"
      "\n"
      "</configuration>\n";
  WriteHostFile(absl::StrCat(kConf, "advanced/hive-site.xml"), shipped);
  std::string want = ReplaceOnce(shipped, "<value>true</value>", "<value>false</value>");
  want = ReplaceOnce(want, "/tmp/hivewarehouse", "/user/hive/warehouse");
  want = ReplaceOnce(
      want, "warehouse</description>\n</property>\n",
      absl::StrCat(
          "warehouse</description>\n</property>\n",
          "<property>\n  <name>fs.default.name</name>\n  <value>hdfs://node1:9000</value>\n"
          "</property>\n",
          "<property>\n  <name>mapred.job.tracker</name>\n  <value>node1:9001</value>\n"
          "</property>\n",
          "<property>\n  <name>hive.aux.jars.path</name>\n  <value>", kAuxJars,
          "</value>\n</property>\n"));
  EXPECT_EQ(Content(RenderOne(SeedNodePlan("node2")), "advanced/hive-site.xml"), want);
}

// Analyzer step 18: node2 loses the toolbox deployer, node1 keeps it.
TEST_F(BamDriverTest, ToolboxDeployerKeptOnNode1RemovedOnNode2) {
  EXPECT_THAT(RenderOne(SeedNodePlan("node1")).remove_paths, IsEmpty());
  const std::string plugins = root_ + "/opt/wso2bam/repository/components/plugins/";
  EXPECT_THAT(RenderOne(SeedNodePlan("node2")).remove_paths,
              ElementsAre(plugins + "org.wso2.carbon.bam.toolbox.deployer_*.jar",
                          plugins + "org.wso2.carbon.bam.toolbox.deployer.ui_*.jar"));
  BamDriver::Options options;
  options.toolbox_deployer_bundles = {"org.wso2.carbon.bam.toolbox.deployer_4.0.7.jar"};
  absl::StatusOr<std::vector<ServicePlan>> services =
      BamDriver(options).Render(SeedNodePlan("node2"), ctx_);
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_THAT(services->front().remove_paths,
              ElementsAre(plugins + "org.wso2.carbon.bam.toolbox.deployer_4.0.7.jar"));
}

TEST_F(BamDriverTest, ProcessProbesAndRestartOfAnAnalyzer) {
  ServicePlan s = RenderOne(SeedNodePlan("node1"));
  EXPECT_THAT(s.process.argv, ElementsAre(root_ + "/opt/wso2bam/bin/wso2server.sh",
                                          "-Ddisable.cassandra.server.startup=true"));
  EXPECT_EQ(s.process.env.at("JAVA_HOME"), root_ + "/opt/java/jdk1.6.0_29");
  EXPECT_EQ(s.process.env.at("JAVA_OPTS"), "-Xms2048m -Xmx2048m");
  EXPECT_EQ(s.process.user, "wso2");
  EXPECT_EQ(s.process.working_dir, root_ + "/opt/wso2bam");
  EXPECT_EQ(s.process.nofile_limit, 65536u);
  EXPECT_EQ(s.process.stop_timeout_seconds, 120);
  ASSERT_EQ(s.probes.size(), 3u);
  EXPECT_EQ(s.probes[0].kind, Probe::Kind::kTcp);
  EXPECT_EQ(s.probes[0].port, 7611u);
  EXPECT_EQ(s.probes[0].host, "192.168.4.100");
  EXPECT_EQ(s.probes[1].kind, Probe::Kind::kTcp);
  EXPECT_EQ(s.probes[1].port, 9443u);
  EXPECT_EQ(s.probes[2].kind, Probe::Kind::kHttp);
  EXPECT_EQ(s.probes[2].port, 9763u);
  EXPECT_EQ(s.probes[2].http_path, "/carbon/");
  EXPECT_EQ(s.restart.group, "bam-analyzer");
  EXPECT_EQ(s.restart.order, RestartSafety::Order::kStandbyBeforeActive);
  EXPECT_EQ(s.restart.max_unavailable, 1);
  ASSERT_EQ(s.depends_on.size(), 3u);
  EXPECT_EQ(s.depends_on[0].service, "zookeeper");
  EXPECT_EQ(s.depends_on[0].min_healthy, 2);  // a majority of three
  ASSERT_EQ(s.depends_on[0].probes.size(), 3u);
  EXPECT_EQ(s.depends_on[0].probes[0].kind, Probe::Kind::kZooKeeper);
  EXPECT_EQ(s.depends_on[0].probes[0].port, 2181u);
  EXPECT_EQ(s.depends_on[1].service, "cassandra");
  EXPECT_EQ(s.depends_on[1].min_healthy, 1);
  EXPECT_EQ(s.depends_on[1].probes.size(), 3u);
  EXPECT_EQ(s.depends_on[1].probes[0].port, 9160u);
  EXPECT_EQ(s.depends_on[2].service, "jobtracker");
  ASSERT_EQ(s.depends_on[2].probes.size(), 1u);
  EXPECT_EQ(s.depends_on[2].probes[0].host, "node1");
  EXPECT_EQ(s.depends_on[2].probes[0].port, 9001u);

  s = RenderOne(SeedNodePlan("node1", "heap_mb: 2048", "heap_mb: 4096"));
  EXPECT_EQ(s.process.env.at("JAVA_OPTS"), "-Xms4096m -Xmx4096m");
}

// Hector and the ZooKeeper client split "host:port" at the last ':', so the
// IPv6 Cassandra nodes and coordination servers are bracketed in the files;
// the dependency probes connect to the bare hosts.
TEST_F(BamDriverTest, Ipv6CassandraAndZooKeeper) {
  ServicePlan s = RenderOne(Ipv6SeedNodePlan("node1"));
  std::string want = ReplaceOnce(Stock("cassandra-component.xml"), "<Name>ClusterOne</Name>",
                                 "<Name>Test Cluster</Name>");
  want = ReplaceOnce(want, "<Nodes>localhost:9160</Nodes>\r\n",
                     "<Nodes>[fd00::2]:9160,[fd00::3]:9160,[fd00::4]:9160</Nodes>\r\n"
                     "        <DefaultPort>9160</DefaultPort>\r\n");
  EXPECT_EQ(Content(s, "cassandra-component.xml"), want);
  EXPECT_EQ(Content(s, "etc/coordination-client-config.xml"),
            "<CoordinationClientConfiguration enabled=\"true\">\n"
            "    <Servers>\n"
            "        <Server host=\"[fd00::2]\" port=\"2181\"/>\n"
            "        <Server host=\"[fd00::3]\" port=\"2181\"/>\n"
            "        <Server host=\"[fd00::4]\" port=\"2181\"/>\n"
            "    </Servers>\n"
            "    <SessionTimeout>5000</SessionTimeout>\n"
            "</CoordinationClientConfiguration>\n");
  EXPECT_THAT(Content(s, "advanced/hive-site.xml"),
              HasSubstr(HiveProperty("fs.default.name", "hdfs://192.168.4.100:9000")));
  EXPECT_THAT(Content(s, "advanced/hive-site.xml"),
              HasSubstr(HiveProperty("mapred.job.tracker", "192.168.4.100:9001")));

  ASSERT_EQ(s.depends_on.size(), 3u);
  EXPECT_EQ(s.depends_on[0].service, "zookeeper");
  ASSERT_EQ(s.depends_on[0].probes.size(), 3u);
  EXPECT_EQ(s.depends_on[0].probes[0].host, "fd00::2");
  EXPECT_EQ(s.depends_on[0].probes[0].port, 2181u);
  EXPECT_EQ(s.depends_on[1].service, "cassandra");
  ASSERT_EQ(s.depends_on[1].probes.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(s.depends_on[1].probes[i].kind, Probe::Kind::kTcp);
    EXPECT_EQ(s.depends_on[1].probes[i].host, absl::StrCat("fd00::", i + 2));
    EXPECT_EQ(s.depends_on[1].probes[i].port, 9160u);
  }
  EXPECT_EQ(s.depends_on[2].service, "jobtracker");
  EXPECT_EQ(s.depends_on[2].probes[0].host, "192.168.4.100");
  EXPECT_EQ(s.depends_on[2].probes[0].port, 9001u);
}

// A BAM server on an IPv6 address is probed there, bare.
TEST_F(BamDriverTest, Ipv6BamNode) {
  std::vector<std::pair<std::string, std::string>> edits = Ipv6SeedEdits();
  edits.emplace_back(
      "address: 192.168.4.101\n    roles: [secondarynamenode, datanode, tasktracker, bam-receiver, "
      "bam-analyzer, bam-dashboard]",
      "address: fd00::1\n    roles: [bam-receiver, bam-dashboard]");
  ServicePlan s = RenderOne(SeedNodePlanEdited("node2", edits));
  ASSERT_EQ(s.probes.size(), 3u);
  for (const Probe& p : s.probes) EXPECT_EQ(p.host, "fd00::1") << p.name;
  ASSERT_EQ(s.depends_on.size(), 1u);
  EXPECT_EQ(s.depends_on[0].probes[0].host, "fd00::2");
}

TEST_F(BamDriverTest, ReceiverAndDashboardOnlyNode) {
  ServicePlan s = RenderOne(
      SeedNodePlan("node2", "roles: [secondarynamenode, bam-receiver, bam-analyzer, bam-dashboard]",
                   "roles: [secondarynamenode, bam-receiver, bam-dashboard]"));
  EXPECT_THAT(s.roles, ElementsAre("bam-receiver", "bam-dashboard"));
  EXPECT_THAT(RelPaths(s),
              ElementsAre("carbon.xml", "cassandra-component.xml", "advanced/streamdefn.xml",
                          "datasources/master-datasources.xml", "registry.xml",
                          "tomcat/catalina-server.xml"));
  EXPECT_THAT(s.remove_paths, IsEmpty());
  EXPECT_EQ(s.restart.group, "bam");
  EXPECT_EQ(s.restart.order, RestartSafety::Order::kAnyOrder);
  EXPECT_EQ(s.restart.max_unavailable, 1);
  ASSERT_EQ(s.depends_on.size(), 1u);
  EXPECT_EQ(s.depends_on[0].service, "cassandra");
  EXPECT_EQ(s.probes[0].port, 7611u);
}

TEST_F(BamDriverTest, RenderingTwiceOverItsOwnOutputChangesNothing) {
  for (const char* node : {"node1", "node2"}) {
    ServicePlan first = RenderOne(SeedNodePlan(node));
    for (const ConfigFile& f : first.files) {
      WriteHostFile(f.path.substr(root_.size()), f.content);
    }
    ServicePlan second = RenderOne(SeedNodePlan(node));
    ASSERT_EQ(second.files.size(), first.files.size());
    for (size_t i = 0; i < first.files.size(); ++i) {
      EXPECT_EQ(second.files[i].content, first.files[i].content) << first.files[i].path;
    }
  }
}

TEST_F(BamDriverTest, SecretOnlyInSecretFiles) {
  ServicePlan s = RenderOne(SeedNodePlan("node2"));
  int secret_files = 0;
  for (const ConfigFile& f : s.files) {
    if (f.content.find(std::string(kSecret)) != std::string::npos) {
      EXPECT_TRUE(f.secret) << f.path;
      EXPECT_EQ(f.mode, 0600u) << f.path;
      ++secret_files;
    } else {
      EXPECT_FALSE(f.secret) << f.path;
      EXPECT_EQ(f.mode, 0644u) << f.path;
    }
  }
  EXPECT_EQ(secret_files, 1);
  for (const auto& [k, v] : s.process.env) EXPECT_THAT(v, Not(HasSubstr(kSecret)));
  for (const std::string& a : s.process.argv) EXPECT_THAT(a, Not(HasSubstr(kSecret)));
}

TEST_F(BamDriverTest, RedactedRenderingNeverShowsTheSecret) {
  RedactingSecretSource redacting;
  ctx_.secrets = &redacting;
  ServicePlan s = RenderOne(SeedNodePlan("node1"));
  for (const ConfigFile& f : s.files) EXPECT_THAT(f.content, Not(HasSubstr(kSecret))) << f.path;
  const std::string content = Content(s, "datasources/master-datasources.xml");
  // "<redacted>" is the password's value; in XML it is spelled escaped.
  EXPECT_EQ(content, WantMasterDataSources("&lt;redacted&gt;"));
  EXPECT_EQ(XmlValue(content, "datasources/datasource/definition/configuration/password"),
            "wso2carbon");  // the stock WSO2_CARBON_DB is untouched
  absl::StatusOr<std::unique_ptr<patch::XmlDocument>> doc =
      patch::ParseXmlForPatch(content, "master-datasources.xml");
  ASSERT_TRUE(doc.ok());
  int redacted = 0;
  for (pugi::xml_node d : (*doc)->root().child("datasources").children("datasource")) {
    if (patch::XmlText(patch::FindElement(d, "definition/configuration/password")) ==
        RedactingSecretSource::kRedacted) {
      ++redacted;
    }
  }
  EXPECT_EQ(redacted, 2);
}

TEST_F(BamDriverTest, UnreadableSecretFailsNamingTheDataSource) {
  secrets_.fail = true;
  absl::StatusOr<std::vector<ServicePlan>> services =
      BamDriver().Render(SeedNodePlan("node1"), ctx_);
  ASSERT_FALSE(services.ok());
  EXPECT_EQ(services.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(services.status().message(), HasSubstr("datasource WSO2_REG_DB"));
  EXPECT_THAT(services.status().message(), HasSubstr("/etc/bamctl/secrets/regdb-password"));
}

TEST_F(BamDriverTest, MissingShippedFileIsAnErrorUnlessStockFallback) {
  fs::remove(root_ + std::string(kConf) + "registry.xml");
  absl::StatusOr<std::vector<ServicePlan>> services =
      BamDriver().Render(SeedNodePlan("node1"), ctx_);
  ASSERT_FALSE(services.ok());
  EXPECT_EQ(services.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(services.status().message(), HasSubstr("registry.xml"));

  ctx_.fall_back_to_stock = true;
  ServicePlan s = RenderOne(SeedNodePlan("node1"));
  EXPECT_THAT(Content(s, "registry.xml"), HasSubstr("<id>registryInstance</id>"));
}

TEST_F(BamDriverTest, MalformedHostFileNamesTheFile) {
  WriteHostFile(absl::StrCat(kConf, "carbon.xml"), "<Server>\n  <Ports>\n</Server>\n");
  absl::StatusOr<std::vector<ServicePlan>> services =
      BamDriver().Render(SeedNodePlan("node1"), ctx_);
  ASSERT_FALSE(services.ok());
  EXPECT_THAT(services.status().message(), HasSubstr("carbon.xml:3:"));
}

// Analyzer step 5, when the spec hands the schema to the agent: one node
// runs dbscripts/mysql.sql once, with the password in a 0600 options file.
TEST_F(BamDriverTest, RegistrySchemaStepOnlyWhereAndWhenAsked) {
  EXPECT_TRUE(RenderOne(SeedNodePlan("node1")).init_steps.empty());

  const std::string edit_from = "  task_server_count: 1\n";
  const std::string edit_to = "  task_server_count: 1\n  manage_registry_schema: true\n";
  ServicePlan node1 = RenderOne(SeedNodePlan("node1", edit_from, edit_to));
  ASSERT_EQ(node1.init_steps.size(), 1u);
  const InitStep& step = node1.init_steps[0];
  EXPECT_EQ(step.name, "registry-schema");
  EXPECT_EQ(step.user, "wso2");
  ASSERT_EQ(step.argv.size(), 3u);
  const std::string conf = root_ + "/opt/wso2bam/repository/conf/";
  EXPECT_EQ(step.argv[2], "mysql --defaults-extra-file=" + conf +
                              "bamctl-registry-db.cnf regdb < " + root_ +
                              "/opt/wso2bam/dbscripts/mysql.sql && touch " + conf +
                              ".bamctl-registry-schema.done");
  EXPECT_EQ(step.done_marker, conf + ".bamctl-registry-schema.done");
  EXPECT_EQ(step.argv[2].find(std::string(kSecret)), std::string::npos);
  const ConfigFile* cnf = File(node1, "bamctl-registry-db.cnf");
  ASSERT_NE(cnf, nullptr);
  EXPECT_TRUE(cnf->secret);
  EXPECT_EQ(cnf->mode, 0600u);
  EXPECT_THAT(cnf->content, HasSubstr("host=\"mysql.bam.internal\"\nport=3306\nuser=\"reg_user\"\n"
                                      "password=\"" +
                                      std::string(kSecret) + "\"\n"));
  // Only one node creates the schema.
  EXPECT_TRUE(RenderOne(SeedNodePlan("node2", edit_from, edit_to)).init_steps.empty());
}

}  // namespace
}  // namespace bamctl
