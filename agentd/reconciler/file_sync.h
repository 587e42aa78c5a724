#ifndef BAMCTL_AGENTD_RECONCILER_FILE_SYNC_H_
#define BAMCTL_AGENTD_RECONCILER_FILE_SYNC_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "agentd/hostfs/host_filesystem.h"
#include "roles/driver/service_plan.h"

namespace bamctl {

// Keeps the host's files, directories, removals, owners and modes as the
// node's ServicePlans say, touching only what differs. Remembers what it
// wrote, so a file changed since is reported as edited by hand (and
// restored). Not thread-safe: the reconcile loop owns it.
class FileSync {
 public:
  using NoticeFn = std::function<void(std::string)>;

  FileSync(HostFilesystem* fs, NoticeFn notice) : fs_(fs), notice_(std::move(notice)) {}

  // Writes every file of `services` whose content differs, and restores a
  // mode that drifted (a secret must not stay readable). Stops at the first
  // error, naming the path.
  absl::Status SyncFiles(const std::vector<ServicePlan>& services);

  // Creates the plan's directories (handing them to their owner) and
  // removes what the plan says must not exist. Problems become notices:
  // one directory that cannot be made must not stop the others.
  void SyncDirectoriesAndRemovals(const ServicePlan& plan);

 private:
  HostFilesystem* fs_;
  NoticeFn notice_;
  std::map<std::string, std::string> written_;  // path -> sha256 of what we wrote
};

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_RECONCILER_FILE_SYNC_H_
