#include "agentd/agent/config_file.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace bamctl {

absl::StatusOr<std::vector<std::string>> ParseAgentConfig(
    absl::string_view text, absl::string_view file_name,
    const std::function<bool(absl::string_view)>& is_flag,
    const std::vector<std::string>& valid_names) {
  std::vector<std::string> args;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    absl::ConsumePrefix(&line, "--");
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(file_name, ":", line_no, ": expected `name = value`, got \"", line, "\""));
    }
    const absl::string_view name = absl::StripAsciiWhitespace(line.substr(0, eq));
    const absl::string_view value = absl::StripAsciiWhitespace(line.substr(eq + 1));
    if (!is_flag(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat(file_name, ":", line_no, ": unknown setting \"", name,
                       "\"; valid settings: ", absl::StrJoin(valid_names, ", ")));
    }
    args.push_back(absl::StrCat("--", name, "=", value));
  }
  return args;
}

}  // namespace bamctl
