#include "roles/spec/diagnostic.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace bamctl {
namespace {

// "a.b[2].c" -> "a.b[2]" -> "a.b" -> "a" -> "".
absl::string_view ParentPath(absl::string_view path) {
  size_t cut = path.find_last_of(".[");
  if (cut == absl::string_view::npos) return {};
  return path.substr(0, cut);
}

}  // namespace

void SourceMap::Record(std::string path, SourcePos pos) {
  positions_.insert_or_assign(std::move(path), pos);
}

SourcePos SourceMap::Lookup(absl::string_view path) const {
  while (true) {
    if (auto it = positions_.find(path); it != positions_.end()) return it->second;
    if (path.empty()) return {};
    path = ParentPath(path);
  }
}

bool SourceMap::Contains(absl::string_view path) const {
  return positions_.find(path) != positions_.end();
}

std::string FormatDiagnostic(absl::string_view file, const Diagnostic& d) {
  std::string out(file);
  if (d.pos.line > 0) absl::StrAppend(&out, ":", d.pos.line, ":", d.pos.column);
  absl::StrAppend(&out, ": ", d.severity == Severity::kError ? "error" : "warning", ": ");
  if (!d.path.empty()) absl::StrAppend(&out, d.path, ": ");
  absl::StrAppend(&out, d.message);
  return out;
}

bool HasErrors(const std::vector<Diagnostic>& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

void DiagnosticSink::Error(std::string path, std::string message) {
  Add(Severity::kError, std::move(path), std::move(message));
}

void DiagnosticSink::Warning(std::string path, std::string message) {
  Add(Severity::kWarning, std::move(path), std::move(message));
}

void DiagnosticSink::ErrorAt(std::string path, SourcePos pos, std::string message) {
  diagnostics_.push_back({Severity::kError, std::move(path), pos, std::move(message)});
}

void DiagnosticSink::Add(Severity severity, std::string path, std::string message) {
  SourcePos pos = sources_ != nullptr ? sources_->Lookup(path) : SourcePos{};
  diagnostics_.push_back({severity, std::move(path), pos, std::move(message)});
}

}  // namespace bamctl
