#ifndef BAMCTL_AGENTD_HOSTS_HOSTS_FILE_H_
#define BAMCTL_AGENTD_HOSTS_HOSTS_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/plan.pb.h"

namespace bamctl {

// The seed procedure has the operator add every node to every node's
// /etc/hosts. The agent does it with one marked block per cluster:
//
//   # BEGIN bamctl cluster <cluster> (managed by bam-agentd; edits here are overwritten)
//   <address>\t<name>
//   # END bamctl cluster <cluster>
//
// and leaves every line outside its block alone, byte for byte.

// Returns `current` with the block of `cluster` holding `entries` (one
// `address<TAB>name` line each, in the given order). An existing block is
// replaced where it stands; further blocks of the same cluster (a copy made
// by hand) are dropped, so the file converges to one. Without a block, it
// is appended at the end (a last line lacking its newline gets one). Empty
// `entries` removes the block. Blocks of other clusters are never touched.
//
// A BEGIN line without its END line (the file was truncated or edited)
// makes the block run up to the next bamctl BEGIN line or the end of the
// file: those lines are most likely the agent's stale entries, and leaving
// them while appending a fresh block would keep old addresses ahead of the
// new ones (the resolver takes the first match).
//
// Requires `cluster`, names and addresses without whitespace (the spec's
// validation guarantees it; SyncHostsFile checks).
std::string UpdateHostsBlock(absl::string_view current, absl::string_view cluster,
                             const std::vector<v1::HostEntry>& entries);

// Brings the file at `path` to UpdateHostsBlock(its text, cluster, entries).
// A missing file counts as empty, except that nothing is created when there
// is nothing to write. Writes only when the text changes, through
// WriteFileAtomically with the file's current mode (0644 for a new file);
// a symlink is written through to its target, so it stays a symlink. The
// owner becomes the agent's user (root, like the stock file). Returns
// whether it wrote. Errors name the path, or the entry that cannot be
// written as a hosts line.
absl::StatusOr<bool> SyncHostsFile(const std::string& path, absl::string_view cluster,
                                   const std::vector<v1::HostEntry>& entries);

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_HOSTS_HOSTS_FILE_H_
