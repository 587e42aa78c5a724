#include "bamctl/render_output.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bamctl {
namespace {

using ::testing::HasSubstr;

TEST(RenderOutputTest, ProbeLinesBracketIpv6Hosts) {
  ServicePlan s;
  s.name = "cassandra";
  s.roles = {"cassandra"};
  s.probes.push_back({Probe::Kind::kTcp, "rpc", "fd00::2", 9160, ""});
  s.probes.push_back({Probe::Kind::kHttp, "web", "192.168.4.102", 50075, "/"});
  const std::string out = FormatRender({s}, {});
  EXPECT_THAT(out, HasSubstr("#   probe rpc: tcp [fd00::2]:9160\n"));
  EXPECT_THAT(out, HasSubstr("#   probe web: http 192.168.4.102:50075/\n"));
}

}  // namespace
}  // namespace bamctl
