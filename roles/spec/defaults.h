#ifndef BAMCTL_ROLES_SPEC_DEFAULTS_H_
#define BAMCTL_ROLES_SPEC_DEFAULTS_H_

#include "proto/spec.pb.h"

namespace bamctl {

// Fills every unset field of `spec` with its default, turning what the user
// wrote into the effective spec. Defaults are the seed procedure's values;
// some derive from other fields (dfs.name.dir under hadoop.home, Cassandra
// seeds from the first Cassandra node, the toolbox deployer on the first
// analyzer, ZooKeeper ids from node positions). Fields the user set are never
// changed. Idempotent; runs before validation, so it tolerates invalid input.
void ApplyDefaults(v1::ClusterSpec* spec);

}  // namespace bamctl

#endif  // BAMCTL_ROLES_SPEC_DEFAULTS_H_
