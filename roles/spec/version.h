#ifndef BAMCTL_ROLES_SPEC_VERSION_H_
#define BAMCTL_ROLES_SPEC_VERSION_H_

#include <compare>
#include <optional>

#include "absl/strings/string_view.h"

namespace bamctl {

// A product release number, "3.8.0" or "3.4" (patch 0).
struct Version {
  int major = 0;
  int minor = 0;
  int patch = 0;
  auto operator<=>(const Version&) const = default;
};

// Parses "MAJOR.MINOR[.PATCH]" with decimal parts; nullopt for anything else.
std::optional<Version> ParseVersion(absl::string_view text);

// Whether ZooKeeper release `v` runs an ensemble whose zoo.cfg names servers
// by IPv6 literal ("server.3=[fd00::2]:2888:3888"): 3.4.9 and later 3.4
// releases parse the brackets (3.4.8 and older split the line at every ':'),
// and 3.5 peers exchange their addresses as "host:port", which breaks on an
// IPv6 literal until 3.5.7 (ZOOKEEPER-2989, ZOOKEEPER-3057).
bool ZooKeeperTakesIpv6Servers(const Version& v);

}  // namespace bamctl

#endif  // BAMCTL_ROLES_SPEC_VERSION_H_
