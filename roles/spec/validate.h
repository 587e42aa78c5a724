#ifndef BAMCTL_ROLES_SPEC_VALIDATE_H_
#define BAMCTL_ROLES_SPEC_VALIDATE_H_

#include <vector>

#include "proto/spec.pb.h"
#include "roles/spec/diagnostic.h"

namespace bamctl {

// Checks an effective spec (ApplyDefaults already run) for everything that
// would make a cluster fail or lose availability, and returns every finding:
// errors for specs that cannot work, warnings for ones that work but are
// fragile. Positions come from `sources`; fields that were defaulted point
// at their nearest written ancestor and say so. docs/spec.md lists the rules.
std::vector<Diagnostic> ValidateSpec(const v1::ClusterSpec& spec, const SourceMap& sources);

}  // namespace bamctl

#endif  // BAMCTL_ROLES_SPEC_VALIDATE_H_
