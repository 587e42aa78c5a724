#include "tests/util/loopback_subnet.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "absl/strings/str_cat.h"

namespace bamctl::testing {
namespace {

constexpr int kFirstSubnet = 256;      // 127.1.0
constexpr int kSubnets = 65536 - 256;  // up to 127.255.255
constexpr int kSubnetsTried = 256;     // before settling for the pid's own
constexpr uint16_t kClaimPort = 65535;

enum class Claim { kHeld, kTaken, kFailed };

// Binds <base>.254:65535 and keeps the socket open for the life of the
// process (close-on-exec, so children do not inherit the claim).
Claim ClaimSubnet(const LoopbackSubnet& subnet) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Claim::kFailed;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(kClaimPort);
  if (inet_pton(AF_INET, subnet.ServerAddress().c_str(), &addr.sin_addr) != 1) {
    close(fd);
    return Claim::kFailed;
  }
  // No SO_REUSEADDR and listening: any other bind of this address and port
  // fails while we hold it.
  if (bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0 && listen(fd, 1) == 0) {
    return Claim::kHeld;  // fd stays open until the process exits
  }
  const int error = errno;
  close(fd);
  return error == EADDRINUSE ? Claim::kTaken : Claim::kFailed;
}

LoopbackSubnet* FindProcessSubnet() {
  const int64_t pid = getpid();
  for (int skip = 0; skip < kSubnetsTried; ++skip) {
    auto subnet = std::make_unique<LoopbackSubnet>(LoopbackSubnetBaseForPid(pid, skip));
    switch (ClaimSubnet(*subnet)) {
      case Claim::kHeld:
        return subnet.release();
      case Claim::kTaken:
        continue;
      case Claim::kFailed:
        // Sockets do not work here at all; the tests' own binds will say so.
        return new LoopbackSubnet(LoopbackSubnetBaseForPid(pid));
    }
  }
  return new LoopbackSubnet(LoopbackSubnetBaseForPid(pid));
}

}  // namespace

std::string LoopbackSubnet::Address(int host) const { return absl::StrCat(base_, ".", host); }

std::string LoopbackSubnetBaseForPid(int64_t pid, int skip) {
  const int64_t n = kFirstSubnet + (pid + skip) % kSubnets;
  return absl::StrCat("127.", n / 256, ".", n % 256);
}

const LoopbackSubnet& ProcessLoopbackSubnet() {
  static const LoopbackSubnet* const subnet = FindProcessSubnet();
  return *subnet;
}

}  // namespace bamctl::testing
