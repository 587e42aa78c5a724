#include "roles/render/node_renderer.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "roles/driver/file_sources.h"
#include "tests/util/seed_plans.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::bamctl::testing::Ipv6SeedNodePlan;
using ::bamctl::testing::SeedNodePlan;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

RenderContext StockContext(const SecretSource* secrets) {
  RenderContext ctx;
  ctx.secrets = secrets;
  ctx.fall_back_to_stock = true;
  return ctx;
}

TEST(NodeRendererTest, ServicesOfEachSeedNodeInOrder) {
  RedactingSecretSource secrets;
  auto names = [&](const char* node) {
    absl::StatusOr<std::vector<ServicePlan>> services =
        RenderNode(SeedNodePlan(node), StockContext(&secrets));
    EXPECT_TRUE(services.ok()) << services.status();
    std::vector<std::string> out;
    if (services.ok()) {
      for (const ServicePlan& s : *services) out.push_back(s.name);
    }
    return out;
  };
  EXPECT_THAT(names("node1"), ElementsAre("namenode", "jobtracker", "bam"));
  EXPECT_THAT(names("node2"), ElementsAre("secondarynamenode", "bam"));
  EXPECT_THAT(names("node3"), ElementsAre("zookeeper", "cassandra", "datanode", "tasktracker"));
}

// What the controller plans with (DescribeNode) is what the agent runs
// (RenderNode): the same services in the same order, with the same probes,
// restart rules and dependencies.
TEST(NodeRendererTest, DescribeNodeAgreesWithRenderNodeOnEverySeedNode) {
  RedactingSecretSource secrets;
  for (const char* root : {"", "/run/n"}) {
    RenderContext ctx = StockContext(&secrets);
    ctx.root = root;
    for (const char* node : {"node1", "node2", "node3", "node4", "node5"}) {
      for (const v1::NodePlan& plan : {SeedNodePlan(node), Ipv6SeedNodePlan(node)}) {
        absl::StatusOr<std::vector<ServiceDescription>> described = DescribeNode(plan, root);
        ASSERT_TRUE(described.ok()) << described.status();
        absl::StatusOr<std::vector<ServicePlan>> rendered = RenderNode(plan, ctx);
        ASSERT_TRUE(rendered.ok()) << rendered.status();
        ASSERT_EQ(described->size(), rendered->size()) << node;
        ASSERT_FALSE(described->empty()) << node;
        for (size_t i = 0; i < described->size(); ++i) {
          const ServiceDescription& d = (*described)[i];
          const ServiceDescription& r = (*rendered)[i];
          EXPECT_EQ(d.name, r.name) << node;
          EXPECT_EQ(d.roles, r.roles) << node << " " << d.name;
          EXPECT_EQ(d.probes, r.probes) << node << " " << d.name;
          EXPECT_EQ(d.restart, r.restart) << node << " " << d.name;
          EXPECT_EQ(d.depends_on, r.depends_on) << node << " " << d.name;
          EXPECT_EQ(d, r) << node << " " << d.name;
        }
      }
    }
  }
}

// The controller describes without a host: no file, no secret is read.
TEST(NodeRendererTest, DescribeNodeReadsNothing) {
  for (const char* node : {"node1", "node3"}) {
    absl::StatusOr<std::vector<ServiceDescription>> described = DescribeNode(SeedNodePlan(node));
    ASSERT_TRUE(described.ok()) << described.status();
  }
  // RenderNode without a base or a stock fallback cannot find cassandra.yaml;
  // DescribeNode does not look for it.
  RedactingSecretSource secrets;
  RenderContext bare;
  bare.secrets = &secrets;
  EXPECT_FALSE(RenderNode(SeedNodePlan("node3"), bare).ok());
  absl::StatusOr<std::vector<ServiceDescription>> described = DescribeNode(SeedNodePlan("node3"));
  ASSERT_TRUE(described.ok()) << described.status();
  std::vector<std::string> names;
  for (const ServiceDescription& d : *described) names.push_back(d.name);
  EXPECT_THAT(names, ElementsAre("zookeeper", "cassandra", "datanode", "tasktracker"));
}

