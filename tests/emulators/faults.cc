#include "tests/emulators/faults.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"

namespace bamctl::emulator {

absl::StatusOr<Faults> ParseFaults(absl::string_view text, absl::string_view scope,
                                   absl::string_view file_name) {
  const std::pair<absl::string_view, bool Faults::*> kWords[] = {
      {"exit-at-start", &Faults::exit_at_start}, {"crash-at-start", &Faults::crash_at_start},
      {"hang-at-start", &Faults::hang_at_start}, {"crash-now", &Faults::crash_now},
      {"ignore-term", &Faults::ignore_term},     {"save-fails", &Faults::save_fails},
  };
  Faults faults;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    absl::string_view word = line;
    bool applies = true;
    if (size_t colon = line.find(':'); colon != absl::string_view::npos) {
      applies = absl::StripAsciiWhitespace(line.substr(0, colon)) == scope;
      word = absl::StripAsciiWhitespace(line.substr(colon + 1));
    }
    bool known = false;
    for (const auto& [name, member] : kWords) {
      if (word != name) continue;
      known = true;
      if (applies) faults.*member = true;
    }
    if (!known) {
      return absl::InvalidArgumentError(absl::StrCat(
          file_name, ":", line_number, ": unknown fault \"", word,
          "\" (valid: exit-at-start, crash-at-start, hang-at-start, crash-now, ignore-term, "
          "save-fails, each optionally as SERVICE:FAULT)"));
    }
  }
  return faults;
}

absl::StatusOr<Faults> ReadFaults(const std::string& path, absl::string_view scope) {
  absl::StatusOr<std::optional<std::string>> text = ReadFileIfExists(path);
  if (!text.ok()) return text.status();
  return ParseFaults(text->value_or(""), scope, path);
}

}  // namespace bamctl::emulator
