#include "agentd/reconciler/file_sync.h"

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/hash.h"
#include "common/status_log.h"
#include "common/status_macros.h"
#include "roles/render/node_renderer.h"
#include "spdlog/spdlog.h"

namespace bamctl {

absl::Status FileSync::SyncFiles(const std::vector<ServicePlan>& services) {
  ASSIGN_OR_RETURN(std::vector<ConfigFile> files, NodeFiles(services));
  for (const ConfigFile& f : files) {
    ASSIGN_OR_RETURN(std::optional<std::string> current, fs_->ReadFile(f.path));
    const std::string want = Sha256Hex(f.content);
    if (current.has_value() && *current == f.content) {
      written_[f.path] = want;
      std::optional<PathInfo> info = fs_->Stat(f.path);
      if (info && info->mode != f.mode) {
        WARN_IF_ERROR(fs_->Chmod(f.path, f.mode), "restoring the mode");
      }
      continue;
    }
    auto last = written_.find(f.path);
    if (current.has_value() && last != written_.end() && Sha256Hex(*current) != last->second) {
      notice_(absl::StrCat("restored ", f.path, ": it was edited by hand"));
    }
    // Created owned by the role's user before it is renamed into place.
    RETURN_IF_ERROR(fs_->WriteFile(f.path, f.content, f.mode, f.owner));
    written_[f.path] = want;
  }
  return absl::OkStatus();
}

void FileSync::SyncDirectoriesAndRemovals(const ServicePlan& plan) {
  for (const Directory& d : plan.directories) {
    if (std::optional<PathInfo> info = fs_->Stat(d.path); info && info->is_dir) {
      // Made by a file's parent creation, or chowned by hand: the role's
      // user must own what it writes into.
      if (!d.owner.empty() && fs_->ChangesOwners()) {
        std::optional<uid_t> uid = fs_->UserId(d.owner);
        if (uid && info->uid != *uid) {
          // Refused outside the plan's roots (a data_dir of /etc stays root's).
          if (absl::Status handed = fs_->Chown(d.path, d.owner); !handed.ok()) {
            notice_(absl::StrCat(plan.name, ": ", handed.message()));
          }
        }
      }
      continue;
    }
    if (absl::Status made = fs_->MakeDirs(d.path, d.mode, d.owner); !made.ok()) {
      notice_(absl::StrCat(plan.name, ": ", made.message()));
    }
  }
  for (const std::string& pattern : plan.remove_paths) {
    for (const std::string& removed : fs_->RemoveMatching(pattern)) {
      spdlog::info("{}: removed {} (the plan says it must not exist)", plan.name, removed);
    }
  }
}

}  // namespace bamctl
