#include "roles/driver/file_sources.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"

namespace bamctl {

absl::StatusOr<std::optional<std::string>> DirectoryFileSource::Read(absl::string_view path) const {
  return ReadFileIfExists(absl::StrCat(prefix_, path));
}

absl::StatusOr<std::string> FileSecretSource::Read(absl::string_view path) const {
  const std::string full = absl::StrCat(prefix_, path);
  absl::StatusOr<std::optional<std::string>> content = ReadFileIfExists(full);
  if (!content.ok()) return content.status();
  if (!content->has_value()) {
    return absl::NotFoundError(absl::StrCat("secret file ", full, " does not exist"));
  }
  std::string secret = std::move(**content);
  if (absl::EndsWith(secret, "\n")) secret.pop_back();
  return secret;
}

}  // namespace bamctl
