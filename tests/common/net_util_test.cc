#include "common/net_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/loopback_listener.h"

namespace bamctl {
namespace {

using Listener = testing::LoopbackListener;

TEST(NetUtilTest, SendsTheRequestAndReadsUntilClose) {
  Listener l;
  std::thread server([&] {
    int c = accept(l.fd(), nullptr, nullptr);
    char buf[16] = {};
    ssize_t n = read(c, buf, sizeof(buf) - 1);
    const std::string reply = std::string(buf, n > 0 ? n : 0) == "ruok" ? "imok" : "??";
    EXPECT_EQ(write(c, reply.data(), reply.size()), static_cast<ssize_t>(reply.size()));
    close(c);
  });
  absl::StatusOr<std::string> reply =
      TcpRequest("127.0.0.1", static_cast<int>(l.port()), "ruok", std::chrono::seconds(5));
  server.join();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, "imok");
}

TEST(NetUtilTest, ASilentPeerTimesOut) {
  Listener l;  // accepts into the backlog, never answers
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::string> reply =
      TcpRequest("127.0.0.1", static_cast<int>(l.port()), "srvr", std::chrono::milliseconds(200));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kDeadlineExceeded) << reply.status();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(NetUtilTest, RefusedAndBadAddresses) {
  int port;
  {
    Listener l;
    port = static_cast<int>(l.port());
  }  // closed: nothing listens there now
  absl::StatusOr<std::string> refused =
      TcpRequest("127.0.0.1", port, "ruok", std::chrono::seconds(2));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
  // Names are resolved; one that does not resolve says so.
  absl::StatusOr<std::string> unresolved =
      TcpRequest("no-such-host.invalid", 2181, "ruok", std::chrono::seconds(1));
  EXPECT_EQ(unresolved.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(unresolved.status().message()),
              ::testing::HasSubstr("resolve no-such-host.invalid"));
  // "localhost" resolves (from /etc/hosts) and is refused like 127.0.0.1.
  EXPECT_EQ(TcpRequest("localhost", port, "ruok", std::chrono::seconds(2)).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(SplitAddressListTest, StripsBlanksAndSkipsEmptyItems) {
  EXPECT_THAT(SplitAddressList("a:1, b:2 ,,c:3,"), ::testing::ElementsAre("a:1", "b:2", "c:3"));
  EXPECT_THAT(SplitAddressList("a:1"), ::testing::ElementsAre("a:1"));
  EXPECT_TRUE(SplitAddressList(" , ").empty());
}

TEST(IsLoopbackListenTest, OnlyLoopbackAddresses) {
  EXPECT_TRUE(IsLoopbackListen("127.0.0.1:7443"));
  EXPECT_TRUE(IsLoopbackListen("127.3.4.254:0"));
  EXPECT_TRUE(IsLoopbackListen("[::1]:7443"));
  EXPECT_TRUE(IsLoopbackListen("localhost:7443"));
  EXPECT_FALSE(IsLoopbackListen("0.0.0.0:7443"));
  EXPECT_FALSE(IsLoopbackListen("198.18.0.1:7443"));
  EXPECT_FALSE(IsLoopbackListen("[::]:7443"));
  EXPECT_FALSE(IsLoopbackListen("controller.example:7443"));
  EXPECT_FALSE(IsLoopbackListen("128.0.0.1:7443"));
}

TEST(IsWildcardHostTest, OnlyHostsThatBindEveryInterface) {
  EXPECT_TRUE(IsWildcardHost(""));
  EXPECT_TRUE(IsWildcardHost("0.0.0.0"));
  EXPECT_TRUE(IsWildcardHost("::"));
  EXPECT_TRUE(IsWildcardHost("[::]"));
  EXPECT_FALSE(IsWildcardHost("127.0.0.1"));
  EXPECT_FALSE(IsWildcardHost("node1"));
}

}  // namespace
}  // namespace bamctl
