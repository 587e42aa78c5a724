#include "roles/cassandra/nodetool_status.h"

#include <arpa/inet.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/utf8.h"

namespace bamctl {
namespace {

bool IsAddressLiteral(const std::string& text) {
  in_addr v4{};
  in6_addr v6{};
  return inet_pton(AF_INET, text.c_str(), &v4) == 1 || inet_pton(AF_INET6, text.c_str(), &v6) == 1;
}

}  // namespace

absl::StatusOr<std::vector<RingMember>> ParseNodetoolStatus(absl::string_view output) {
  std::vector<RingMember> members;
  bool header = false;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (absl::StartsWith(line, "Datacenter:")) {
      header = true;
      continue;
    }
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    // A member line starts with its two-letter code; "--", "Status=..." and
    // notes do not.
    if (fields.empty() || fields[0].size() != 2 || !absl::StrContains("UD", fields[0][0]) ||
        !absl::StrContains("NLJM", fields[0][1])) {
      continue;
    }
    if (!header) {
      return absl::InvalidArgumentError(absl::StrCat("nodetool status output, line ", number,
                                                     ": a member line (\"", CutText(line, 80),
                                                     "\") before any \"Datacenter:\" header"));
    }
    if (fields.size() < 2 || !IsAddressLiteral(std::string(fields[1]))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "nodetool status output, line ", number, ": \"", CutText(line, 80),
          "\" does not name an address after its status (want e.g. \"UN  198.18.0.1 ...\")"));
    }
    members.push_back({std::string(fields[1]), fields[0][0] == 'U', fields[0][1]});
  }
  if (!header) {
    return absl::InvalidArgumentError("not nodetool status output: it has no \"Datacenter:\" line");
  }
  return members;
}

std::string StatusCode(const RingMember& member) {
  return absl::StrCat(member.up ? "U" : "D", std::string(1, member.state));
}

}  // namespace bamctl
