#ifndef BAMCTL_ROLES_CASSANDRA_NODETOOL_STATUS_H_
#define BAMCTL_ROLES_CASSANDRA_NODETOOL_STATUS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bamctl {

// One node of the ring as another node's gossip sees it: a line of
// `nodetool status` ("UN  198.18.0.1  36.4 KB  1  33.3%  <host id>  rack1").
struct RingMember {
  std::string address;  // as printed: an IPv4 or IPv6 literal
  bool up = false;      // U(p) or D(own): the failure detector's verdict
  char state = 'N';     // N(ormal), L(eaving), J(oining), M(oving)

  bool operator==(const RingMember&) const = default;
};

// The members listed by Cassandra 1.2's `nodetool status` output, every
// datacenter's. The output comes from an agent, so it is checked: it must
// hold a "Datacenter:" header, and a member line must start with a status
// code and an address literal; other lines (notes, warnings) are skipped.
// InvalidArgument names the line that is wrong.
absl::StatusOr<std::vector<RingMember>> ParseNodetoolStatus(absl::string_view output);

// "UN" for an up, normal member: how nodetool prints its state.
std::string StatusCode(const RingMember& member);

}  // namespace bamctl

#endif  // BAMCTL_ROLES_CASSANDRA_NODETOOL_STATUS_H_
