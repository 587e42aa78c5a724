#include "roles/probe/probe_runner.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/loopback_listener.h"

namespace bamctl {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

// A one-thread server on 127.0.0.1 that answers each connection with
// handler(request) until stopped; the request is read until the client
// half-closes.
class FakeServer {
 public:
  explicit FakeServer(std::function<std::string(const std::string&)> handler)
      : handler_(std::move(handler)) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeServer() {
    shutdown(listener_.fd(), SHUT_RDWR);  // unblocks accept
    thread_.join();
  }
  uint32_t port() const { return listener_.port(); }

 private:
  void Serve() {
    while (true) {
      int c = accept(listener_.fd(), nullptr, nullptr);
      if (c < 0) return;
      std::string request;
      char buf[1024];
      ssize_t n;
      // HTTP clients do not half-close: stop at the blank line.
      while ((n = read(c, buf, sizeof(buf))) > 0) {
        request.append(buf, static_cast<size_t>(n));
        if (request.find("\r\n\r\n") != std::string::npos) break;
      }
      const std::string reply = handler_(request);
      EXPECT_EQ(write(c, reply.data(), reply.size()), static_cast<ssize_t>(reply.size()));
      close(c);
    }
  }

  std::function<std::string(const std::string&)> handler_;
  testing::LoopbackListener listener_;
  std::thread thread_;
};

Probe MakeProbe(Probe::Kind kind, uint32_t port, std::string path = "") {
  return {kind, "test", "127.0.0.1", port, std::move(path)};
}

uint32_t ClosedPort() {
  FakeServer s([](const std::string&) { return ""; });
  return s.port();  // closed when s goes away
}

TEST(ProbeRunnerTest, TcpAcceptingAndRefused) {
  FakeServer server([](const std::string&) { return ""; });
  ProbeResult up = RunProbe(MakeProbe(Probe::Kind::kTcp, server.port()), seconds(2));
  EXPECT_TRUE(up.healthy) << up.reason;
  ProbeResult down = RunProbe(MakeProbe(Probe::Kind::kTcp, ClosedPort()), seconds(2));
  EXPECT_FALSE(down.healthy);
  EXPECT_THAT(down.reason, HasSubstr("refused"));
}

TEST(ProbeRunnerTest, HttpStatusDecides) {
  FakeServer ok([](const std::string& req) {
    return req.starts_with("GET /carbon/ HTTP/1.0") ? "HTTP/1.1 302 Found\r\n\r\n"
                                                    : "HTTP/1.1 404 Not Found\r\n\r\n";
  });
  ProbeResult r = RunProbe(MakeProbe(Probe::Kind::kHttp, ok.port(), "/carbon/"), seconds(2));
  EXPECT_TRUE(r.healthy) << r.reason;
  EXPECT_EQ(r.reason, "HTTP 302 from /carbon/");

  FakeServer failing([](const std::string&) { return "HTTP/1.0 503 Unavailable\r\n\r\n"; });
  r = RunProbe(MakeProbe(Probe::Kind::kHttp, failing.port(), "/"), seconds(2));
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.reason, "HTTP 503 from /");

  FakeServer garbage([](const std::string&) { return "imok"; });
  r = RunProbe(MakeProbe(Probe::Kind::kHttp, garbage.port(), "/"), seconds(2));
  EXPECT_FALSE(r.healthy);
  EXPECT_THAT(r.reason, HasSubstr("did not answer HTTP"));
}

TEST(ProbeRunnerTest, ZooKeeperModes) {
  FakeServer follower([](const std::string& req) -> std::string {
    if (req == "ruok") return "imok";
    if (req == "srvr") {
      return "Zookeeper version: 3.8.0\nLatency min/avg/max: 0/0/0\nMode: follower\n";
    }
    return "";
  });
  ProbeResult r = RunProbe(MakeProbe(Probe::Kind::kZooKeeper, follower.port()), seconds(2));
  EXPECT_TRUE(r.healthy) << r.reason;
  EXPECT_EQ(r.mode, "follower");

  FakeServer no_quorum([](const std::string& req) -> std::string {
    if (req == "ruok") return "imok";
    return "This ZooKeeper instance is not currently serving requests\n";
  });
  r = RunProbe(MakeProbe(Probe::Kind::kZooKeeper, no_quorum.port()), seconds(2));
  EXPECT_FALSE(r.healthy);
  EXPECT_THAT(r.reason, HasSubstr("not serving"));

  FakeServer not_whitelisted([](const std::string&) { return ""; });
  r = RunProbe(MakeProbe(Probe::Kind::kZooKeeper, not_whitelisted.port()), seconds(2));
  EXPECT_FALSE(r.healthy);
  EXPECT_THAT(r.reason, HasSubstr("not whitelisted"));
}

// One HTTP exchange on [::1], the way probes reach an IPv6 node: the probe
// holds the bare host, the Host header brackets it. Skipped without IPv6.
TEST(ProbeRunnerTest, HttpOverIpv6) {
  const int fd = socket(AF_INET6, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(fd, 4) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    GTEST_SKIP() << "no IPv6 loopback";
  }
  const uint32_t port = ntohs(addr.sin6_port);
  std::string request;
  std::thread server([&] {
    const int c = accept(fd, nullptr, nullptr);
    if (c < 0) return;
    char buf[1024];
    ssize_t n;
    while ((n = read(c, buf, sizeof(buf))) > 0) {
      request.append(buf, static_cast<size_t>(n));
      if (request.find("\r\n\r\n") != std::string::npos) break;
    }
    const std::string reply = "HTTP/1.1 200 OK\r\n\r\n";
    EXPECT_EQ(write(c, reply.data(), reply.size()), static_cast<ssize_t>(reply.size()));
    close(c);
  });
  ProbeResult r = RunProbe({Probe::Kind::kHttp, "web", "::1", port, "/"}, seconds(2));
  server.join();
  close(fd);
  EXPECT_TRUE(r.healthy) << r.reason;
  EXPECT_THAT(request, HasSubstr(absl::StrCat("\r\nHost: [::1]:", port, "\r\n")));
}

TEST(ProbeRunnerTest, ModeParsing) {
  EXPECT_EQ(ZooKeeperModeOf("Zookeeper version: x\nMode: leader\nNode count: 4\n"), "leader");
  EXPECT_EQ(ZooKeeperModeOf("Mode: standalone"), "standalone");
  EXPECT_EQ(ZooKeeperModeOf("no mode here\n"), "");
}

}  // namespace
}  // namespace bamctl
