#include "roles/driver/role_driver.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace bamctl {

absl::StatusOr<std::vector<ServicePlan>> RoleDriver::Render(const v1::NodePlan& plan,
                                                            const RenderContext& ctx) const {
  absl::StatusOr<std::vector<ServiceDescription>> described = Describe(plan, ctx.root);
  if (!described.ok()) return described.status();
  absl::StatusOr<std::vector<ServiceSetup>> setups = Setup(plan, ctx, *described);
  if (!setups.ok()) return setups.status();
  if (setups->size() != described->size()) {
    return absl::InternalError(absl::StrCat("a driver set up ", setups->size(),
                                            " services for the ", described->size(),
                                            " it described"));
  }
  std::vector<ServicePlan> services(described->size());
  for (size_t i = 0; i < services.size(); ++i) {
    static_cast<ServiceDescription&>(services[i]) = std::move((*described)[i]);
    static_cast<ServiceSetup&>(services[i]) = std::move((*setups)[i]);
  }
  return services;
}

}  // namespace bamctl
