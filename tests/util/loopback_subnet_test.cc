#include "tests/util/loopback_subnet.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace bamctl::testing {
namespace {

TEST(LoopbackSubnetTest, PidsMapOutsideOneTwentySevenZero) {
  for (int64_t pid : {int64_t{0}, int64_t{1}, int64_t{65279}, int64_t{65280}, int64_t{4194303}}) {
    const std::string base = LoopbackSubnetBaseForPid(pid);
    EXPECT_TRUE(absl::StartsWith(base, "127.")) << base;
    EXPECT_FALSE(absl::StartsWith(base, "127.0.")) << pid << " -> " << base;
  }
  EXPECT_EQ(LoopbackSubnetBaseForPid(0), "127.1.0");
  EXPECT_EQ(LoopbackSubnetBaseForPid(65279), "127.255.255");
  EXPECT_EQ(LoopbackSubnetBaseForPid(65280), "127.1.0");  // wraps
  EXPECT_EQ(LoopbackSubnetBaseForPid(4242, 1), LoopbackSubnetBaseForPid(4243));
}

TEST(LoopbackSubnetTest, NearbyPidsGetDistinctSubnets) {
  std::set<std::string> bases;
  for (int64_t pid = 30000; pid < 31000; ++pid) bases.insert(LoopbackSubnetBaseForPid(pid));
  EXPECT_EQ(bases.size(), 1000u);
}

TEST(LoopbackSubnetTest, AddressesInTheSubnet) {
  LoopbackSubnet subnet("127.12.34");
  EXPECT_EQ(subnet.Address(3), "127.12.34.3");
  EXPECT_EQ(subnet.ServerAddress(), "127.12.34.254");
}

// The process's subnet is held: another process binding its claim fails.
TEST(LoopbackSubnetTest, TheProcessSubnetIsHeld) {
  const LoopbackSubnet& subnet = ProcessLoopbackSubnet();
  EXPECT_EQ(&subnet, &ProcessLoopbackSubnet());  // computed once
  EXPECT_FALSE(absl::StartsWith(subnet.base(), "127.0."));
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(65535);
  ASSERT_EQ(inet_pton(AF_INET, subnet.ServerAddress().c_str(), &addr.sin_addr), 1);
  EXPECT_NE(bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);
}

}  // namespace
}  // namespace bamctl::testing
