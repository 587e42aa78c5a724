#include "roles/cassandra/cassandra_driver.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "roles/cassandra/cassandra_env.h"
#include "roles/cassandra/cassandra_yaml.h"
#include "roles/driver/file_sources.h"
#include "roles/spec/spec_loader.h"
#include "roles/topology/compiler.h"
#include "tests/util/seed_plans.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::bamctl::testing::Ipv6SeedNodePlan;
using ::bamctl::testing::ReadSourceFile;
using ::bamctl::testing::ReplaceOnce;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class CassandraDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The node's filesystem lives under a temp root holding a copy of the
    // stock file (the fixture itself is read-only).
    root_ = testing::MakeTempDir("cassandra_driver_test").string();
    stock_ = ReadSourceFile("roles/stock/wso2-bam/cassandra.yaml");
    WriteYaml(stock_);
    stock_env_ = ReadSourceFile("roles/stock/apache-cassandra/cassandra-env.sh");
    std::ofstream(EnvPath(), std::ios::binary) << stock_env_;
    ctx_.secrets = &secrets_;
    ctx_.base = &disk_;
    ctx_.root = root_;

    LoadedSpec loaded = LoadSpec(ReadSourceFile("examples/seed-cluster.yaml"));
    ASSERT_TRUE(loaded.ok());
    absl::StatusOr<v1::ClusterPlan> plan = CompileTopology(loaded.spec);
    ASSERT_TRUE(plan.ok()) << plan.status();
    plan_ = *plan;
    ASSERT_EQ(plan_.nodes_size(), 5);
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string YamlPath() const { return root_ + "/opt/cassandra/conf/cassandra.yaml"; }
  std::string EnvPath() const { return root_ + "/opt/cassandra/conf/cassandra-env.sh"; }

  void WriteYaml(const std::string& text) const {
    fs::create_directories(fs::path(YamlPath()).parent_path());
    std::ofstream(YamlPath(), std::ios::binary) << text;
  }

  ServicePlan RenderOne(const v1::NodePlan& node) const {
    absl::StatusOr<std::vector<ServicePlan>> services = CassandraDriver().Render(node, ctx_);
    EXPECT_TRUE(services.ok()) << services.status();
    if (!services.ok() || services->size() != 1) {
      ADD_FAILURE() << "expected one service";
      return ServicePlan();
    }
    return (*services)[0];
  }

  std::string root_;
  std::string stock_;
  std::string stock_env_;
  DirectoryFileSource disk_{""};
  RedactingSecretSource secrets_;
  RenderContext ctx_;
  v1::ClusterPlan plan_;
};