TEST(NodeRendererTest, DescribeNodeErrorsNameTheNode) {
  v1::NodePlan plan = SeedNodePlan("node3");
  plan.mutable_cassandra()->set_home("relative");
  absl::StatusOr<std::vector<ServiceDescription>> described = DescribeNode(plan);
  ASSERT_FALSE(described.ok());
  EXPECT_THAT(std::string(described.status().message()), HasSubstr("node node3"));
  EXPECT_THAT(std::string(described.status().message()), HasSubstr("cassandra.home"));
}

TEST(NodeRendererTest, NodeFilesListsSharedFilesOnce) {
  RedactingSecretSource secrets;
  absl::StatusOr<std::vector<ServicePlan>> services =
      RenderNode(SeedNodePlan("node3"), StockContext(&secrets));
  ASSERT_TRUE(services.ok()) << services.status();
  absl::StatusOr<std::vector<ConfigFile>> files = NodeFiles(*services);
  ASSERT_TRUE(files.ok()) << files.status();
  int core_site = 0;
  for (const ConfigFile& f : *files) core_site += f.path.ends_with("/core-site.xml") ? 1 : 0;
  EXPECT_EQ(core_site, 1);
  EXPECT_TRUE(
      std::is_sorted(files->begin(), files->end(),
                     [](const ConfigFile& a, const ConfigFile& b) { return a.path < b.path; }));
}

TEST(NodeRendererTest, ConflictingContentForOnePathIsADriverBug) {
  ServicePlan a;
  a.name = "a";
  a.files.push_back({"/x", "one", 0644, "", false});
  ServicePlan b = a;
  b.name = "b";
  b.files[0].content = "two";
  absl::StatusOr<std::vector<ConfigFile>> files = NodeFiles({a, b});
  EXPECT_EQ(files.status().code(), absl::StatusCode::kInternal);
}

TEST(NodeRendererTest, MissingShippedFileNamesItWithoutStockFallback) {
  RedactingSecretSource secrets;
  RenderContext ctx;
  ctx.secrets = &secrets;
  absl::StatusOr<std::vector<ServicePlan>> services = RenderNode(SeedNodePlan("node3"), ctx);
  ASSERT_FALSE(services.ok());
  EXPECT_THAT(std::string(services.status().message()), HasSubstr("node node3"));
  EXPECT_THAT(std::string(services.status().message()), HasSubstr("cassandra.yaml"));
}

// The agent's render: secrets read from their files land only in files
// marked secret, which are written 0600.
TEST(NodeRendererTest, SecretsOnlyInSecretFiles) {
  const fs::path dir = testing::MakeTempDir("render_secret");
  const std::string secret = "Zq9-agent-secret";
  fs::create_directories(dir / "etc/bamctl/secrets");
  std::ofstream(dir / "etc/bamctl/secrets/regdb-password") << secret << "\n";
  std::ofstream(dir / "etc/bamctl/secrets/bamdb-password") << secret << "\n";
  FileSecretSource secrets(dir.string());
  for (const char* node : {"node1", "node2"}) {
    absl::StatusOr<std::vector<ServicePlan>> services =
        RenderNode(SeedNodePlan(node), StockContext(&secrets));
    ASSERT_TRUE(services.ok()) << services.status();
    absl::StatusOr<std::vector<ConfigFile>> files = NodeFiles(*services);
    ASSERT_TRUE(files.ok());
    int with_secret = 0;
    for (const ConfigFile& f : *files) {
      const bool holds = f.content.find(secret) != std::string::npos;
      with_secret += holds ? 1 : 0;
      EXPECT_EQ(holds, f.secret) << f.path;
      if (f.secret) {
        EXPECT_EQ(f.mode, 0600u) << f.path;
      }
    }
    EXPECT_EQ(with_secret, 1) << node;  // master-datasources.xml
  }
  fs::remove_all(dir);
}

TEST(NodeRendererTest, UnreadableSecretFailsNamingTheFileNotTheSecret) {
  FileSecretSource secrets("/nonexistent-root");
  absl::StatusOr<std::vector<ServicePlan>> services =
      RenderNode(SeedNodePlan("node1"), StockContext(&secrets));
  ASSERT_FALSE(services.ok());
  EXPECT_THAT(std::string(services.status().message()),
              HasSubstr("/etc/bamctl/secrets/regdb-password"));
}

}  // namespace
}  // namespace bamctl
