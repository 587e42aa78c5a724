#ifndef BAMCTL_LOCALCLUSTER_LOCAL_CLUSTER_LAYOUT_H_
#define BAMCTL_LOCALCLUSTER_LOCAL_CLUSTER_LAYOUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace bamctl {

// One simulated host of the local cluster.
struct LocalNode {
  std::string name;
  std::string address;  // 127.x.y.N
  std::string root;     // the agent's --root_dir: every host path lives under it
  std::string state_dir;
  std::string log_dir;
};

struct LocalClusterLayout {
  std::string spec_text;  // the spec rewritten for this machine
  std::vector<LocalNode> nodes;
};

struct LocalClusterOptions {
  std::string dir;                       // the run dir; node dirs go under it
  std::string address_base = "127.0.1";  // node i (0-based) gets <base>.(i+1)
  // Roles run as this user; "" = the current one. Never root: specs refuse
  // it, so run as root the roles run as "nobody", who then owns the node
  // roots and the emulated installs.
  std::string user;
  // bam-emulator, which installs the emulated Hadoop, Cassandra and BAM
  // trees; "" installs none (a spec with ZooKeeper only).
  std::string emulator;
  std::string java_home = "/usr/lib/jvm/default-java";
  // The machine's installs linked under every node root: the JVM and the
  // real ZooKeeper from Debian's package.
  std::vector<std::string> links = {"/usr/lib/jvm", "/usr/share/java", "/usr/share/zookeeper"};
  std::string zookeeper_home = "/usr/share/zookeeper";
  std::string zookeeper_version = "3.8.0";  // Debian 12's package
};

// Makes a spec runnable on one machine, without root and touching only
// loopback: each node gets its own address (names are kept; files render
// addresses, so nothing needs /etc/hosts), its own root, state and log dir;
// roles run as the current user (nobody for root) with the machine's JVM;
// ZooKeeper is the real one from Debian's package; Hadoop, Cassandra and BAM homes get
// emulated install trees (bam-emulator) laid out like the real ones; the
// datasource password files get a local demo password (0600). Idempotent:
// preparing an existing run dir again keeps what the agents wrote.
absl::StatusOr<LocalClusterLayout> PrepareLocalCluster(const std::string& spec_text,
                                                       const LocalClusterOptions& options);

}  // namespace bamctl

#endif  // BAMCTL_LOCALCLUSTER_LOCAL_CLUSTER_LAYOUT_H_