TEST_F(CassandraDriverTest, SeedNodeService) {
  const v1::NodePlan& node4 = plan_.nodes(3);
  ServicePlan s = RenderOne(node4);
  EXPECT_EQ(s.name, "cassandra");
  EXPECT_THAT(s.roles, ElementsAre("cassandra"));
  EXPECT_THAT(s.depends_on, IsEmpty());
  EXPECT_THAT(s.remove_paths, IsEmpty());

  ASSERT_EQ(s.files.size(), 2u);
  EXPECT_EQ(s.files[0].path, YamlPath());
  EXPECT_EQ(s.files[0].mode, 0644u);
  EXPECT_FALSE(s.files[0].secret);
  // The heap and the JMX port where bin/cassandra reads them.
  EXPECT_EQ(s.files[1].path, EnvPath());
  EXPECT_EQ(s.files[1].owner, "cassandra");
  EXPECT_EQ(s.files[1].mode, 0644u);
  absl::StatusOr<std::string> env = PatchCassandraEnv(EnvPath(), stock_env_, 2048, 7199);
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(s.files[1].content, *env);
  EXPECT_THAT(s.files[1].content, HasSubstr("\nMAX_HEAP_SIZE=\"2048M\"\nHEAP_NEWSIZE=\"512M\"\n"));
  EXPECT_THAT(s.files[1].content, HasSubstr("\nJMX_PORT=\"7199\"\n"));
  // The directories Cassandra writes are host paths: under the root.
  v1::CassandraPlan rooted = node4.cassandra();
  rooted.set_data_dir(root_ + rooted.data_dir());
  rooted.set_commitlog_dir(root_ + rooted.commitlog_dir());
  rooted.set_saved_caches_dir(root_ + rooted.saved_caches_dir());
  absl::StatusOr<std::string> expected = PatchCassandraYaml(YamlPath(), stock_, rooted);
  ASSERT_TRUE(expected.ok()) << expected.status();
  EXPECT_EQ(s.files[0].content, *expected);
  EXPECT_THAT(s.files[0].content, HasSubstr("\nlisten_address: node4\n"));

  EXPECT_TRUE(s.init_steps.empty());
  ASSERT_EQ(s.directories.size(), 3u);
  EXPECT_EQ(s.directories[0].path, root_ + "/var/lib/cassandra/data");
  EXPECT_EQ(s.directories[1].path, root_ + "/var/lib/cassandra/commitlog");
  EXPECT_EQ(s.directories[2].path, root_ + "/var/lib/cassandra/saved_caches");
  for (const Directory& d : s.directories) {
    EXPECT_EQ(d.owner, "cassandra");
    EXPECT_EQ(d.mode, 0750u);
  }

  const ProcessSpec& p = s.process;
  EXPECT_THAT(p.argv, ElementsAre(root_ + "/opt/cassandra/bin/cassandra", "-f"));
  // Not the heap: cassandra-env.sh sets it, and would override it.
  EXPECT_EQ(p.env, (std::map<std::string, std::string>{
                       {"JAVA_HOME", root_ + "/opt/java/jdk1.6.0_29"},
                   }));
  EXPECT_EQ(p.user, "cassandra");
  EXPECT_EQ(p.working_dir, root_ + "/opt/cassandra");
  EXPECT_EQ(p.nofile_limit, 100000u);
  EXPECT_THAT(p.stop_argv, IsEmpty());
  EXPECT_EQ(p.stop_timeout_seconds, 60);

  ASSERT_EQ(s.probes.size(), 2u);
  EXPECT_EQ(s.probes[0].kind, Probe::Kind::kTcp);
  EXPECT_EQ(s.probes[0].name, "rpc");
  EXPECT_EQ(s.probes[0].host, "192.168.4.103");
  EXPECT_EQ(s.probes[0].port, 9160u);
  EXPECT_EQ(s.probes[1].kind, Probe::Kind::kTcp);
  EXPECT_EQ(s.probes[1].name, "storage");
  EXPECT_EQ(s.probes[1].host, "192.168.4.103");
  EXPECT_EQ(s.probes[1].port, 7000u);

  const RestartSafety& r = s.restart;
  EXPECT_EQ(r.group, "cassandra");
  EXPECT_EQ(r.order, RestartSafety::Order::kOneAtATimeDrainFirst);
  EXPECT_EQ(r.max_unavailable, 1);
  EXPECT_FALSE(r.requires_downtime_flag);
  EXPECT_THAT(r.pre_stop, ::testing::SizeIs(1));
  EXPECT_THAT(r.pre_stop[0], ElementsAre(root_ + "/opt/cassandra/bin/nodetool", "-h",
                                         "192.168.4.103", "-p", "7199", "drain"));
  // Back when the others' gossip says so, asked through the same JMX port.
  EXPECT_THAT(r.peer_view, ElementsAre(root_ + "/opt/cassandra/bin/nodetool", "-h", "192.168.4.103",
                                       "-p", "7199", "status"));
}

// cassandra.yaml takes bare IPv6 hosts (quoted for YAML); the JVM drops
// cassandra-env.sh's IPv4-only stack; nodetool gets the bracketed host that
// Cassandra 1.x pastes into its JMX URL; probes connect to the bare one.
TEST_F(CassandraDriverTest, Ipv6Node) {
  ServicePlan s = RenderOne(Ipv6SeedNodePlan("node4"));
  ASSERT_EQ(s.files.size(), 2u);
  const std::string& got = s.files[0].content;
  EXPECT_THAT(got, HasSubstr("\n          - seeds: \"fd00::2\"\n"));
  EXPECT_THAT(got, HasSubstr("\nlisten_address: 'fd00::3'\n"));
  EXPECT_THAT(got, HasSubstr("\nrpc_address: 'fd00::3'\n"));
  // The same file as an IPv4 render but for these three lines.
  std::string ipv4 = RenderOne(plan_.nodes(3)).files[0].content;
  ipv4 = ReplaceOnce(ipv4, "          - seeds: \"node3\"\n", "          - seeds: \"fd00::2\"\n");
  ipv4 = ReplaceOnce(ipv4, "\nlisten_address: node4\n", "\nlisten_address: 'fd00::3'\n");
  ipv4 = ReplaceOnce(ipv4, "\nrpc_address: node4\n", "\nrpc_address: 'fd00::3'\n");
  EXPECT_EQ(got, ipv4);

  EXPECT_THAT(s.process.argv, ElementsAre(root_ + "/opt/cassandra/bin/cassandra", "-f",
                                          "-Djava.net.preferIPv4Stack=false"));
  EXPECT_THAT(s.restart.pre_stop[0], ElementsAre(root_ + "/opt/cassandra/bin/nodetool", "-h",
                                                 "[fd00::3]", "-p", "7199", "drain"));
  ASSERT_EQ(s.probes.size(), 2u);
  EXPECT_EQ(s.probes[0].host, "fd00::3");
  EXPECT_EQ(s.probes[0].port, 9160u);
  EXPECT_EQ(s.probes[1].host, "fd00::3");
  EXPECT_EQ(s.probes[1].port, 7000u);
}

