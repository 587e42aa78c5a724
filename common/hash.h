#ifndef BAMCTL_COMMON_HASH_H_
#define BAMCTL_COMMON_HASH_H_

#include <string>

#include "absl/strings/string_view.h"

namespace bamctl {

// SHA-256 of `data` as 64 lowercase hex digits: content hashes for spec
// versions, plans and rendered files (drift detection).
std::string Sha256Hex(absl::string_view data);

}  // namespace bamctl

#endif  // BAMCTL_COMMON_HASH_H_
