#include "roles/driver/endpoint.h"

#include "gtest/gtest.h"

namespace bamctl {
namespace {

TEST(EndpointTest, OnlyIpv6LiteralsAreIpv6) {
  EXPECT_TRUE(IsIpv6Literal("fd00::2"));
  EXPECT_TRUE(IsIpv6Literal("::1"));
  EXPECT_TRUE(IsIpv6Literal("::ffff:192.168.4.100"));
  EXPECT_FALSE(IsIpv6Literal("192.168.4.100"));
  EXPECT_FALSE(IsIpv6Literal("node3"));
  EXPECT_FALSE(IsIpv6Literal("mysql.bam.internal"));
}

TEST(EndpointTest, HostPortBracketsIpv6Only) {
  EXPECT_EQ(HostPort("node3", 9160), "node3:9160");
  EXPECT_EQ(HostPort("192.168.4.102", 9160), "192.168.4.102:9160");
  EXPECT_EQ(HostPort("fd00::2", 9160), "[fd00::2]:9160");
  EXPECT_EQ(HostPort(MakeEndpoint("fd00::2", 2181)), "[fd00::2]:2181");
  EXPECT_EQ(BracketedHost("fd00::2"), "[fd00::2]");
  EXPECT_EQ(BracketedHost("node3"), "node3");
}

TEST(EndpointTest, UrlsBracketIpv6Hosts) {
  EXPECT_EQ(Url("hdfs", MakeEndpoint("node1", 9000)), "hdfs://node1:9000");
  EXPECT_EQ(Url("hdfs", MakeEndpoint("fd00::1", 9000)), "hdfs://[fd00::1]:9000");
  EXPECT_EQ(Url("jdbc:mysql", MakeEndpoint("fd00::1", 3306), "/regdb"),
            "jdbc:mysql://[fd00::1]:3306/regdb");
  EXPECT_EQ(Url("jdbc:mysql", MakeEndpoint("mysql.bam.internal", 3306), "/bamdb"),
            "jdbc:mysql://mysql.bam.internal:3306/bamdb");
}

TEST(EndpointTest, EndpointsKeepTheHostBare) {
  v1::Endpoint e = MakeEndpoint("fd00::2", 9160);
  EXPECT_EQ(e.host(), "fd00::2");  // what a probe connects to
  EXPECT_EQ(e.port(), 9160u);
}

}  // namespace
}  // namespace bamctl
