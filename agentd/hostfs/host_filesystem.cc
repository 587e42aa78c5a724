#include "agentd/hostfs/host_filesystem.h"

#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agentd/hostfs/safe_fs.h"

namespace bamctl {
namespace {

// The owner of files handed to `user`; nullopt for "" or when the agent is
// not root (the local cluster: every file stays the agent's). With
// `unknown_is_agent`, an unknown user leaves the file the agent's (root's:
// safe) and Chown reports it, as before the role's user existed.
absl::StatusOr<std::optional<safefs::Owner>> OwnerOf(const std::string& user,
                                                     const std::string& path,
                                                     bool unknown_is_agent) {
  if (user.empty() || geteuid() != 0) return std::optional<safefs::Owner>();
  std::optional<safefs::Owner> owner = safefs::LookUpOwner(user);
  if (!owner && unknown_is_agent) return std::optional<safefs::Owner>();
  if (!owner) return absl::NotFoundError(absl::StrCat(path, ": no user \"", user, "\""));
  return owner;  // uid 0 is the host policy's to refuse (HostPolicy)
}

}  // namespace

std::vector<std::string> DefaultOwnedRoots(const std::string& root_dir) {
  std::vector<std::string> roots;
  for (const char* dir : {"/opt", "/srv", "/var/lib", "/var/log", "/home"}) {
    roots.push_back(absl::StrCat(root_dir, dir));
  }
  return roots;
}

absl::Status RealHostFilesystem::CheckOwned(const std::string& path, absl::string_view what) const {
  if (absl::Status valid = safefs::CheckPath(path); !valid.ok()) return valid;
  if (owned_roots_.empty()) return absl::OkStatus();
  for (const std::string& root : owned_roots_) {
    if (absl::StartsWith(path, root + "/")) return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat("refused to ", what, " ", path,
                                                  ": plans own only paths below ",
                                                  absl::StrJoin(owned_roots_, ", ")));
}

absl::StatusOr<std::optional<std::string>> RealHostFilesystem::ReadFile(const std::string& path) {
  return safefs::ReadFile(path, safefs::kMaxConfigBytes);
}

absl::Status RealHostFilesystem::WriteFile(const std::string& path, absl::string_view content,
                                           mode_t mode, const std::string& owner) {
  if (absl::Status owned = CheckOwned(path, "write"); !owned.ok()) return owned;
  absl::StatusOr<std::optional<safefs::Owner>> to = OwnerOf(owner, path, true);
  if (!to.ok()) return to.status();
  return safefs::WriteFile(path, content, mode, *to);
}

std::optional<PathInfo> RealHostFilesystem::Stat(const std::string& path) {
  struct stat st;
  // lstat: a symlink is neither the directory nor the file a plan names.
  if (lstat(path.c_str(), &st) != 0) return std::nullopt;
  return PathInfo{S_ISDIR(st.st_mode), static_cast<mode_t>(st.st_mode & 07777), st.st_uid,
                  static_cast<uint64_t>(st.st_size)};
}

absl::Status RealHostFilesystem::MakeDirs(const std::string& path, mode_t mode,
                                          const std::string& owner) {
  absl::StatusOr<std::optional<safefs::Owner>> to = OwnerOf(owner, path, true);
  if (!to.ok()) return to.status();
  if (to->has_value()) {
    if (absl::Status owned = CheckOwned(path, "hand over"); !owned.ok()) return owned;
  }
  return safefs::MakeDirs(path, mode, *to);
}

absl::Status RealHostFilesystem::Chmod(const std::string& path, mode_t mode) {
  if (absl::Status owned = CheckOwned(path, "chmod"); !owned.ok()) return owned;
  return safefs::Chmod(path, mode);
}

absl::Status RealHostFilesystem::Chown(const std::string& path, const std::string& user) {
  if (user.empty() || !ChangesOwners()) return absl::OkStatus();
  if (absl::Status owned = CheckOwned(path, "chown"); !owned.ok()) return owned;
  absl::StatusOr<std::optional<safefs::Owner>> to = OwnerOf(user, path, false);
  if (!to.ok()) return to.status();
  return safefs::Chown(path, **to);
}

std::optional<uid_t> RealHostFilesystem::UserId(const std::string& user) {
  std::optional<safefs::Owner> owner = safefs::LookUpOwner(user);
  if (!owner) return std::nullopt;
  return owner->uid;
}

bool RealHostFilesystem::ChangesOwners() const { return geteuid() == 0; }

std::vector<std::string> RealHostFilesystem::RemoveMatching(const std::string& pattern) {
  std::vector<std::string> removed;
  glob_t found{};
  if (glob(pattern.c_str(), GLOB_NOSORT, nullptr, &found) == 0) {
    for (size_t i = 0; i < found.gl_pathc; ++i) {
      std::error_code ec;
      if (std::filesystem::remove_all(found.gl_pathv[i], ec) > 0) {
        removed.emplace_back(found.gl_pathv[i]);
      }
    }
  }
  globfree(&found);
  return removed;
}

}  // namespace bamctl
