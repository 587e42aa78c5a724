#ifndef BAMCTL_COMMON_FILE_UTIL_H_
#define BAMCTL_COMMON_FILE_UTIL_H_

#include <sys/types.h>

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bamctl {

// Replaces the file at `path` with `content` so that a crash at any moment
// leaves either the old or the new bytes: write a temp file in the same
// directory, fsync it, chmod to `mode`, rename over `path`, fsync the
// directory. Creates missing parent directories (0755). The file never
// exists with a wider mode than `mode`, even briefly.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view content, mode_t mode);

// Writes `content` to a new file `path` with `mode` from its creation (a key
// is never readable by others, not even before a chmod), fsynced, and links
// it into place only if `path` is free (AlreadyExists otherwise): a crash
// leaves no half-written file, and an existing file is never replaced. The
// caller syncs the directory (SyncDirectory) once it has written its files.
absl::Status WriteNewFile(const std::string& path, absl::string_view content, mode_t mode);

// fsync of directory `dir`, so the names created or renamed in it survive
// a crash.
absl::Status SyncDirectory(const std::string& dir);

// The directory part of `path` ("." for a bare name, "/" for the root).
std::string ParentDirectory(const std::string& path);

// The content of `path`, nullopt when it does not exist; other failures
// (permissions, a directory) are errors naming the path.
absl::StatusOr<std::optional<std::string>> ReadFileIfExists(const std::string& path);

// mkdir -p: `path` itself is created with `mode`, missing parents with 0755.
absl::Status MakeDirs(const std::string& path, mode_t mode);

// Makes `path` a regular file with at most the permissions in `mode`:
// creates it empty with `mode` if missing (never following a symlink),
// takes away the bits outside `mode` if it has more. For files that must
// never be readable by others, before anything is written to them.
absl::Status EnsureFileMode(const std::string& path, mode_t mode);

}  // namespace bamctl

#endif  // BAMCTL_COMMON_FILE_UTIL_H_
