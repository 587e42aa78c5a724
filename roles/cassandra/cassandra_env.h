#ifndef BAMCTL_ROLES_CASSANDRA_CASSANDRA_ENV_H_
#define BAMCTL_ROLES_CASSANDRA_CASSANDRA_ENV_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bamctl {

// Patches the text of a Cassandra 1.x `conf/cassandra-env.sh` (the shell
// fragment bin/cassandra sources) with the heap and the JMX port, and
// returns the new text. Where Cassandra reads them: `MAX_HEAP_SIZE` and
// `HEAP_NEWSIZE` (commented out in the stock file, which then sizes the
// heap from the machine's memory) and `JMX_PORT`, which both
// `-Dcom.sun.management.jmxremote.port` and nodetool's `-p` must match.
//
// Owned: every assignment of those names that starts a line, commented out
// (`#NAME=`) or not, becomes `NAME="VALUE"`; the indented assignments inside
// calculate_heap_sizes() are not touched. Every other byte, trailing spaces
// and line endings included, is kept. Idempotent. The young generation is a
// quarter of the heap (cassandra-env.sh's own rule caps it at 100 MB per
// core; a quarter is its other bound).
//
// `file_name` only names the file in errors: InvalidArgument
// ("FILE: ...") when a name has no such line (not a Cassandra 1.x
// cassandra-env.sh: nothing is guessed), or for a heap too small to split.
absl::StatusOr<std::string> PatchCassandraEnv(absl::string_view file_name, absl::string_view text,
                                              uint32_t heap_mb, uint32_t jmx_port);

}  // namespace bamctl

#endif  // BAMCTL_ROLES_CASSANDRA_CASSANDRA_ENV_H_
