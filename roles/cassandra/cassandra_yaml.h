#ifndef BAMCTL_ROLES_CASSANDRA_CASSANDRA_YAML_H_
#define BAMCTL_ROLES_CASSANDRA_CASSANDRA_YAML_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/plan.pb.h"

namespace bamctl {

// Patches the text of a cassandra.yaml in place with a node's Cassandra
// settings and returns the new text. Line-based on purpose: every byte the
// driver does not own (comments, layout, other keys, line endings) survives.
//
// Owned top-level keys: cluster_name (single-quoted), initial_token (the
// plan's token in canonical form), partitioner (fully qualified, and the
// token must lie in its range), listen_address, rpc_address, rpc_port,
// storage_port, data_file_directories (a one-entry block list),
// commitlog_directory, saved_caches_directory, and the `seeds:` entry under
// seed_provider (the class_name/parameters structure around it is kept).
// An owned key keeps its key text, spacing after the colon and trailing
// comment; its value (including any indented continuation lines) is
// replaced. Commented-out keys are ignored. Absent keys are appended at the
// end, in the stock file's order and layout. Deterministic and idempotent:
// patching the output again returns it unchanged.
//
// `file_name` only names the file in errors ("FILE:LINE: message"):
// InvalidArgument for a duplicated owned key, a seed_provider without
// exactly one `seeds:` entry, or a plan value that cannot be written (empty,
// with line breaks, a token outside the partitioner's range).
absl::StatusOr<std::string> PatchCassandraYaml(absl::string_view file_name, absl::string_view text,
                                               const v1::CassandraPlan& plan);

}  // namespace bamctl

#endif  // BAMCTL_ROLES_CASSANDRA_CASSANDRA_YAML_H_
