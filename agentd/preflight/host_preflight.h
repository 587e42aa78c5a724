#ifndef BAMCTL_AGENTD_PREFLIGHT_HOST_PREFLIGHT_H_
#define BAMCTL_AGENTD_PREFLIGHT_HOST_PREFLIGHT_H_

#include <string>
#include <vector>

#include "agentd/preflight/preflight.h"

namespace bamctl {

// Preflight against this host: the JVM the service's JAVA_HOME names, the
// ports its roles claim on the node's address, memory for the node's
// heaps, the clock against the controller's.
class HostPreflight : public Preflight {
 public:
  explicit HostPreflight(std::string meminfo_path = "/proc/meminfo")
      : meminfo_path_(std::move(meminfo_path)) {}
  std::vector<v1::PreflightCheck> ForService(const v1::NodePlan& plan,
                                             const ServicePlan& service) override;
  std::vector<v1::PreflightCheck> ForNode(const v1::NodePlan& plan,
                                          std::optional<int64_t> clock_offset_ms) override;

 private:
  std::string meminfo_path_;
};

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_PREFLIGHT_HOST_PREFLIGHT_H_
