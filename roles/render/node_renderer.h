#ifndef BAMCTL_ROLES_RENDER_NODE_RENDERER_H_
#define BAMCTL_ROLES_RENDER_NODE_RENDERER_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/plan.pb.h"
#include "roles/driver/render_context.h"
#include "roles/driver/service_plan.h"

namespace bamctl {

// Every service of a node, from every role driver, in a fixed order
// (ZooKeeper, Cassandra, Hadoop daemons, BAM). Errors name the node. Each
// service's description is DescribeNode's (with ctx.root).
absl::StatusOr<std::vector<ServicePlan>> RenderNode(const v1::NodePlan& plan,
                                                    const RenderContext& ctx);

// The same services as RenderNode, in the same order, described from the
// plan alone: names, roles, probes, restart rules and dependencies, without
// reading a file or a secret. What the controller plans rollouts with.
// `root` is RenderContext::root (it prefixes the paths in pre-stop
// commands); the controller's "" describes real hosts. Errors name the node.
absl::StatusOr<std::vector<ServiceDescription>> DescribeNode(const v1::NodePlan& plan,
                                                             absl::string_view root = "");

// The node's files with each path once, sorted by path. Services that share
// an install (the Hadoop daemons) list the same files; differing bytes for
// one path is a driver bug and returns Internal.
absl::StatusOr<std::vector<ConfigFile>> NodeFiles(const std::vector<ServicePlan>& services);

}  // namespace bamctl

#endif  // BAMCTL_ROLES_RENDER_NODE_RENDERER_H_
