#include "agentd/preflight/preflight.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/loopback_listener.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class CheckJavaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = testing::MakeTempDir("preflight_test");
    fs::create_directories(home_ / "bin");
    java_ = (home_ / "bin/java").string();
  }
  void TearDown() override { fs::remove_all(home_); }

  void MakeJava(mode_t mode) {
    std::ofstream(java_) << "#!/bin/sh\n";
    ASSERT_EQ(chmod(java_.c_str(), mode), 0);
  }

  fs::path home_;
  std::string java_;
};

TEST_F(CheckJavaTest, ExecutableJavaIsOk) {
  MakeJava(0755);
  v1::PreflightCheck check = CheckJava("zookeeper", home_.string());
  EXPECT_EQ(check.name(), "java");
  EXPECT_EQ(check.service(), "zookeeper");
  EXPECT_EQ(check.severity(), v1::SEVERITY_OK) << check.message();
  EXPECT_EQ(check.message(), absl::StrCat("java at ", java_));
}

TEST_F(CheckJavaTest, TrailingSlashInJavaHomeIsFine) {
  MakeJava(0755);
  v1::PreflightCheck check = CheckJava("zookeeper", home_.string() + "/");
  EXPECT_EQ(check.severity(), v1::SEVERITY_OK) << check.message();
  EXPECT_EQ(check.message(), absl::StrCat("java at ", java_));
}

TEST_F(CheckJavaTest, SymlinkToExecutableIsOk) {
  const std::string real = (home_ / "java-real").string();
  std::ofstream(real) << "#!/bin/sh\n";
  ASSERT_EQ(chmod(real.c_str(), 0755), 0);
  fs::create_symlink(real, java_);
  EXPECT_EQ(CheckJava("cassandra", home_.string()).severity(), v1::SEVERITY_OK);
}

TEST_F(CheckJavaTest, NotExecutableIsAnError) {
  MakeJava(0644);
  v1::PreflightCheck check = CheckJava("zookeeper", home_.string());
  EXPECT_EQ(check.severity(), v1::SEVERITY_ERROR);
  EXPECT_EQ(check.message(),
            absl::StrCat("no Java at ", java_,
                         " (not executable): set java_home in the spec to a JDK/JRE install"));
}

TEST_F(CheckJavaTest, DirectoryIsNotJava) {
  fs::create_directory(java_);
  v1::PreflightCheck check = CheckJava("zookeeper", home_.string());
  EXPECT_EQ(check.severity(), v1::SEVERITY_ERROR);
  EXPECT_THAT(check.message(), HasSubstr("not a regular file"));
}

TEST_F(CheckJavaTest, MissingIsAnErrorWithTheReason) {
  v1::PreflightCheck check = CheckJava("hadoop-namenode", (home_ / "nope").string());
  EXPECT_EQ(check.severity(), v1::SEVERITY_ERROR);
  EXPECT_EQ(check.service(), "hadoop-namenode");
  EXPECT_EQ(check.message(),
            absl::StrCat("no Java at ", (home_ / "nope/bin/java").string(),
                         " (No such file or directory): set java_home in the spec to a JDK/JRE "
                         "install"));
}

TEST_F(CheckJavaTest, EmptyJavaHomeSaysItIsNotSet) {
  v1::PreflightCheck check = CheckJava("bam", "");
  EXPECT_EQ(check.severity(), v1::SEVERITY_ERROR);
  EXPECT_THAT(check.message(), HasSubstr("java_home is not set for bam"));
}

// A port on 127.0.0.1 nothing listens on right now: bound by the kernel's
// choice, then released (never listened, so no TIME_WAIT either).
uint32_t UnusedLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST(CheckPortFreeTest, FreePortIsOk) {
  const uint32_t port = UnusedLoopbackPort();
  v1::PreflightCheck check = CheckPortFree("zookeeper", "127.0.0.1", port, false);
  EXPECT_EQ(check.name(), "port");
  EXPECT_EQ(check.service(), "zookeeper");
  EXPECT_EQ(check.severity(), v1::SEVERITY_OK) << check.message();
  EXPECT_EQ(check.message(), absl::StrCat("port ", port, " on 127.0.0.1 is free"));
}

