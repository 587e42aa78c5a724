#ifndef BAMCTL_CONTROLLER_STORE_MIGRATIONS_H_
#define BAMCTL_CONTROLLER_STORE_MIGRATIONS_H_

#include <string>

#include "absl/status/status.h"
#include "controller/store/sqlite.h"

namespace bamctl {

// The controller database's schema: forward-only migrations keyed by
// PRAGMA user_version, each an SQL script and an optional C++ step for data
// SQL cannot convert, applied in one transaction each.

// Checks that `db` (opened from `path`, named in errors) is a
// bam-controller database or empty (PRAGMA application_id), refuses a
// schema newer than this binary's, and applies the missing migrations.
absl::Status Migrate(SqliteDb& db, const std::string& path);

// The schema version this binary writes: the number of migrations.
int LatestSchemaVersion();

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_STORE_MIGRATIONS_H_
