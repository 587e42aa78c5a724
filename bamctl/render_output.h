#ifndef BAMCTL_BAMCTL_RENDER_OUTPUT_H_
#define BAMCTL_BAMCTL_RENDER_OUTPUT_H_

#include <string>
#include <vector>

#include "roles/driver/service_plan.h"

namespace bamctl {

// What `bamctl render` prints: per service its command line, environment,
// init steps, probes, restart rule and dependencies as comment lines, then
// every file once, each under a "==> PATH (MODE OWNER) <==" header.
// Callers render with the redacting secret source: this text is for people.
std::string FormatRender(const std::vector<ServicePlan>& services,
                         const std::vector<ConfigFile>& files);

}  // namespace bamctl

#endif  // BAMCTL_BAMCTL_RENDER_OUTPUT_H_
