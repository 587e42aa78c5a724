#ifndef BAMCTL_TESTS_EMULATORS_FAULTS_H_
#define BAMCTL_TESTS_EMULATORS_FAULTS_H_

// Faults a test injects into emulated products without touching the agent:
// the file <home>/emulator-fault, one fault a line, optionally scoped to one
// service or init step ("datanode:exit-at-start"); '#' starts a comment.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bamctl::emulator {

inline constexpr absl::string_view kFaultFileName = "emulator-fault";

struct Faults {
  bool exit_at_start = false;   // print an error, exit 1
  bool crash_at_start = false;  // abort() (SIGABRT, like a JVM crash)
  bool hang_at_start = false;   // bind nothing; wait for SIGTERM/SIGINT
  bool crash_now = false;       // while running: SIGKILL itself (exit status 137)
  bool ignore_term = false;     // SIGTERM/SIGINT are logged and ignored; only SIGKILL stops it
  bool save_fails = false;      // namenode: saveNamespace fails (as on a full disk)
};

// The faults of `text` that apply to `scope` (unscoped lines apply to every
// program of the install). An unknown fault word is an error naming
// `file_name`, the line and the valid words, so a typo cannot pass silently.
absl::StatusOr<Faults> ParseFaults(absl::string_view text, absl::string_view scope,
                                   absl::string_view file_name);

// ParseFaults of the file at `path`; no file means no faults.
absl::StatusOr<Faults> ReadFaults(const std::string& path, absl::string_view scope);

}  // namespace bamctl::emulator

#endif  // BAMCTL_TESTS_EMULATORS_FAULTS_H_
