#ifndef BAMCTL_ROLES_DRIVER_ROLE_DRIVER_H_
#define BAMCTL_ROLES_DRIVER_ROLE_DRIVER_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/plan.pb.h"
#include "roles/driver/render_context.h"
#include "roles/driver/service_plan.h"

namespace bamctl {

// One product's driver: turns a node's plan into the services (processes)
// that product runs there. Two steps, so that what the cluster needs to know
// about a service never depends on the files on a host:
//
//   Describe  plan -> name, roles, probes, restart rule, dependencies
//   Setup     plan + host (RenderContext) -> files, init steps, process
//
// Render joins them. Both return nothing when the node runs none of the
// product's roles. Pure apart from the context's sources; deterministic.
class RoleDriver {
 public:
  virtual ~RoleDriver() = default;

  // The product's services on the node, from `plan` alone: nothing is read.
  // `root` is RenderContext::root: it prefixes the host paths in commands
  // the description holds (a pre-stop command); "" on a real host.
  // InvalidArgument for a plan these services cannot run from.
  virtual absl::StatusOr<std::vector<ServiceDescription>> Describe(
      const v1::NodePlan& plan, absl::string_view root) const = 0;

  // What each of `services` (this driver's Describe of `plan`, with
  // ctx.root) needs on the host: one ServiceSetup per service, same order.
  virtual absl::StatusOr<std::vector<ServiceSetup>> Setup(
      const v1::NodePlan& plan, const RenderContext& ctx,
      const std::vector<ServiceDescription>& services) const = 0;

  // Describe, then Setup: every service in full. The descriptions are
  // Describe's own, so a rendered service never disagrees with the
  // description the controller plans with.
  absl::StatusOr<std::vector<ServicePlan>> Render(const v1::NodePlan& plan,
                                                  const RenderContext& ctx) const;
};

}  // namespace bamctl

#endif  // BAMCTL_ROLES_DRIVER_ROLE_DRIVER_H_
