#include "proto/operation_util.h"

#include <algorithm>

namespace bamctl {

const std::string& StepService(const v1::Operation& op, const v1::RolloutStep& step) {
  return step.service().empty() ? op.service() : step.service();
}

std::vector<std::string> StepServices(const v1::Operation& op) {
  std::vector<std::string> services;
  for (const v1::RolloutStep& s : op.steps()) {
    const std::string& service = StepService(op, s);
    if (std::find(services.begin(), services.end(), service) == services.end()) {
      services.push_back(service);
    }
  }
  return services;
}

}  // namespace bamctl
