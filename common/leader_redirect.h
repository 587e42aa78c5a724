#ifndef BAMCTL_COMMON_LEADER_REDIRECT_H_
#define BAMCTL_COMMON_LEADER_REDIRECT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace bamctl {

// The words HA controllers and their clients share (docs/ha.md): a
// follower's refusal names the leader, which agents dial next, and a write
// cut off in its commit says so, which bamctl must not send again. One
// place writes and reads each, so the two sides cannot drift apart.

// UNAVAILABLE: "this controller (SELF) is not the leader; the leader is
// LEADER", or, with no leader known (or only SELF), that an election is
// under way.
absl::Status NotLeaderError(absl::string_view self, absl::string_view leader);

// The leader a NotLeaderError's message names; "" when it names none.
std::string LeaderNamedIn(absl::string_view message);

// In the message of a write whose commit was interrupted: it may have been
// committed, so sending it again could apply it twice.
inline constexpr absl::string_view kMayHaveCommitted = "may or may not have been committed";

}  // namespace bamctl

#endif  // BAMCTL_COMMON_LEADER_REDIRECT_H_
