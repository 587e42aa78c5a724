#include "agentd/hostfs/host_filesystem.h"

#include <glob.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"

namespace bamctl {
namespace {

std::optional<std::pair<uid_t, gid_t>> LookUpUser(const std::string& user) {
  struct passwd pw;
  struct passwd* found = nullptr;
  char buf[4096];
  if (getpwnam_r(user.c_str(), &pw, buf, sizeof(buf), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return std::make_pair(pw.pw_uid, pw.pw_gid);
}

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<std::optional<std::string>> RealHostFilesystem::ReadFile(const std::string& path) {
  return ReadFileIfExists(path);
}

absl::Status RealHostFilesystem::WriteFile(const std::string& path, absl::string_view content,
                                           mode_t mode) {
  return WriteFileAtomically(path, content, mode);
}

std::optional<PathInfo> RealHostFilesystem::Stat(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  return PathInfo{S_ISDIR(st.st_mode), static_cast<mode_t>(st.st_mode & 07777), st.st_uid};
}

absl::Status RealHostFilesystem::MakeDirs(const std::string& path, mode_t mode) {
  return bamctl::MakeDirs(path, mode);
}

absl::Status RealHostFilesystem::Chmod(const std::string& path, mode_t mode) {
  if (chmod(path.c_str(), mode) != 0) return Errno("chmod", path);
  return absl::OkStatus();
}

absl::Status RealHostFilesystem::Chown(const std::string& path, const std::string& user) {
  if (user.empty() || !ChangesOwners()) return absl::OkStatus();
  std::optional<std::pair<uid_t, gid_t>> ids = LookUpUser(user);
  if (!ids) return absl::NotFoundError(absl::StrCat("chown ", path, ": no user \"", user, "\""));
  if (chown(path.c_str(), ids->first, ids->second) != 0) return Errno("chown", path);
  return absl::OkStatus();
}

std::optional<uid_t> RealHostFilesystem::UserId(const std::string& user) {
  std::optional<std::pair<uid_t, gid_t>> ids = LookUpUser(user);
  if (!ids) return std::nullopt;
  return ids->first;
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
