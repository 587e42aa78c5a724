#ifndef BAMCTL_COMMON_NET_UTIL_H_
#define BAMCTL_COMMON_NET_UTIL_H_

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bamctl {

// Connects to host:port (an IPv4/IPv6 address, or a name to resolve), sends `request`,
// half-closes, and returns everything the peer sends until it closes — the
// shape of ZooKeeper's four-letter words. The whole exchange is bounded by
// `timeout`; errors say which step failed and against which address.
absl::StatusOr<std::string> TcpRequest(absl::string_view host, int port, absl::string_view request,
                                       std::chrono::milliseconds timeout);

// Connects to host:port, sends `data` and closes without waiting for an
// answer: a one-way push (an emulated gossip round), bounded by `timeout`.
absl::Status TcpSend(absl::string_view host, int port, absl::string_view data,
                     std::chrono::milliseconds timeout);

// Connects to host:port and closes again: "is something accepting there?",
// bounded by `timeout`.
absl::Status TcpConnect(absl::string_view host, int port, std::chrono::milliseconds timeout);

// The addresses of "host:port,host:port,...", each stripped of blanks, the
// empty ones left out: the controllers of an HA cluster (or one
// controller), as agents, bamctl and client configs take them.
std::vector<std::string> SplitAddressList(absl::string_view list);

// True when the host of `listen` ("HOST:PORT", "[v6]:PORT") is a loopback
// address: 127.0.0.0/8, ::1 or localhost. A daemon serves without TLS only
// there (the controller's gRPC and web listeners).
bool IsLoopbackListen(absl::string_view listen);

// True for a host that binds every interface ("", 0.0.0.0, ::, [::]): no
// address anyone could reach, so it is replaced by one that is.
bool IsWildcardHost(absl::string_view host);

// `host` as an address literal: itself when it is one, else the first
// address it resolves to; "" when it does not resolve. For matching a host
// of the spec against addresses a product prints (ZooKeeper's `cons`,
// `nodetool status`).
std::string AddressOf(const std::string& host);

}  // namespace bamctl

#endif  // BAMCTL_COMMON_NET_UTIL_H_
