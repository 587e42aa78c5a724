// Fuzz target: the reader of `nodetool status` output, which reaches the
// controller from an agent (a peer view) and decides when a restarted
// Cassandra node counts as back. Properties from its contract: any text is
// read or refused without a crash, and every member it returns has an
// address literal (no blanks) and a status code nodetool prints.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "fuzz/fuzz_check.h"
#include "roles/cassandra/nodetool_status.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::StatusOr<std::vector<bamctl::RingMember>> ring =
      bamctl::ParseNodetoolStatus(bamctl::fuzz::AsText(data, size));
  if (!ring.ok()) {
    bamctl::fuzz::Check(!ring.status().message().empty(), "a refusal says why");
    return 0;
  }
  for (const bamctl::RingMember& m : *ring) {
    bamctl::fuzz::Check(!m.address.empty() && !absl::StrContains(m.address, ' ') &&
                            !absl::StrContains(m.address, '\n'),
                        "a member's address is one word");
    const std::string code = bamctl::StatusCode(m);
    bamctl::fuzz::Check(
        code.size() == 2 && absl::StrContains("UD", code[0]) && absl::StrContains("NLJM", code[1]),
        "a member's status is one nodetool prints");
  }
  return 0;
}
