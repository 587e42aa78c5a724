#include "roles/hadoop/hadoop_driver.h"

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/seed_plans.h"

namespace bamctl {
namespace {

using ::bamctl::testing::Ipv6SeedNodePlan;
using ::bamctl::testing::SeedNodePlan;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

std::vector<ServicePlan> Render(const v1::NodePlan& plan, const RenderContext& ctx = {}) {
  absl::StatusOr<std::vector<ServicePlan>> services = HadoopDriver().Render(plan, ctx);
  EXPECT_TRUE(services.ok()) << services.status();
  return services.ok() ? *services : std::vector<ServicePlan>();
}

// path -> content of the files every Hadoop service of the node shares.
std::map<std::string, std::string> Files(const std::vector<ServicePlan>& services) {
  std::map<std::string, std::string> files;
  for (const ServicePlan& s : services) {
    for (const ConfigFile& f : s.files) files[f.path] = f.content;
  }
  return files;
}

// "<name>N</name>\n    <value>V</value>": one property of a generated file.
std::string Property(const std::string& name, const std::string& value) {
  return "<name>" + name + "</name>\n    <value>" + value + "</value>";
}

constexpr char kConf[] = "/home/hadoop/hadoop/conf/";

std::string ConfPath(const char* file) { return std::string(kConf) + file; }

// Every value Hadoop steps 12-17 of the seed name, on every node.
TEST(HadoopDriverTest, SeedValuesOnEveryNode) {
  for (const char* node : {"node1", "node2", "node3", "node4", "node5"}) {
    auto files = Files(Render(SeedNodePlan(node)));
    EXPECT_THAT(files[ConfPath("hadoop-env.sh")],
                HasSubstr("export JAVA_HOME=/opt/java/jdk1.6.0_29\n"))
        << node;
    const std::string& core = files[ConfPath("core-site.xml")];
    EXPECT_THAT(core, HasSubstr(Property("fs.default.name", "hdfs://node1:9000"))) << node;
    EXPECT_THAT(
        core, HasSubstr(Property("fs.hdfs.impl", "org.apache.hadoop.hdfs.DistributedFileSystem")));
    EXPECT_THAT(core, HasSubstr(Property("hadoop.tmp.dir", "/tmp/hadoop")));
    const std::string& hdfs = files[ConfPath("hdfs-site.xml")];
    EXPECT_THAT(hdfs, HasSubstr(Property("dfs.replication", "1")));
    EXPECT_THAT(hdfs, HasSubstr(Property("dfs.name.dir", "/home/hadoop/hadoop/dfs/name")));
    EXPECT_THAT(hdfs, HasSubstr(Property("dfs.data.dir", "/home/hadoop/hadoop/dfs/data")));
    const std::string& mapred = files[ConfPath("mapred-site.xml")];
    EXPECT_THAT(mapred, HasSubstr(Property("mapred.job.tracker", "node1:9001")));
    EXPECT_THAT(mapred,
                HasSubstr(Property("mapred.system.dir", "/home/hadoop/hadoop/mapred/system")));
  }
}

TEST(HadoopDriverTest, MastersSlavesAndPolicyWhereTheSeedPutsThem) {
  auto node1 = Files(Render(SeedNodePlan("node1")));
  EXPECT_EQ(node1[ConfPath("masters")], "node2\n");
  EXPECT_EQ(node1[ConfPath("slaves")], "node3\nnode4\nnode5\n");
  EXPECT_FALSE(node1.contains(ConfPath("hadoop-policy.xml")));

  auto node2 = Files(Render(SeedNodePlan("node2")));
  // Hadoop step 19: records removed from masters and slaves on other nodes.
  EXPECT_EQ(node2[ConfPath("masters")], "");
  EXPECT_EQ(node2[ConfPath("slaves")], "");
  EXPECT_THAT(node2[ConfPath("hadoop-policy.xml")],
              HasSubstr(Property("security.job.submission.protocol.acl", "hadoop")));
}

// A policy file read from the host keeps its other ACLs.
class MapFileSource : public BaseFileSource {
 public:
  explicit MapFileSource(std::map<std::string, std::string> files) : files_(std::move(files)) {}
  absl::StatusOr<std::optional<std::string>> Read(absl::string_view path) const override {
    auto it = files_.find(std::string(path));
    if (it == files_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

 private:
  std::map<std::string, std::string> files_;
};

TEST(HadoopDriverTest, PolicyFileIsPatchedInPlace) {
  const std::string shipped =
      "<?xml version=\"1.0\"?>\n<configuration>\n  <!-- ACLs -->\n  <property>\n"
      "    <name>security.client.protocol.acl</name>\n    <value>*</value>\n  </property>\n"
      "  <property>\n    <name>security.job.submission.protocol.acl</name>\n"
      "    <value>*</value>\n  </property>\n</configuration>\n";
  MapFileSource host(std::map<std::string, std::string>{{ConfPath("hadoop-policy.xml"), shipped}});
  RenderContext ctx;
  ctx.base = &host;
  const std::string policy =
      Files(Render(SeedNodePlan("node2"), ctx))[ConfPath("hadoop-policy.xml")];
  std::string want = shipped;
  want.replace(want.rfind("<value>*</value>"), 16, "<value>hadoop</value>");
  EXPECT_EQ(policy, want);
}

TEST(HadoopDriverTest, BindsWebAndDataPortsToTheNodeAddress) {
  auto files = Files(Render(SeedNodePlan("node3")));
  EXPECT_THAT(files[ConfPath("hdfs-site.xml")],
              HasSubstr(Property("dfs.datanode.address", "192.168.4.102:50010")));
  EXPECT_THAT(files[ConfPath("mapred-site.xml")],
              HasSubstr(Property("mapred.task.tracker.http.address", "192.168.4.102:50060")));
}

// In a cluster with IPv6 nodes, Hadoop stays on the IPv4 ones: its files
// name only those.
TEST(HadoopDriverTest, Ipv6ClusterKeepsHadoopOnIpv4) {
  auto files = Files(Render(Ipv6SeedNodePlan("node1")));
  EXPECT_THAT(files[ConfPath("core-site.xml")],
              HasSubstr(Property("fs.default.name", "hdfs://192.168.4.100:9000")));
  EXPECT_THAT(files[ConfPath("mapred-site.xml")],
              HasSubstr(Property("mapred.job.tracker", "192.168.4.100:9001")));
  EXPECT_THAT(files[ConfPath("hdfs-site.xml")],
              HasSubstr(Property("dfs.http.address", "192.168.4.100:50070")));
  EXPECT_EQ(files[ConfPath("masters")], "192.168.4.101\n");
  EXPECT_EQ(files[ConfPath("slaves")], "192.168.4.100\n192.168.4.101\n");
  for (const auto& [path, content] : files) EXPECT_THAT(content, Not(HasSubstr("fd00"))) << path;
}

TEST(HadoopDriverTest, Ipv6AddressesAreRefused) {
  v1::NodePlan plan = SeedNodePlan("node3");
  plan.set_address("fd00::2");
  absl::StatusOr<std::vector<ServicePlan>> services = HadoopDriver().Render(plan, {});
  ASSERT_FALSE(services.ok());
  EXPECT_EQ(services.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(services.status().message(),
            "hadoop on node3: the node's address fd00::2 is an IPv6 address; Hadoop 1.x has no "
            "IPv6 support");

  plan = SeedNodePlan("node3");
  plan.mutable_hadoop()->mutable_jobtracker()->set_host("fd00::1");
  services = HadoopDriver().Render(plan, {});
  ASSERT_FALSE(services.ok());
  EXPECT_THAT(std::string(services.status().message()), HasSubstr("the jobtracker fd00::1"));
}

TEST(HadoopDriverTest, OneServicePerDaemonWithItsRules) {
  std::vector<ServicePlan> node1 = Render(SeedNodePlan("node1"));
  ASSERT_EQ(node1.size(), 2u);
  const ServicePlan& nn = node1[0];
  EXPECT_EQ(nn.name, "namenode");
  EXPECT_THAT(nn.process.argv, ElementsAre("/home/hadoop/hadoop/bin/hadoop", "namenode"));
  EXPECT_EQ(nn.process.env.at("HADOOP_CONF_DIR"), "/home/hadoop/hadoop/conf");
  EXPECT_EQ(nn.process.user, "hadoop");
  ASSERT_EQ(nn.init_steps.size(), 1u);
  EXPECT_EQ(nn.init_steps[0].name, "format-namenode");
  EXPECT_THAT(nn.init_steps[0].argv,
              ElementsAre("/home/hadoop/hadoop/bin/hadoop", "namenode", "-format"));
  // Never reformat: the step is done once the image exists.
  EXPECT_EQ(nn.init_steps[0].done_marker, "/home/hadoop/hadoop/dfs/name/current/VERSION");
  EXPECT_TRUE(nn.restart.requires_downtime_flag);
  EXPECT_EQ(nn.restart.order, RestartSafety::Order::kSingleInstanceDowntime);
  ASSERT_EQ(nn.probes.size(), 2u);
  EXPECT_EQ(nn.probes[0].port, 9000u);
  EXPECT_EQ(nn.probes[1].kind, Probe::Kind::kHttp);
  EXPECT_EQ(nn.probes[1].port, 50070u);
  EXPECT_EQ(node1[1].name, "jobtracker");
  ASSERT_EQ(node1[1].depends_on.size(), 1u);
  EXPECT_EQ(node1[1].depends_on[0].service, "namenode");
  ASSERT_EQ(node1[1].depends_on[0].probes.size(), 1u);
  EXPECT_EQ(node1[1].depends_on[0].probes[0].host, "node1");
  EXPECT_EQ(node1[1].depends_on[0].probes[0].port, 9000u);

  std::vector<ServicePlan> node4 = Render(SeedNodePlan("node4"));
  ASSERT_EQ(node4.size(), 2u);
  EXPECT_EQ(node4[0].name, "datanode");
  EXPECT_FALSE(node4[0].restart.requires_downtime_flag);
  EXPECT_THAT(node4[0].init_steps, IsEmpty());
  ASSERT_EQ(node4[1].depends_on.size(), 1u);
  EXPECT_EQ(node4[1].depends_on[0].service, "jobtracker");
  EXPECT_EQ(node4[1].depends_on[0].probes[0].port, 9001u);
  // Daemons of one install share conf/ byte for byte.
  EXPECT_EQ(Files({node4[0]}), Files({node4[1]}));
}

TEST(HadoopDriverTest, HadoopEnvIsPatchedInPlace) {
  const std::string stock =
      "# Set Hadoop-specific environment variables here.\n"
      "# The java implementation to use.  Required.\n"
      "# export JAVA_HOME=/usr/lib/j2sdk1.5-sun\n"
      "\n"
      "# export HADOOP_HEAPSIZE=2000\n"
      "export HADOOP_OPTS=-server\n";
  const std::string patched = PatchHadoopEnv(stock, "/opt/java", 1000);
  EXPECT_EQ(patched,
            "# Set Hadoop-specific environment variables here.\n"
            "# The java implementation to use.  Required.\n"
            "export JAVA_HOME=/opt/java\n"
            "\n"
            "export HADOOP_HEAPSIZE=1000\n"
            "export HADOOP_OPTS=-server\n");
  EXPECT_EQ(PatchHadoopEnv(patched, "/opt/java", 1000), patched);
  EXPECT_EQ(PatchHadoopEnv("", "/j", 5), "export JAVA_HOME=/j\nexport HADOOP_HEAPSIZE=5\n");
}

// Hadoop sources hadoop-env.sh: a value must stay one word, not a command.
TEST(HadoopDriverTest, HadoopEnvQuotesJavaHome) {
  EXPECT_EQ(PatchHadoopEnv("", "/x$(id)", 5),
            "export JAVA_HOME='/x$(id)'\nexport HADOOP_HEAPSIZE=5\n");
  EXPECT_EQ(PatchHadoopEnv("", "/x\nid", 5),
            "export JAVA_HOME='/x\nid'\nexport HADOOP_HEAPSIZE=5\n");
  EXPECT_EQ(PatchHadoopEnv("", "/it's", 5),
            "export JAVA_HOME='/it'\\''s'\nexport HADOOP_HEAPSIZE=5\n");
}

TEST(HadoopDriverTest, GeneratedXmlEscapesValues) {
  EXPECT_THAT(HadoopConfigXml({{"a", "x<y&z"}}), HasSubstr("<value>x&lt;y&amp;z</value>"));
  EXPECT_THAT(HadoopConfigXml({{"a", "</value><name>b"}}),
              HasSubstr("<value>&lt;/value&gt;&lt;name&gt;b</value>"));
}

TEST(HadoopDriverTest, NodesWithoutHadoopRolesGetNothing) {
  v1::NodePlan plan;
  plan.set_node("x");
  EXPECT_TRUE(Render(plan).empty());
}

}  // namespace
}  // namespace bamctl
