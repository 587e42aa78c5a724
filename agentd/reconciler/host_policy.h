#ifndef BAMCTL_AGENTD_RECONCILER_HOST_POLICY_H_
#define BAMCTL_AGENTD_RECONCILER_HOST_POLICY_H_

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "roles/driver/service_plan.h"

namespace bamctl {

// What plans may do on this host, set by the host (agentd.conf), never by
// the controller: a root agent re-checks every plan, because it must not
// trust the network even when the controller is honest.
struct HostPolicy {
  // Plans may touch paths strictly below these (absolute, normalized,
  // --root_dir already applied). Default: DefaultOwnedRoots(root_dir).
  std::vector<std::string> allowed_paths;
  // A password_file may also lie below these (they are only read, never
  // written or handed over). bam-agentd: <root>/etc/bamctl.
  std::vector<std::string> secret_paths;
  // Users roles may run as and own files; empty: any user but uid 0.
  std::vector<std::string> role_users;
  // Whether a plan may ask for the hosts file to be managed.
  bool hosts_file = true;
  // Roles may run as root (a local cluster run by root; never on a host).
  bool allow_root_roles = false;
};

// The uid of a user; nullopt when unknown.
using UidLookup = std::function<std::optional<uid_t>(const std::string&)>;

// OK when every path, user and the hosts file request of the rendered
// `services` are within `policy`; else PermissionDenied naming the service,
// the field, the value and what is allowed.
absl::Status CheckHostPolicy(const HostPolicy& policy, bool manage_hosts_file,
                             const std::vector<ServicePlan>& services, const UidLookup& uid_of);

// OK when every secret file (password_file, root applied) is below
// `policy`'s allowed or secret paths. Checked before rendering, which reads them as
// root and writes them into files the role user reads.
absl::Status CheckSecretFiles(const HostPolicy& policy, const std::vector<std::string>& paths);

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_RECONCILER_HOST_POLICY_H_
