#ifndef BAMCTL_TESTS_UTIL_LOOPBACK_SUBNET_H_
#define BAMCTL_TESTS_UTIL_LOOPBACK_SUBNET_H_

#include <cstdint>
#include <string>

namespace bamctl::testing {

// A /24 of the loopback network, 127.X.Y.0/24, owned by one test process,
// so that test binaries running at the same time (ctest -j, a repeat run,
// two CI jobs on one machine) never bind the same address and port. Linux
// routes all of 127.0.0.0/8 to lo, so every address in it can be bound
// without set-up. Inside the subnet, hosts .1 to .253 are for the nodes of
// a cluster (node N at .N) and .254 for the test's own servers (the
// controller); a test may use fixed ports on them.
class LoopbackSubnet {
 public:
  static constexpr int kServerHost = 254;

  explicit LoopbackSubnet(std::string base) : base_(std::move(base)) {}

  // "127.X.Y".
  const std::string& base() const { return base_; }
  // "127.X.Y.<host>", host in [1, 254].
  std::string Address(int host) const;
  // The address for the test's own servers: "127.X.Y.254".
  std::string ServerAddress() const { return Address(kServerHost); }

 private:
  std::string base_;
};

// The subnet base ("127.X.Y") for process `pid`, `skip` subnets further on:
// X.Y is (pid + skip) modulo the 65280 subnets from 127.1.0 to 127.255.255.
// 127.0.x.x is never used: hosts name themselves at 127.0.0.1 and 127.0.1.1,
// the demo cluster lives on 127.0.1.x and the benchmarks on 127.0.4.x.
std::string LoopbackSubnetBaseForPid(int64_t pid, int skip = 0);

// This process's subnet: the first from LoopbackSubnetBaseForPid(getpid())
// on that no other process holds. The process holds it until it exits, by
// a socket bound to <base>.254:65535 (a port outside Linux's ephemeral
// range, which no server of ours uses); another test process finds the
// port taken and moves to the next subnet. Thread-safe; computed once.
const LoopbackSubnet& ProcessLoopbackSubnet();

}  // namespace bamctl::testing

#endif  // BAMCTL_TESTS_UTIL_LOOPBACK_SUBNET_H_