TEST(CheckPortFreeTest, ListeningPortIsInUse) {
  testing::LoopbackListener listener;
  v1::PreflightCheck check = CheckPortFree("cassandra", "127.0.0.1", listener.port(), false);
  EXPECT_EQ(check.severity(), v1::SEVERITY_ERROR);
  EXPECT_EQ(check.message(),
            absl::StrCat("port ", listener.port(),
                         " on 127.0.0.1 is in use by another process (needed by cassandra)"));
}

TEST(CheckPortFreeTest, PortHeldByTheServiceItselfIsOk) {
  testing::LoopbackListener listener;
  v1::PreflightCheck check = CheckPortFree("cassandra", "127.0.0.1", listener.port(), true);
  EXPECT_EQ(check.severity(), v1::SEVERITY_OK);
  EXPECT_THAT(check.message(), HasSubstr("held by cassandra itself"));
}

TEST(CheckPortFreeTest, AddressNotOnThisHostIsAnError) {
  std::ifstream nonlocal("/proc/sys/net/ipv4/ip_nonlocal_bind");
  int allowed = 0;
  if (nonlocal >> allowed && allowed != 0) {
    GTEST_SKIP() << "net.ipv4.ip_nonlocal_bind is set: any address binds";
  }
  v1::PreflightCheck check = CheckPortFree("zookeeper", "192.0.2.1", 2181, false);
  EXPECT_EQ(check.severity(), v1::SEVERITY_ERROR);
  EXPECT_EQ(check.message(),
            "cannot bind 192.0.2.1:2181: Cannot assign requested address — is 192.0.2.1 this "
            "node's address?");
}

TEST(CheckPortFreeTest, NonNumericAddressOrBadPortIsAnError) {
  v1::PreflightCheck check = CheckPortFree("zookeeper", "node3", 2181, false);
  EXPECT_EQ(check.severity(), v1::SEVERITY_ERROR);
  EXPECT_THAT(check.message(), HasSubstr("\"node3\" is not a numeric IPv4 or IPv6 address"));
  EXPECT_EQ(CheckPortFree("zookeeper", "127.0.0.1", 0, false).severity(), v1::SEVERITY_ERROR);
  EXPECT_EQ(CheckPortFree("zookeeper", "127.0.0.1", 70000, false).severity(), v1::SEVERITY_ERROR);
}

TEST(CheckPortFreeTest, Ipv6Loopback) {
  v1::PreflightCheck check = CheckPortFree("zookeeper", "::1", UnusedLoopbackPort(), false);
  // Hosts without IPv6 on lo say so in the message; either way no crash and
  // a bracketed address form is accepted.
  if (check.severity() != v1::SEVERITY_OK) {
    EXPECT_THAT(check.message(), HasSubstr("[::1]:"));
  }
  EXPECT_EQ(CheckPortFree("zookeeper", "[::1]", 1, true).severity(), v1::SEVERITY_OK);
}

TEST(CheckClockOffsetTest, NotMeasuredIsOk) {
  v1::PreflightCheck check = CheckClockOffset(std::nullopt);
  EXPECT_EQ(check.name(), "clock");
  EXPECT_EQ(check.service(), "");
  EXPECT_EQ(check.severity(), v1::SEVERITY_OK);
  EXPECT_THAT(check.message(), HasSubstr("not measured yet"));
}

TEST(CheckClockOffsetTest, WithinTheLimitIsOk) {
  EXPECT_EQ(CheckClockOffset(0).severity(), v1::SEVERITY_OK);
  EXPECT_EQ(CheckClockOffset(500).severity(), v1::SEVERITY_OK);
  EXPECT_EQ(CheckClockOffset(-500).severity(), v1::SEVERITY_OK);
  EXPECT_EQ(CheckClockOffset(-120).message(),
            "clock is 120 ms behind the controller's (within 500 ms)");
}

TEST(CheckClockOffsetTest, BeyondTheLimitIsAWarning) {
  v1::PreflightCheck ahead = CheckClockOffset(1200);
  EXPECT_EQ(ahead.severity(), v1::SEVERITY_WARNING);
  EXPECT_EQ(ahead.message(),
            "clock is 1200 ms ahead of the controller's (more than 500 ms); sync time on all "
            "nodes (NTP)");
  EXPECT_EQ(CheckClockOffset(-501).severity(), v1::SEVERITY_WARNING);
  EXPECT_EQ(CheckClockOffset(150, 100).severity(), v1::SEVERITY_WARNING);
  EXPECT_EQ(CheckClockOffset(std::numeric_limits<int64_t>::min()).severity(), v1::SEVERITY_WARNING);
}

