#ifndef BAMCTL_AGENTD_HOSTFS_HOST_FILESYSTEM_H_
#define BAMCTL_AGENTD_HOSTFS_HOST_FILESYSTEM_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bamctl {

// What the agent needs to know of a path.
struct PathInfo {
  bool is_dir = false;
  mode_t mode = 0;  // permission bits (07777)
  uid_t uid = 0;
  uint64_t size = 0;  // bytes, for a file
};

// Every effect the agent has on the host's files, behind one interface
// (Envoy's Filesystem::Instance): the reconciler's file sync runs against a
// fake in unit tests and against the real host in the daemon.
class HostFilesystem {
 public:
  virtual ~HostFilesystem() = default;

  // nullopt when `path` does not exist.
  virtual absl::StatusOr<std::optional<std::string>> ReadFile(const std::string& path) = 0;
  // Crash-safe replacement (temp file, fsync, rename), creating parents;
  // the new file is created owned by `owner` ("" keeps the agent's).
  virtual absl::Status WriteFile(const std::string& path, absl::string_view content, mode_t mode,
                                 const std::string& owner) = 0;
  // nullopt when `path` does not exist.
  virtual std::optional<PathInfo> Stat(const std::string& path) = 0;
  // Makes `path` and its parents; a directory made is handed to `owner`
  // ("" keeps the agent's). An existing one is left as it is.
  virtual absl::Status MakeDirs(const std::string& path, mode_t mode, const std::string& owner) = 0;
  virtual absl::Status Chmod(const std::string& path, mode_t mode) = 0;
  // Hands `path` to `user` (and the user's group). A no-op when the agent
  // is not root (the local cluster: every file stays the agent's).
  virtual absl::Status Chown(const std::string& path, const std::string& user) = 0;
  // The uid of `user`; nullopt for an unknown user.
  virtual std::optional<uid_t> UserId(const std::string& user) = 0;
  // Whether Chown hands files over at all (the agent runs as root).
  virtual bool ChangesOwners() const = 0;
  // Removes every path matching the glob `pattern` (recursively); returns
  // what it removed.
  virtual std::vector<std::string> RemoveMatching(const std::string& pattern) = 0;
};

// The directories under which plans may own files and directories when the
// agent's paths start with `root_dir`: /opt, /srv, /var/lib, /var/log, /home.
std::vector<std::string> DefaultOwnedRoots(const std::string& root_dir);

// The host's real filesystem, through safefs: no symlink is ever followed,
// owners and modes are changed on open descriptors, and a directory someone
// other than root, the agent or the role's user can write is refused.
class RealHostFilesystem : public HostFilesystem {
 public:
  // Files are written, chmodded and chowned only strictly below one of
  // `owned_roots` (absolute, normalized); empty allows any path (tests).
  explicit RealHostFilesystem(std::vector<std::string> owned_roots = {})
      : owned_roots_(std::move(owned_roots)) {}

  absl::StatusOr<std::optional<std::string>> ReadFile(const std::string& path) override;
  absl::Status WriteFile(const std::string& path, absl::string_view content, mode_t mode,
                         const std::string& owner) override;
  std::optional<PathInfo> Stat(const std::string& path) override;
  absl::Status MakeDirs(const std::string& path, mode_t mode, const std::string& owner) override;
  absl::Status Chmod(const std::string& path, mode_t mode) override;
  absl::Status Chown(const std::string& path, const std::string& user) override;
  std::optional<uid_t> UserId(const std::string& user) override;
  bool ChangesOwners() const override;
  std::vector<std::string> RemoveMatching(const std::string& pattern) override;

 private:
  // OK when `path` lies strictly below one of owned_roots_.
  absl::Status CheckOwned(const std::string& path, absl::string_view what) const;

  std::vector<std::string> owned_roots_;
};

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_HOSTFS_HOST_FILESYSTEM_H_
