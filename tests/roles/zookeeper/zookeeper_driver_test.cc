#include "roles/zookeeper/zookeeper_driver.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/seed_plans.h"

namespace bamctl {
namespace {

using ::bamctl::testing::Ipv6SeedNodePlan;
using ::bamctl::testing::SeedNodePlan;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

ServicePlan RenderOne(const v1::NodePlan& plan, const RenderContext& ctx = {}) {
  absl::StatusOr<std::vector<ServicePlan>> services = ZooKeeperDriver().Render(plan, ctx);
  EXPECT_TRUE(services.ok()) << services.status();
  EXPECT_EQ(services.ok() ? services->size() : 0, 1u);
  return services.ok() && !services->empty() ? services->front() : ServicePlan();
}

// The seed's zoo.cfg (Analyzer step 7) and myid (step 9), node by node.
TEST(ZooKeeperDriverTest, SeedZooCfgAndMyidPerNode) {
  for (int n = 3; n <= 5; ++n) {
    const std::string node = "node" + std::to_string(n);
    ServicePlan s = RenderOne(SeedNodePlan(node));
    ASSERT_EQ(s.files.size(), 2u);
    EXPECT_EQ(s.files[0].path, "/opt/zookeeper/conf/zoo.cfg");
    const std::string& cfg = s.files[0].content;
    for (const char* line :
         {"tickTime=2000\n", "dataDir=/opt/zookeeper/data\n", "clientPort=2181\n", "initLimit=5\n",
          "syncLimit=2\n", "server.3=node3:2888:3888\n", "server.4=node4:2888:3888\n",
          "server.5=node5:2888:3888\n"}) {
      EXPECT_THAT(cfg, HasSubstr(line)) << node;
    }
    EXPECT_THAT(cfg, HasSubstr("clientPortAddress=192.168.4.10" + std::to_string(n - 1) + "\n"));
    EXPECT_EQ(s.files[1].path, "/opt/zookeeper/data/myid");
    EXPECT_EQ(s.files[1].content, std::to_string(n) + "\n");
  }
}

// Validation refuses such a data_dir; the renderer must not trust that.
TEST(ZooKeeperDriverTest, ValuesCannotAddLinesToZooCfg) {
  v1::NodePlan plan = SeedNodePlan("node3");
  plan.mutable_zookeeper()->set_data_dir("/z\nserver.9=evil:2888:3888\n4lw.commands.whitelist=*");
  plan.mutable_zookeeper()->set_client_address("10.0.0.1\\");
  const std::string cfg = RenderOne(plan).files[0].content;
  EXPECT_THAT(cfg, HasSubstr("dataDir=/z\\nserver.9=evil:2888:3888\\n4lw.commands.whitelist=*\n"));
  EXPECT_THAT(cfg, HasSubstr("clientPortAddress=10.0.0.1\\\\\n"));
  EXPECT_THAT(cfg, Not(HasSubstr("\nserver.9=")));
  EXPECT_THAT(cfg, Not(HasSubstr("\n4lw.commands.whitelist=*")));
}

TEST(ZooKeeperDriverTest, WhatTheVersionNeeds) {
  // 3.3.6 (the seed's) knows neither setting.
  std::string cfg = RenderOne(SeedNodePlan("node3")).files[0].content;
  EXPECT_THAT(cfg, Not(HasSubstr("4lw.commands.whitelist")));
  EXPECT_THAT(cfg, Not(HasSubstr("admin.enableServer")));

  cfg = RenderOne(SeedNodePlan("node3", "sync_limit: 2", "sync_limit: 2\n  version: 3.4.14"))
            .files[0]
            .content;
  EXPECT_THAT(cfg, HasSubstr("4lw.commands.whitelist=ruok,srvr,stat,mntr,cons\n"));
  EXPECT_THAT(cfg, Not(HasSubstr("admin.enableServer")));

  cfg = RenderOne(SeedNodePlan("node3", "sync_limit: 2", "sync_limit: 2\n  version: 3.8.0"))
            .files[0]
            .content;
  EXPECT_THAT(cfg, HasSubstr("4lw.commands.whitelist=ruok,srvr,stat,mntr,cons\n"));
  EXPECT_THAT(cfg, HasSubstr("admin.enableServer=false\n"));
}

TEST(ZooKeeperDriverTest, ProcessProbeAndRestartRule) {
  ServicePlan s = RenderOne(SeedNodePlan("node4"));
  EXPECT_EQ(s.name, "zookeeper");
  EXPECT_THAT(s.roles, ElementsAre("zookeeper"));
  ASSERT_GE(s.process.argv.size(), 3u);
  EXPECT_EQ(s.process.argv.front(), "/opt/java/jdk1.6.0_29/bin/java");
  EXPECT_EQ(s.process.argv[s.process.argv.size() - 2],
            "org.apache.zookeeper.server.quorum.QuorumPeerMain");
  EXPECT_EQ(s.process.argv.back(), "/opt/zookeeper/conf/zoo.cfg");
  EXPECT_EQ(s.process.user, "zookeeper");
  ASSERT_EQ(s.probes.size(), 1u);
  EXPECT_EQ(s.probes[0].kind, Probe::Kind::kZooKeeper);
  EXPECT_EQ(s.probes[0].host, "192.168.4.103");
  EXPECT_EQ(s.probes[0].port, 2181u);
  EXPECT_EQ(s.restart.group, "zookeeper");
  EXPECT_EQ(s.restart.order, RestartSafety::Order::kFollowersBeforeLeader);
  EXPECT_EQ(s.restart.max_unavailable, 1);
}

TEST(ZooKeeperDriverTest, RootPrefixesEveryHostPath) {
  RenderContext ctx;
  ctx.root = "/run/n3";
  ServicePlan s = RenderOne(SeedNodePlan("node3"), ctx);
  EXPECT_EQ(s.files[0].path, "/run/n3/opt/zookeeper/conf/zoo.cfg");
  EXPECT_THAT(s.files[0].content, HasSubstr("dataDir=/run/n3/opt/zookeeper/data\n"));
  EXPECT_EQ(s.process.argv.front(), "/run/n3/opt/java/jdk1.6.0_29/bin/java");
  EXPECT_EQ(s.process.argv.back(), "/run/n3/opt/zookeeper/conf/zoo.cfg");
}

// Server lines bracket IPv6 hosts (3.4.9+ parse them); the client port
// binds the bare address, and the probe connects to it.
TEST(ZooKeeperDriverTest, Ipv6ServerLinesAreBracketed) {
  ServicePlan s = RenderOne(Ipv6SeedNodePlan("node4"));
  ASSERT_EQ(s.files.size(), 2u);
  EXPECT_EQ(s.files[0].content,
            "# Managed by bamctl (bam-agentd): rendered from the cluster spec.\n"
            "# Local edits are detected and replaced; change the spec instead.\n"
            "# ZooKeeper 3.4.14, server 4\n"
            "tickTime=2000\n"
            "initLimit=5\n"
            "syncLimit=2\n"
            "dataDir=/opt/zookeeper/data\n"
            "clientPort=2181\n"
            "clientPortAddress=fd00::3\n"
            "server.3=[fd00::2]:2888:3888\n"
            "server.4=[fd00::3]:2888:3888\n"
            "server.5=[fd00::4]:2888:3888\n"
            "4lw.commands.whitelist=ruok,srvr,stat,mntr,cons\n");
  ASSERT_EQ(s.probes.size(), 1u);
  EXPECT_EQ(s.probes[0].host, "fd00::3");
  EXPECT_EQ(s.probes[0].port, 2181u);
}

TEST(ZooKeeperDriverTest, Ipv6ServersOnAReleaseThatCannotReadThemAreRefused) {
  v1::NodePlan plan = Ipv6SeedNodePlan("node4");
  plan.mutable_zookeeper()->set_version("3.4.8");
  absl::StatusOr<std::vector<ServicePlan>> services = ZooKeeperDriver().Render(plan, {});
  ASSERT_FALSE(services.ok());
  EXPECT_EQ(services.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(services.status().message()),
              HasSubstr("server.3 is the IPv6 address fd00::2, which ZooKeeper 3.4.8 cannot read"));
}

TEST(ZooKeeperDriverTest, NodesWithoutTheRoleGetNothing) {
  absl::StatusOr<std::vector<ServicePlan>> services =
      ZooKeeperDriver().Render(SeedNodePlan("node1"), RenderContext());
  ASSERT_TRUE(services.ok());
  EXPECT_TRUE(services->empty());
}

}  // namespace
}  // namespace bamctl
