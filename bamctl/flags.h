#ifndef BAMCTL_BAMCTL_FLAGS_H_
#define BAMCTL_BAMCTL_FLAGS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bamctl {

// A parsed command line: flags by long name, and positional words. A switch
// (a flag without a value) is stored with the value "true".
struct Flags {
  std::map<std::string, std::string> values;
  std::vector<std::string> positional;

  std::optional<std::string> Get(const std::string& name) const {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
  bool Has(const std::string& name) const { return values.count(name) > 0; }
};

// Parses args[start..] as "--name=value", "--name value" and "-x value" for
// the flags in `names` (which take a value), and "--name" for the flags in
// `switches` (which do not); `short_names` maps "-f" to "file". Anything else
// starting with '-' is an error naming the valid flags.
absl::StatusOr<Flags> ParseFlags(const std::vector<std::string>& args, size_t start,
                                 const std::vector<std::string>& names,
                                 const std::map<std::string, std::string>& short_names,
                                 const std::vector<std::string>& switches = {});

// The integer value of flag `name` when given; an error naming the flag
// unless it is a whole number in [min, max].
absl::StatusOr<std::optional<int64_t>> IntFlag(const Flags& flags, const std::string& name,
                                               int64_t min, int64_t max);

// The whole contents of the file at `path`, or an error naming it.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Reports a bad command line to `err`; returns kExitUsage.
int UsageError(std::ostream& err, absl::string_view message);

}  // namespace bamctl

#endif  // BAMCTL_BAMCTL_FLAGS_H_
