#include "agentd/reconciler/host_policy.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agentd/hostfs/safe_fs.h"
#include "common/user_name.h"

namespace bamctl {
namespace {

class Checker {
 public:
  Checker(const HostPolicy& policy, const UidLookup& uid_of) : policy_(policy), uid_of_(uid_of) {}

  absl::Status Path(const std::string& service, absl::string_view field, const std::string& path) {
    if (absl::Status valid = safefs::CheckPath(path); !valid.ok()) {
      return absl::PermissionDeniedError(absl::StrCat(service, " ", field, ": ", valid.message()));
    }
    for (const std::string& root : policy_.allowed_paths) {
      if (absl::StartsWith(path, root + "/")) return absl::OkStatus();
    }
    return absl::PermissionDeniedError(absl::StrCat(
        service, " ", field, " \"", path, "\" is outside the host policy's allowed_paths (",
        absl::StrJoin(policy_.allowed_paths, ", "), ")"));
  }

  // A file or directory owned by "" is the agent's own (root's, which a
  // plan may ask for: the hosts file). A process or step with no user
  // would run as the agent, so `runs` refuses "" as it refuses root.
  absl::Status User(const std::string& service, absl::string_view field, const std::string& user,
                    bool runs = false) {
    if (user.empty() && (!runs || policy_.allow_root_roles)) return absl::OkStatus();
    std::optional<uid_t> uid = user.empty() ? std::nullopt : uid_of_(user);
    const bool root = user == "root" || (uid.has_value() && *uid == 0);
    if (!(root && policy_.allow_root_roles)) {
      if (std::optional<std::string> problem = RoleUserProblem(user)) {
        return absl::PermissionDeniedError(absl::StrCat(service, " ", field, " \"",
                                                        absl::CHexEscape(user), "\" ", *problem,
                                                        ": roles never run as root"));
      }
    }
    if (!policy_.role_users.empty() &&
        std::find(policy_.role_users.begin(), policy_.role_users.end(), user) ==
            policy_.role_users.end()) {
      return absl::PermissionDeniedError(
          absl::StrCat(service, " ", field, " \"", user, "\" is not one of the host policy's ",
                       "role_users (", absl::StrJoin(policy_.role_users, ", "), ")"));
    }
    if (root && !policy_.allow_root_roles) {
      return absl::PermissionDeniedError(
          absl::StrCat(service, " ", field, " \"", user, "\" is uid 0: roles never run as root"));
    }
    return absl::OkStatus();
  }

 private:
  const HostPolicy& policy_;
  const UidLookup& uid_of_;
};

}  // namespace

absl::Status CheckHostPolicy(const HostPolicy& policy, bool manage_hosts_file,
                             const std::vector<ServicePlan>& services, const UidLookup& uid_of) {
  if (manage_hosts_file && !policy.hosts_file) {
    return absl::PermissionDeniedError(
        "the plan manages the hosts file; the host policy forbids it (hosts_file = false)");
  }
  Checker check(policy, uid_of);
  for (const ServicePlan& s : services) {
    for (const ConfigFile& f : s.files) {
      if (absl::Status ok = check.Path(s.name, "file", f.path); !ok.ok()) return ok;
      if (absl::Status ok = check.User(s.name, "file owner", f.owner); !ok.ok()) return ok;
    }
    for (const Directory& d : s.directories) {
      if (absl::Status ok = check.Path(s.name, "directory", d.path); !ok.ok()) return ok;
      if (absl::Status ok = check.User(s.name, "directory owner", d.owner); !ok.ok()) return ok;
    }
    for (const std::string& pattern : s.remove_paths) {
      if (absl::Status ok = check.Path(s.name, "remove_paths", pattern); !ok.ok()) return ok;
    }
    for (const InitStep& step : s.init_steps) {
      const std::string field = absl::StrCat("init step ", step.name);
      if (absl::Status ok = check.User(s.name, field + " user", step.user, /*runs=*/true);
          !ok.ok()) {
        return ok;
      }
      if (!step.done_marker.empty()) {
        if (absl::Status ok = check.Path(s.name, field + " done_marker", step.done_marker);
            !ok.ok()) {
          return ok;
        }
      }
    }
    if (absl::Status ok = check.User(s.name, "process user", s.process.user, /*runs=*/true);
        !ok.ok()) {
      return ok;
    }
  }
  return absl::OkStatus();
}

absl::Status CheckSecretFiles(const HostPolicy& policy, const std::vector<std::string>& paths) {
  HostPolicy readable = policy;
  readable.allowed_paths.insert(readable.allowed_paths.end(), policy.secret_paths.begin(),
                                policy.secret_paths.end());
  const UidLookup no_users = [](const std::string&) { return std::optional<uid_t>(); };
  Checker check(readable, no_users);
  for (const std::string& path : paths) {
    if (absl::Status ok = check.Path("bam", "password_file", path); !ok.ok()) return ok;
  }
  return absl::OkStatus();
}

}  // namespace bamctl
