#include "roles/spec/role_kind.h"

#include <array>
#include <utility>

#include "absl/strings/str_join.h"

namespace bamctl {
namespace {

constexpr std::array<std::pair<RoleKind, absl::string_view>, 10> kRoles = {{
    {RoleKind::kZooKeeper, "zookeeper"},
    {RoleKind::kCassandra, "cassandra"},
    {RoleKind::kNameNode, "namenode"},
    {RoleKind::kSecondaryNameNode, "secondarynamenode"},
    {RoleKind::kJobTracker, "jobtracker"},
    {RoleKind::kDataNode, "datanode"},
    {RoleKind::kTaskTracker, "tasktracker"},
    {RoleKind::kBamReceiver, "bam-receiver"},
    {RoleKind::kBamAnalyzer, "bam-analyzer"},
    {RoleKind::kBamDashboard, "bam-dashboard"},
}};

constexpr std::array<RoleKind, kRoles.size()> kKinds = [] {
  std::array<RoleKind, kRoles.size()> kinds{};
  for (size_t i = 0; i < kRoles.size(); ++i) kinds[i] = kRoles[i].first;
  return kinds;
}();

}  // namespace

std::span<const RoleKind> AllRoleKinds() { return kKinds; }

absl::string_view RoleName(RoleKind kind) {
  for (const auto& [k, name] : kRoles) {
    if (k == kind) return name;
  }
  return "unknown";  // unreachable: every enumerator is in kRoles
}

std::optional<RoleKind> ParseRoleName(absl::string_view name) {
  for (const auto& [k, n] : kRoles) {
    if (n == name) return k;
  }
  return std::nullopt;
}

std::string ValidRoleNamesForError() {
  return absl::StrJoin(kRoles, ", ", [](std::string* out, const auto& role) {
    out->append(role.second.data(), role.second.size());
  });
}

bool IsHadoopRole(RoleKind kind) {
  switch (kind) {
    case RoleKind::kNameNode:
    case RoleKind::kSecondaryNameNode:
    case RoleKind::kJobTracker:
    case RoleKind::kDataNode:
    case RoleKind::kTaskTracker:
      return true;
    default:
      return false;
  }
}

bool IsBamRole(RoleKind kind) {
  return kind == RoleKind::kBamReceiver || kind == RoleKind::kBamAnalyzer ||
         kind == RoleKind::kBamDashboard;
}

}  // namespace bamctl
