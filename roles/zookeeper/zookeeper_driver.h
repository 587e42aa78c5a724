#ifndef BAMCTL_ROLES_ZOOKEEPER_ZOOKEEPER_DRIVER_H_
#define BAMCTL_ROLES_ZOOKEEPER_ZOOKEEPER_DRIVER_H_

#include <string>

#include "proto/plan.pb.h"
#include "roles/driver/role_driver.h"

namespace bamctl {

// The ZooKeeper server of a node: zoo.cfg (generated whole: it is a pure
// override), data/myid, the QuorumPeerMain command line, a ruok/srvr probe
// and the followers-before-leader restart rule. What zoo.cfg holds depends on
// plan.zookeeper().version(), as the real releases differ.
class ZooKeeperDriver : public RoleDriver {
 public:
  absl::StatusOr<std::vector<ServiceDescription>> Describe(const v1::NodePlan& plan,
                                                           absl::string_view root) const override;
  absl::StatusOr<std::vector<ServiceSetup>> Setup(
      const v1::NodePlan& plan, const RenderContext& ctx,
      const std::vector<ServiceDescription>& services) const override;
};

// zoo.cfg for `zk` (exposed for tests and the emulators' expectations).
// Server lines bracket an IPv6 host ("server.3=[fd00::2]:2888:3888"); the
// client port binds the bare address. InvalidArgument for an unparseable
// version, or IPv6 servers on a release that cannot read them.
absl::StatusOr<std::string> RenderZooCfg(const v1::ZooKeeperPlan& zk, const RenderContext& ctx);

}  // namespace bamctl

#endif  // BAMCTL_ROLES_ZOOKEEPER_ZOOKEEPER_DRIVER_H_
