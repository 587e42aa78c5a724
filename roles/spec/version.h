#ifndef BAMCTL_ROLES_SPEC_VERSION_H_
#define BAMCTL_ROLES_SPEC_VERSION_H_

#include <compare>
#include <optional>

#include "absl/strings/string_view.h"

namespace bamctl {

// A product release number, "3.8.0" or "3.4" (patch 0).
struct Version {
  int major = 0;
  int minor = 0;
  int patch = 0;
  auto operator<=>(const Version&) const = default;
};

// Parses "MAJOR.MINOR[.PATCH]" with decimal parts; nullopt for anything else.
std::optional<Version> ParseVersion(absl::string_view text);

}  // namespace bamctl

#endif  // BAMCTL_ROLES_SPEC_VERSION_H_
