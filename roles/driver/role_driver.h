#ifndef BAMCTL_ROLES_DRIVER_ROLE_DRIVER_H_
#define BAMCTL_ROLES_DRIVER_ROLE_DRIVER_H_

#include <vector>

#include "absl/status/statusor.h"
#include "proto/plan.pb.h"
#include "roles/driver/render_context.h"
#include "roles/driver/service_plan.h"

namespace bamctl {

// One product's driver: turns a node's plan into the services (processes)
// that product runs there, with their files, init steps, command lines,
// probes and restart rules. Returns no services when the node runs none of
// the product's roles. Pure apart from the context's sources; deterministic.
class RoleDriver {
 public:
  virtual ~RoleDriver() = default;
  virtual absl::StatusOr<std::vector<ServicePlan>> Render(const v1::NodePlan& plan,
                                                          const RenderContext& ctx) const = 0;
};

}  // namespace bamctl

#endif  // BAMCTL_ROLES_DRIVER_ROLE_DRIVER_H_
