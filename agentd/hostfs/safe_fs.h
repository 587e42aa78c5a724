#ifndef BAMCTL_AGENTD_HOSTFS_SAFE_FS_H_
#define BAMCTL_AGENTD_HOSTFS_SAFE_FS_H_

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

// File handling for a root agent that must never be turned against the host
// by a role user: every path is walked from "/" with openat and O_NOFOLLOW
// (a planted symlink fails, never redirects), owners and modes are changed
// on open descriptors, and a directory someone other than root, the agent
// or the role's own user can write is refused.
namespace bamctl::safefs {

// A secret (password_file) larger than this is refused: a plan must not make
// the agent read /dev/zero or a log file into memory.
inline constexpr size_t kMaxSecretBytes = 64 * 1024;
// Config files the agent reads back to compare (they are its own output).
inline constexpr size_t kMaxConfigBytes = 16 * 1024 * 1024;

// Owns one file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

// A user files are handed to (and who may write the directories on the way).
struct Owner {
  uid_t uid = 0;
  gid_t gid = 0;
};

// The uid and gid of `user`; nullopt for an unknown user.
std::optional<Owner> LookUpOwner(const std::string& user);

// OK when `path` is absolute and normalized: no empty, "." or ".."
// components, no trailing slash.
absl::Status CheckPath(absl::string_view path);

// Opens the directory `path` without following any symlink on the way.
// With `create_mode`, missing components are made (the last with
// `create_mode` and handed to `owner`; the ones above 0755 and root's).
// Every directory on the way must be writable by no one but root, the
// agent and `owner`.
absl::StatusOr<UniqueFd> OpenDirectory(const std::string& path, std::optional<Owner> owner,
                                       std::optional<mode_t> create_mode);

// The content of the regular file `path` (nullopt when missing), refused
// when it is a symlink, not a regular file, has other hard links, or is
// larger than `max_bytes`.
absl::StatusOr<std::optional<std::string>> ReadFile(const std::string& path, size_t max_bytes);

// A secret file: like ReadFile with kMaxSecretBytes, and a missing file is
// an error. Opened with O_NONBLOCK, so a FIFO never blocks the agent.
absl::StatusOr<std::string> ReadSecret(const std::string& path);

// Replaces `path` by a new file (temp file, fsync, rename) created with
// `mode` and handed to `owner` before it is renamed into place. A symlink
// at `path` is replaced, never followed. Parents are made as OpenDirectory.
absl::Status WriteFile(const std::string& path, absl::string_view content, mode_t mode,
                       std::optional<Owner> owner);

// Makes the directory `path` (and its parents) as OpenDirectory does. An
// existing directory is left as it is.
absl::Status MakeDirs(const std::string& path, mode_t mode, std::optional<Owner> owner);

// fchmod / fchown of `path` opened without following a symlink.
absl::Status Chmod(const std::string& path, mode_t mode);
absl::Status Chown(const std::string& path, Owner owner);

}  // namespace bamctl::safefs

#endif  // BAMCTL_AGENTD_HOSTFS_SAFE_FS_H_
