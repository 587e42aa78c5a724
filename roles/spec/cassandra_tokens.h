#ifndef BAMCTL_ROLES_SPEC_CASSANDRA_TOKENS_H_
#define BAMCTL_ROLES_SPEC_CASSANDRA_TOKENS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bamctl {

// The Cassandra partitioners whose token space bamctl knows, so it can both
// compute balanced tokens and refuse tokens the real Cassandra would refuse.
enum class Partitioner {
  kRandom,   // tokens are integers in [0, 2^127]
  kMurmur3,  // tokens are 64-bit signed integers
};

// Accepts the short ("RandomPartitioner") or fully qualified
// ("org.apache.cassandra.dht.RandomPartitioner") class name.
std::optional<Partitioner> ParsePartitioner(absl::string_view name);

// "org.apache.cassandra.dht.RandomPartitioner".
absl::string_view PartitionerClassName(Partitioner p);

// For error messages: the accepted partitioner names.
std::string ValidPartitionersForError();

// For error messages: "0 to 170141183460469231731687303715884105728 (2^127)".
std::string TokenRangeForError(Partitioner p);

// Checks that `text` is a decimal integer inside `p`'s token range and
// returns it in canonical form (no sign for non-negative, no leading zeros).
// The error says what is wrong and gives the valid range.
absl::StatusOr<std::string> CanonicalToken(Partitioner p, absl::string_view text);

// Evenly spaced tokens for `count` nodes, as decimal strings:
// RandomPartitioner i*2^127/count, Murmur3Partitioner -2^63 + i*2^64/count
// (i = 0..count-1, rounded down), the formulas Cassandra's docs give.
std::vector<std::string> BalancedTokens(Partitioner p, int count);

}  // namespace bamctl

#endif  // BAMCTL_ROLES_SPEC_CASSANDRA_TOKENS_H_
