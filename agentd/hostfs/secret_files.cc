#include "agentd/hostfs/secret_files.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agentd/hostfs/safe_fs.h"

namespace bamctl {

absl::StatusOr<std::string> SafeSecretSource::Read(absl::string_view path) const {
  absl::StatusOr<std::string> secret = safefs::ReadSecret(absl::StrCat(root_dir_, path));
  if (secret.ok() && absl::EndsWith(*secret, "\n")) secret->pop_back();
  return secret;
}

}  // namespace bamctl
