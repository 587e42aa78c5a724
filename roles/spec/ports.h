#ifndef BAMCTL_ROLES_SPEC_PORTS_H_
#define BAMCTL_ROLES_SPEC_PORTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "proto/spec.pb.h"

namespace bamctl {

// One port a role process on a node binds, and the spec field it comes from.
struct PortUse {
  std::string role;        // role name, or "bam" for the shared BAM server
  std::string name;        // "rpc", "client", "https", ...
  uint64_t port = 0;       // wide, so base + offset cannot wrap into a valid port
  std::string field_path;  // e.g. "cassandra.rpc_port"
};

// Every port the roles of `node` bind, given an effective spec (defaults
// applied), in canonical role order. Unknown role names are skipped. BAM receiver, analyzer and
// dashboard on one host share one server, so its ports appear once, with
// bam.port_offset added.
std::vector<PortUse> PortsOfNode(const v1::ClusterSpec& spec, const v1::NodeSpec& node);

}  // namespace bamctl

#endif  // BAMCTL_ROLES_SPEC_PORTS_H_
