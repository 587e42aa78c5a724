// Fuzz target: the hosts file editor, on any text as the host's /etc/hosts.
// Properties from its contract: updating twice is updating once; the
// cluster's block appears exactly once after an update and not at all
// after a removal; another cluster's block is never touched.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agentd/hosts/hosts_file.h"
#include "fuzz/fuzz_check.h"
#include "proto/plan.pb.h"

namespace {

using bamctl::fuzz::Check;

std::vector<bamctl::v1::HostEntry> Entries() {
  std::vector<bamctl::v1::HostEntry> entries(2);
  entries[0].set_name("node1");
  entries[0].set_address("198.18.0.1");
  entries[1].set_name("node2");
  entries[1].set_address("198.18.0.2");
  return entries;
}

// The BEGIN lines of `cluster`'s blocks, by the editor's documented rule:
// the marker, then the cluster name as the next word.
int Blocks(absl::string_view text, absl::string_view cluster) {
  int n = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripTrailingAsciiWhitespace(line);
    if (absl::ConsumePrefix(&line, "# BEGIN bamctl cluster ") &&
        line.substr(0, line.find(' ')) == cluster) {
      ++n;
    }
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<bamctl::v1::HostEntry>* const entries =
      new std::vector<bamctl::v1::HostEntry>(Entries());
  const absl::string_view text = bamctl::fuzz::AsText(data, size);
  const std::string once = bamctl::UpdateHostsBlock(text, "bam", *entries);
  Check(bamctl::UpdateHostsBlock(once, "bam", *entries) == once, "updating twice is once");
  Check(Blocks(once, "bam") == 1, "one block after an update");
  const std::string removed = bamctl::UpdateHostsBlock(once, "bam", {});
  Check(Blocks(removed, "bam") == 0, "no block after a removal");
  Check(Blocks(removed, "other") == Blocks(text, "other"), "another cluster's block is kept");
  return 0;
}
