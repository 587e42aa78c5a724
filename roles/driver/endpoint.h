#ifndef BAMCTL_ROLES_DRIVER_ENDPOINT_H_
#define BAMCTL_ROLES_DRIVER_ENDPOINT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "proto/plan.pb.h"

namespace bamctl {

// How a host and port are spelled in each product's syntax. Plans carry
// hosts bare (a name, an IPv4 address or an IPv6 address, never bracketed;
// v1::Endpoint) and drivers spell them here, at the last moment, so no
// formatted "host:port" is ever split again.
//
//   syntax                          IPv4 / name          IPv6
//   HostPort (URL authority, lists   node3:9160           [fd00::2]:9160
//     split at the last ':')
//   Url("hdfs", ...)                hdfs://node1:9000    hdfs://[fd00::1]:9000
//   bare host (probes, nodetool's    node3                fd00::2
//     connect, cassandra.yaml)       (Endpoint::host as is)

// True when `host` is an IPv6 literal: the only kind of host holding a ':'.
bool IsIpv6Literal(absl::string_view host);

// `host` as URLs and host:port pairs need it: "[fd00::2]" for an IPv6
// literal (RFC 3986 IP-literal), unchanged otherwise.
std::string BracketedHost(absl::string_view host);

// "node3:9160", "[fd00::2]:9160".
std::string HostPort(absl::string_view host, uint32_t port);
std::string HostPort(const v1::Endpoint& endpoint);

// "<scheme>://<HostPort><path>": Url("hdfs", nn) is "hdfs://[fd00::1]:9000",
// Url("jdbc:mysql", db, "/regdb") is "jdbc:mysql://db.example:3306/regdb".
std::string Url(absl::string_view scheme, const v1::Endpoint& endpoint,
                absl::string_view path = "");

// An Endpoint from parts.
v1::Endpoint MakeEndpoint(absl::string_view host, uint32_t port);

}  // namespace bamctl

#endif  // BAMCTL_ROLES_DRIVER_ENDPOINT_H_