constexpr absl::string_view kMemInfo =
    "MemTotal:       16318128 kB\n"
    "MemFree:         1204560 kB\n"
    "MemAvailable:    9811524 kB\n"
    "Buffers:          512344 kB\n"
    "Cached:          7812312 kB\n"
    "HugePages_Total:       0\n";

TEST(ParseMemInfoTest, ReadsTotalAndAvailable) {
  absl::StatusOr<MemInfo> mem = ParseMemInfo(kMemInfo);
  ASSERT_TRUE(mem.ok()) << mem.status();
  EXPECT_EQ(mem->total_kb, 16318128u);
  EXPECT_EQ(mem->available_kb, 9811524u);
}

TEST(ParseMemInfoTest, WithoutMemAvailableEstimatesFromFreeBuffersCached) {
  absl::StatusOr<MemInfo> mem =
      ParseMemInfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\nCached: 300 kB\n");
  ASSERT_TRUE(mem.ok()) << mem.status();
  EXPECT_EQ(mem->available_kb, 420u);
}

TEST(ParseMemInfoTest, MissingMemTotalIsAnError) {
  absl::StatusOr<MemInfo> mem = ParseMemInfo("MemFree: 100 kB\nMemAvailable: 200 kB\n");
  ASSERT_FALSE(mem.ok());
  EXPECT_THAT(mem.status().message(), HasSubstr("MemTotal"));
}

TEST(ParseMemInfoTest, UnreadableValueNamesTheLine) {
  absl::StatusOr<MemInfo> mem = ParseMemInfo("MemFree: 1 kB\nMemTotal: lots kB\n");
  ASSERT_FALSE(mem.ok());
  EXPECT_THAT(mem.status().message(), HasSubstr("line 2"));
}

TEST(ReadMemInfoTest, ReadsThisHostsMeminfo) {
  absl::StatusOr<MemInfo> mem = ReadMemInfo();
  ASSERT_TRUE(mem.ok()) << mem.status();
  EXPECT_GT(mem->total_kb, 0u);
  EXPECT_LE(mem->available_kb, mem->total_kb);
}

TEST(ReadMemInfoTest, MissingFileNamesThePath) {
  absl::StatusOr<MemInfo> mem = ReadMemInfo("/nonexistent/meminfo");
  ASSERT_FALSE(mem.ok());
  EXPECT_THAT(mem.status().message(), HasSubstr("/nonexistent/meminfo"));
}

TEST(CheckMemoryTest, Thresholds) {
  const MemInfo mem{.total_kb = uint64_t{8} * 1024 * 1024,
                    .available_kb = uint64_t{4} * 1024 * 1024};
  v1::PreflightCheck fits = CheckMemory(3072, mem);
  EXPECT_EQ(fits.name(), "memory");
  EXPECT_EQ(fits.service(), "");
  EXPECT_EQ(fits.severity(), v1::SEVERITY_OK);
  EXPECT_EQ(fits.message(), "3072 MiB of heaps, 4096 MiB available");

  EXPECT_EQ(CheckMemory(4096, mem).severity(), v1::SEVERITY_OK);

  v1::PreflightCheck over_available = CheckMemory(6144, mem);
  EXPECT_EQ(over_available.severity(), v1::SEVERITY_WARNING);
  EXPECT_EQ(over_available.message(),
            "configured heaps total 6144 MiB but only 4096 MiB of the host's memory is available");

  v1::PreflightCheck over_total = CheckMemory(10240, mem);
  EXPECT_EQ(over_total.severity(), v1::SEVERITY_WARNING);
  EXPECT_EQ(over_total.message(),
            "configured heaps total 10240 MiB but the host has only 8192 MiB of memory");

  EXPECT_EQ(CheckMemory(std::numeric_limits<uint64_t>::max(), mem).severity(),
            v1::SEVERITY_WARNING);
}

}  // namespace
}  // namespace bamctl
