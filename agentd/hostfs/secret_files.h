#ifndef BAMCTL_AGENTD_HOSTFS_SECRET_FILES_H_
#define BAMCTL_AGENTD_HOSTFS_SECRET_FILES_H_

#include <string>

#include "roles/driver/render_context.h"

namespace bamctl {

// The agent's secrets (password_file): read as root, so only a regular file
// with no other hard link, never through a symlink, never more than
// safefs::kMaxSecretBytes, and without blocking on a FIFO. The path is
// appended to `root_dir`; one trailing newline is dropped. Errors name the
// file, never its content.
class SafeSecretSource : public SecretSource {
 public:
  explicit SafeSecretSource(std::string root_dir) : root_dir_(std::move(root_dir)) {}
  absl::StatusOr<std::string> Read(absl::string_view path) const override;

 private:
  std::string root_dir_;
};

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_HOSTFS_SECRET_FILES_H_
