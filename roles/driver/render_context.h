#ifndef BAMCTL_ROLES_DRIVER_RENDER_CONTEXT_H_
#define BAMCTL_ROLES_DRIVER_RENDER_CONTEXT_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bamctl {

// Where passwords come from at render time. The agent reads the referenced
// files; every display (bamctl render, diffs, logs) uses the redacting
// source, so a secret can only reach files written 0600 on the host.
class SecretSource {
 public:
  virtual ~SecretSource() = default;
  // The secret held by the file at `path` (host path, root not applied).
  virtual absl::StatusOr<std::string> Read(absl::string_view path) const = 0;
};

// Returns "<redacted>" for every reference and reads nothing.
class RedactingSecretSource : public SecretSource {
 public:
  static constexpr absl::string_view kRedacted = "<redacted>";
  absl::StatusOr<std::string> Read(absl::string_view path) const override;
};

// The current content of files a product ships, which drivers patch in
// place (cassandra.yaml, registry.xml, ...).
class BaseFileSource {
 public:
  virtual ~BaseFileSource() = default;
  // Content of the file at `path` (root already applied), or nullopt when
  // it does not exist. Errors are for files that exist but cannot be read.
  virtual absl::StatusOr<std::optional<std::string>> Read(absl::string_view path) const = 0;
};

// What a driver renders against. Not owned.
struct RenderContext {
  const SecretSource* secrets = nullptr;
  const BaseFileSource* base = nullptr;
  // Prefix for every host path (files, installs, command lines, markers),
  // like a chroot: "" on a real host, a per-node directory in the local
  // cluster, which then holds (or links to) the installs the spec names.
  std::string root;
  // When a shipped file is missing from `base`, patch the stock copy from
  // roles/stock instead of failing (bamctl render without a host).
  bool fall_back_to_stock = false;

  // `root` + `host_path`.
  std::string Path(absl::string_view host_path) const;

  // The host's current copy of the file at `path` (root applied); nullopt
  // when there is none or no `base` to read from.
  absl::StatusOr<std::optional<std::string>> ReadHostFile(absl::string_view path) const;

  // The current content of the shipped file at `path` (root applied), to be
  // patched; `stock_name` ("wso2-bam/cassandra.yaml") names its stock copy.
  // NotFound, naming the file and the product, when it is missing and
  // there is no fallback.
  absl::StatusOr<std::string> ReadShippedFile(absl::string_view path,
                                              absl::string_view stock_name) const;
};

}  // namespace bamctl

#endif  // BAMCTL_ROLES_DRIVER_RENDER_CONTEXT_H_
