#include "roles/spec/ports.h"

#include <algorithm>

#include "roles/spec/role_kind.h"

namespace bamctl {

std::vector<PortUse> PortsOfNode(const v1::ClusterSpec& spec, const v1::NodeSpec& node) {
  std::vector<PortUse> ports;
  bool bam_added = false;
  const auto& h = spec.hadoop();
  const auto& c = spec.cassandra();
  const auto& z = spec.zookeeper();
  const auto& b = spec.bam();
  // Canonical role order, so the list does not depend on how roles are listed.
  for (RoleKind kind : AllRoleKinds()) {
    const std::string name(RoleName(kind));
    if (std::find(node.roles().begin(), node.roles().end(), name) == node.roles().end()) continue;
    auto add = [&](absl::string_view port_name, uint64_t port, absl::string_view field) {
      ports.push_back({name, std::string(port_name), port, std::string(field)});
    };
    switch (kind) {
      case RoleKind::kZooKeeper:
        add("client", z.client_port(), "zookeeper.client_port");
        add("peer", z.peer_port(), "zookeeper.peer_port");
        add("election", z.election_port(), "zookeeper.election_port");
        break;
      case RoleKind::kCassandra:
        add("rpc", c.rpc_port(), "cassandra.rpc_port");
        add("storage", c.storage_port(), "cassandra.storage_port");
        add("jmx", c.jmx_port(), "cassandra.jmx_port");
        break;
      case RoleKind::kNameNode:
        add("rpc", h.namenode_port(), "hadoop.namenode_port");
        add("http", h.namenode_http_port(), "hadoop.namenode_http_port");
        break;
      case RoleKind::kSecondaryNameNode:
        add("http", h.secondary_http_port(), "hadoop.secondary_http_port");
        break;
      case RoleKind::kJobTracker:
        add("rpc", h.jobtracker_port(), "hadoop.jobtracker_port");
        add("http", h.jobtracker_http_port(), "hadoop.jobtracker_http_port");
        break;
      case RoleKind::kDataNode:
        add("data", h.datanode_port(), "hadoop.datanode_port");
        add("http", h.datanode_http_port(), "hadoop.datanode_http_port");
        add("ipc", h.datanode_ipc_port(), "hadoop.datanode_ipc_port");
        break;
      case RoleKind::kTaskTracker:
        add("http", h.tasktracker_http_port(), "hadoop.tasktracker_http_port");
        break;
      case RoleKind::kBamReceiver:
      case RoleKind::kBamAnalyzer:
      case RoleKind::kBamDashboard:
        if (bam_added) break;
        bam_added = true;
        const uint64_t offset = b.port_offset();
        ports.push_back({"bam", "https", b.https_port() + offset, "bam.https_port"});
        ports.push_back({"bam", "http", b.http_port() + offset, "bam.http_port"});
        ports.push_back({"bam", "thrift", b.thrift_port() + offset, "bam.thrift_port"});
        ports.push_back(
            {"bam", "thrift-secure", b.thrift_secure_port() + offset, "bam.thrift_secure_port"});
        break;
    }
  }
  return ports;
}

}  // namespace bamctl
