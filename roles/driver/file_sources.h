#ifndef BAMCTL_ROLES_DRIVER_FILE_SOURCES_H_
#define BAMCTL_ROLES_DRIVER_FILE_SOURCES_H_

#include <string>

#include "roles/driver/render_context.h"

namespace bamctl {

// Reads shipped files from the local filesystem under `prefix` (the path
// asked for is appended to it): "" on a host, a mirror of a host's tree for
// `bamctl render --host-root`.
class DirectoryFileSource : public BaseFileSource {
 public:
  explicit DirectoryFileSource(std::string prefix) : prefix_(std::move(prefix)) {}
  absl::StatusOr<std::optional<std::string>> Read(absl::string_view path) const override;

 private:
  std::string prefix_;
};

// Reads secrets from files under `prefix`, dropping one trailing newline.
// Errors name the file, never its content.
class FileSecretSource : public SecretSource {
 public:
  explicit FileSecretSource(std::string prefix) : prefix_(std::move(prefix)) {}
  absl::StatusOr<std::string> Read(absl::string_view path) const override;

 private:
  std::string prefix_;
};

}  // namespace bamctl

#endif  // BAMCTL_ROLES_DRIVER_FILE_SOURCES_H_
