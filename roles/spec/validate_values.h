#ifndef BAMCTL_ROLES_SPEC_VALIDATE_VALUES_H_
#define BAMCTL_ROLES_SPEC_VALIDATE_VALUES_H_

#include "proto/spec.pb.h"
#include "roles/spec/diagnostic.h"

namespace bamctl {

// The value rules of ValidateSpec: paths, role users and the names that end
// up in shell-sourced or line-oriented files. The agents run as root and
// write these values into files their products source or parse line by
// line, so each value is held to a character set that needs no quoting
// there (the renderers quote anyway). docs/security.md lists the rules.
void CheckValues(const v1::ClusterSpec& spec, const SourceMap& sources, DiagnosticSink* sink);

}  // namespace bamctl

#endif  // BAMCTL_ROLES_SPEC_VALIDATE_VALUES_H_
