#ifndef BAMCTL_AGENTD_RECONCILER_LAUNCH_SPEC_H_
#define BAMCTL_AGENTD_RECONCILER_LAUNCH_SPEC_H_

#include <string>

#include "agentd/launcher/launcher.h"
#include "roles/driver/service_plan.h"

namespace bamctl {

// Where an agent's processes write and how it recognises them.
struct AgentPaths {
  std::string node;
  std::string state_dir;  // also tells apart agents sharing a machine
  std::string log_dir;    // <service>.log per service
};

// The environment variable every role process carries so that an agent
// which lost its state file finds it in /proc instead of starting a
// second copy.
inline constexpr const char* kServiceMarkerVar = "BAMCTL_SERVICE";

// "BAMCTL_SERVICE=node/service@state_dir", as Launcher::FindByMarker takes it.
std::string ServiceMarker(const AgentPaths& paths, const std::string& service);
std::string ServiceLogPath(const AgentPaths& paths, const std::string& service);

// The role's foreground process, with its marker and log.
LaunchSpec ServiceLaunchSpec(const AgentPaths& paths, const ServicePlan& plan);
// One init step of the service (namenode -format), logged with it.
LaunchSpec InitStepLaunchSpec(const AgentPaths& paths, const ServicePlan& plan,
                              const InitStep& step);
// One command of what runs before a stop (nodetool drain), as the service's
// user with the service's environment, logged with it.
LaunchSpec PreStopLaunchSpec(const AgentPaths& paths, const ServicePlan& plan,
                             const std::vector<std::string>& argv);

// What a restart would run: the files and the command line. Equal hashes
// mean a restart changes nothing.
std::string ConfigHash(const ServicePlan& plan);

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_RECONCILER_LAUNCH_SPEC_H_
