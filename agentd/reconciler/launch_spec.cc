#include "agentd/reconciler/launch_spec.h"

#include <algorithm>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/hash.h"

namespace bamctl {
namespace {

std::map<std::string, std::string> BaseEnv() {
  return {{"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
          {"LANG", "C.UTF-8"}};
}

}  // namespace

// node/service@state_dir: the state dir tells apart agents sharing a
// machine (the local cluster), even ones with equal node names.
std::string ServiceMarker(const AgentPaths& paths, const std::string& service) {
  return absl::StrCat(kServiceMarkerVar, "=", paths.node, "/", service, "@", paths.state_dir);
}

std::string ServiceLogPath(const AgentPaths& paths, const std::string& service) {
  return absl::StrCat(paths.log_dir, "/", service, ".log");
}

LaunchSpec ServiceLaunchSpec(const AgentPaths& paths, const ServicePlan& plan) {
  LaunchSpec spec;
  spec.argv = plan.process.argv;
  spec.env = BaseEnv();
  for (const auto& [k, v] : plan.process.env) spec.env[k] = v;
  const std::string marker = ServiceMarker(paths, plan.name);
  const size_t eq = marker.find('=');
  spec.env[marker.substr(0, eq)] = marker.substr(eq + 1);
  spec.working_dir = plan.process.working_dir;
  spec.user = plan.process.user;
  spec.nofile_limit = plan.process.nofile_limit;
  spec.log_path = ServiceLogPath(paths, plan.name);
  return spec;
}

LaunchSpec InitStepLaunchSpec(const AgentPaths& paths, const ServicePlan& plan,
                              const InitStep& step) {
  LaunchSpec spec;
  spec.argv = step.argv;
  spec.env = BaseEnv();
  for (const auto& [k, v] : step.env) spec.env[k] = v;
  // Never root by omission: a step without a user runs as the role's.
  spec.user = step.user.empty() ? plan.process.user : step.user;
  spec.working_dir = plan.process.working_dir;
  spec.log_path = ServiceLogPath(paths, plan.name);
  return spec;
}

LaunchSpec PreStopLaunchSpec(const AgentPaths& paths, const ServicePlan& plan,
                             const std::vector<std::string>& argv) {
  LaunchSpec spec;
  spec.argv = argv;
  spec.env = BaseEnv();
  for (const auto& [k, v] : plan.process.env) spec.env[k] = v;  // JAVA_HOME for the tools
  // `nodetool drain` lives in the role-writable bin/: as root it would run
  // whatever the role user put there.
  spec.user = plan.process.user;
  spec.working_dir = plan.process.working_dir;
  spec.log_path = ServiceLogPath(paths, plan.name);
  return spec;
}

std::string ConfigHash(const ServicePlan& plan) {
  std::vector<const ConfigFile*> files;
  files.reserve(plan.files.size());
  for (const ConfigFile& f : plan.files) files.push_back(&f);
  std::sort(files.begin(), files.end(),
            [](const ConfigFile* a, const ConfigFile* b) { return a->path < b->path; });
  std::string material;
  for (const ConfigFile* f : files) {
    absl::StrAppend(&material, f->path, "\n", f->mode, "\n", f->owner, "\n", f->content.size(),
                    "\n", f->content, "\n");
  }
  absl::StrAppend(&material, "argv\n", absl::StrJoin(plan.process.argv, "\n"), "\nenv\n");
  for (const auto& [k, v] : plan.process.env) absl::StrAppend(&material, k, "=", v, "\n");
  absl::StrAppend(&material, "user\n", plan.process.user, "\n", plan.process.working_dir, "\n");
  return Sha256Hex(material);
}

}  // namespace bamctl
