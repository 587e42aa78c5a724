#ifndef BAMCTL_COMMON_USER_NAME_H_
#define BAMCTL_COMMON_USER_NAME_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace bamctl {

// Why `user` cannot be a role's user, or nullopt when it can: a name of up
// to 32 letters, digits, '_', '-' and '.' that starts with a letter or '_',
// or a numeric uid; never root, uid 0 or empty. The spec validator and the
// agent's host policy hold users to this one rule (the agent because a plan
// comes from the network: "root\0x" is "root" to getpwnam).
std::optional<std::string> RoleUserProblem(absl::string_view user);

}  // namespace bamctl

#endif  // BAMCTL_COMMON_USER_NAME_H_