TEST_F(CassandraDriverTest, HeapAndJmxPortFollowThePlanIntoCassandraEnv) {
  v1::NodePlan node = plan_.nodes(2);
  node.mutable_cassandra()->set_heap_mb(4096);
  node.mutable_cassandra()->set_jmx_port(7299);
  ServicePlan s = RenderOne(node);
  ASSERT_EQ(s.files.size(), 2u);
  EXPECT_THAT(s.files[1].content, HasSubstr("\nMAX_HEAP_SIZE=\"4096M\"\nHEAP_NEWSIZE=\"1024M\"\n"));
  EXPECT_THAT(s.files[1].content, HasSubstr("\nJMX_PORT=\"7299\"\n"));
  // nodetool drain talks to the port the file gives Cassandra.
  EXPECT_THAT(s.restart.pre_stop[0], ElementsAre(root_ + "/opt/cassandra/bin/nodetool", "-h",
                                                 "192.168.4.102", "-p", "7299", "drain"));
  EXPECT_EQ(s.restart.peer_view[4], "7299");

  node.mutable_cassandra()->set_heap_mb(2);
  absl::StatusOr<std::vector<ServicePlan>> bad = CassandraDriver().Render(node, ctx_);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(CassandraDriverTest, NodesWithoutCassandraGetNoService) {
  for (int i : {0, 1}) {
    absl::StatusOr<std::vector<ServicePlan>> services =
        CassandraDriver().Render(plan_.nodes(i), ctx_);
    ASSERT_TRUE(services.ok()) << services.status();
    EXPECT_THAT(*services, IsEmpty());
  }
}

TEST_F(CassandraDriverTest, PatchesTheInstalledFileNotTheStockOne) {
  WriteYaml(absl::StrCat(stock_, "# site note\n"));
  ServicePlan s = RenderOne(plan_.nodes(4));
  ASSERT_EQ(s.files.size(), 2u);
  EXPECT_THAT(s.files[0].content, ::testing::EndsWith("\n# site note\n"));
  EXPECT_THAT(s.files[0].content, HasSubstr("\nlisten_address: node5\n"));
}

TEST_F(CassandraDriverTest, RenderingIsDeterministicAndIdempotent) {
  ServicePlan first = RenderOne(plan_.nodes(3));
  ASSERT_EQ(first.files.size(), 2u);
  EXPECT_EQ(RenderOne(plan_.nodes(3)).files[0].content, first.files[0].content);
  // The agent writes the file; rendering against it changes nothing.
  WriteYaml(first.files[0].content);
  EXPECT_EQ(RenderOne(plan_.nodes(3)).files[0].content, first.files[0].content);
}

TEST_F(CassandraDriverTest, MissingFileIsNotFoundNamingNodeAndPath) {
  fs::remove(YamlPath());
  absl::StatusOr<std::vector<ServicePlan>> services =
      CassandraDriver().Render(plan_.nodes(3), ctx_);
  ASSERT_FALSE(services.ok());
  EXPECT_EQ(services.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(services.status().message()), HasSubstr("node4"));
  EXPECT_THAT(std::string(services.status().message()), HasSubstr(YamlPath()));
}

TEST_F(CassandraDriverTest, FallsBackToTheStockCopy) {
  RenderContext ctx;
  ctx.secrets = &secrets_;
  ctx.fall_back_to_stock = true;
  absl::StatusOr<std::vector<ServicePlan>> services = CassandraDriver().Render(plan_.nodes(2), ctx);
  ASSERT_TRUE(services.ok()) << services.status();
  ASSERT_EQ(services->size(), 1u);
  const ConfigFile& file = (*services)[0].files[0];
  EXPECT_EQ(file.path, "/opt/cassandra/conf/cassandra.yaml");
  absl::StatusOr<std::string> expected =
      PatchCassandraYaml(file.path, stock_, plan_.nodes(2).cassandra());
  ASSERT_TRUE(expected.ok()) << expected.status();
  EXPECT_EQ(file.content, *expected);
}

TEST_F(CassandraDriverTest, PatchErrorsNameNodeFileAndLine) {
  WriteYaml(testing::ReplaceOnce(stock_, "          - seeds: \"127.0.0.1\"\n", ""));
  absl::StatusOr<std::vector<ServicePlan>> services =
      CassandraDriver().Render(plan_.nodes(3), ctx_);
  ASSERT_FALSE(services.ok());
  EXPECT_EQ(services.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(services.status().message()), HasSubstr("node4"));
  EXPECT_THAT(std::string(services.status().message()),
              HasSubstr(absl::StrCat(YamlPath(), ":230: ")));
}

TEST_F(CassandraDriverTest, AMissingCassandraEnvIsNamed) {
  fs::remove(EnvPath());
  absl::StatusOr<std::vector<ServicePlan>> services =
      CassandraDriver().Render(plan_.nodes(3), ctx_);
  ASSERT_FALSE(services.ok());
  EXPECT_EQ(services.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(services.status().message()),
              HasSubstr(EnvPath() + " does not exist; it ships with the product"));
}

}  // namespace
}  // namespace bamctl
