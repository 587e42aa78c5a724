#include "roles/spec/version.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace bamctl {

std::optional<Version> ParseVersion(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.size() < 2 || parts.size() > 3) return std::nullopt;
  int values[3] = {0, 0, 0};
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty() || parts[i].find_first_not_of("0123456789") != absl::string_view::npos ||
        !absl::SimpleAtoi(parts[i], &values[i])) {
      return std::nullopt;
    }
  }
  return Version{values[0], values[1], values[2]};
}

bool ZooKeeperTakesIpv6Servers(const Version& v) {
  if (v < Version{3, 4, 9}) return false;
  if (v < Version{3, 5, 0}) return true;
  return v >= Version{3, 5, 7};
}

}  // namespace bamctl
