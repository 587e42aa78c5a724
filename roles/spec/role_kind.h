#ifndef BAMCTL_ROLES_SPEC_ROLE_KIND_H_
#define BAMCTL_ROLES_SPEC_ROLE_KIND_H_

#include <optional>
#include <span>
#include <string>

#include "absl/strings/string_view.h"

namespace bamctl {

// Every role a node can run. The order is the canonical order used in plans
// and listings (coordination and storage first, then Hadoop, then BAM).
enum class RoleKind {
  kZooKeeper,
  kCassandra,
  kNameNode,
  kSecondaryNameNode,
  kJobTracker,
  kDataNode,
  kTaskTracker,
  kBamReceiver,
  kBamAnalyzer,
  kBamDashboard,
};

// All role kinds in canonical order.
std::span<const RoleKind> AllRoleKinds();

// The spec name of a role ("bam-receiver").
absl::string_view RoleName(RoleKind kind);

// Parses a spec role name; nullopt for anything else (names are exact).
std::optional<RoleKind> ParseRoleName(absl::string_view name);

// "zookeeper, cassandra, ..., bam-dashboard": for error messages.
std::string ValidRoleNamesForError();

bool IsHadoopRole(RoleKind kind);
bool IsBamRole(RoleKind kind);

}  // namespace bamctl

#endif  // BAMCTL_ROLES_SPEC_ROLE_KIND_H_
