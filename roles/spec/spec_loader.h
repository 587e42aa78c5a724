#ifndef BAMCTL_ROLES_SPEC_SPEC_LOADER_H_
#define BAMCTL_ROLES_SPEC_SPEC_LOADER_H_

#include <vector>

#include "absl/strings/string_view.h"
#include "proto/spec.pb.h"
#include "roles/spec/diagnostic.h"

namespace bamctl {

// A spec read from text: the effective spec (defaults applied), where each
// written field came from, and every finding. Use `spec` only when ok().
struct LoadedSpec {
  v1::ClusterSpec spec;
  SourceMap sources;
  std::vector<Diagnostic> diagnostics;  // errors and warnings, in file order

  bool ok() const { return !HasErrors(diagnostics); }
};

// Limits that keep one apply's cost bounded: the controller compiles,
// stores and diffs every spec it is sent.
inline constexpr size_t kMaxSpecBytes = size_t{4} << 20;
inline constexpr int kMaxSpecNodes = 10000;

// Parses YAML, applies defaults and validates. Pure: reads nothing but
// `yaml_text`. Semantic checks run only when the text parsed cleanly, so a
// typo does not cascade into a page of follow-on errors.
LoadedSpec LoadSpec(absl::string_view yaml_text);

}  // namespace bamctl

#endif  // BAMCTL_ROLES_SPEC_SPEC_LOADER_H_
