#include "common/leader_redirect.h"

#include "absl/strings/str_cat.h"

namespace bamctl {
namespace {

constexpr absl::string_view kLeaderIs = "; the leader is ";

}  // namespace

absl::Status NotLeaderError(absl::string_view self, absl::string_view leader) {
  if (leader.empty() || leader == self) {
    return absl::UnavailableError(
        absl::StrCat("this controller (", self,
                     ") is not the leader, and no leader serves yet (an election is under way)"));
  }
  return absl::UnavailableError(
      absl::StrCat("this controller (", self, ") is not the leader", kLeaderIs, leader));
}

std::string LeaderNamedIn(absl::string_view message) {
  const size_t at = message.find(kLeaderIs);
  if (at == absl::string_view::npos) return "";
  absl::string_view leader = message.substr(at + kLeaderIs.size());
  return std::string(leader.substr(0, leader.find_first_of(" ;,)\n")));
}

}  // namespace bamctl
