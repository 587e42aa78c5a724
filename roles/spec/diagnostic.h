#ifndef BAMCTL_ROLES_SPEC_DIAGNOSTIC_H_
#define BAMCTL_ROLES_SPEC_DIAGNOSTIC_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace bamctl {

// 1-based position in a spec file; line 0 means "no position known".
struct SourcePos {
  int line = 0;
  int column = 0;
};

// Where each field of a parsed spec came from, keyed by field path
// ("nodes[2].roles[0]", "cassandra.replication_factor"). Fields filled in by
// defaults have no entry; Lookup then falls back to the nearest ancestor that
// was written, so every message can still point somewhere useful.
class SourceMap {
 public:
  void Record(std::string path, SourcePos pos);

  // Position of `path`, else of its nearest recorded ancestor, else {0, 0}.
  SourcePos Lookup(absl::string_view path) const;

  // True when `path` itself was written in the file (not defaulted).
  bool Contains(absl::string_view path) const;

 private:
  std::map<std::string, SourcePos, std::less<>> positions_;
};

enum class Severity { kError, kWarning };

// One finding about a spec: what is wrong, where, and what would be valid.
struct Diagnostic {
  Severity severity = Severity::kError;
  std::string path;  // field path; empty for file-level problems
  SourcePos pos;
  std::string message;
};

// "FILE:LINE:COL: error: PATH: MESSAGE" (position and path left out when
// unknown), the layout compilers use so editors can jump to it.
std::string FormatDiagnostic(absl::string_view file, const Diagnostic& d);

bool HasErrors(const std::vector<Diagnostic>& diagnostics);

// Collects diagnostics, looking positions up in a SourceMap.
class DiagnosticSink {
 public:
  explicit DiagnosticSink(const SourceMap* sources) : sources_(sources) {}

  void Error(std::string path, std::string message);
  void Warning(std::string path, std::string message);
  // An error at a known position, for problems found while reading the file.
  void ErrorAt(std::string path, SourcePos pos, std::string message);

  std::vector<Diagnostic> Take() { return std::move(diagnostics_); }

 private:
  void Add(Severity severity, std::string path, std::string message);

  const SourceMap* sources_;
  std::vector<Diagnostic> diagnostics_;
};

}  // namespace bamctl

#endif  // BAMCTL_ROLES_SPEC_DIAGNOSTIC_H_
