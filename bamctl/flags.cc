#include "bamctl/flags.h"

#include <algorithm>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bamctl/cli.h"
#include "common/file_util.h"

namespace bamctl {

absl::StatusOr<Flags> ParseFlags(const std::vector<std::string>& args, size_t start,
                                 const std::vector<std::string>& names,
                                 const std::map<std::string, std::string>& short_names,
                                 const std::vector<std::string>& switches) {
  auto contains = [](const std::vector<std::string>& list, const std::string& name) {
    return std::find(list.begin(), list.end(), name) != list.end();
  };
  Flags flags;
  for (size_t i = start; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.empty() || arg[0] != '-' || arg == "-") {
      flags.positional.push_back(arg);
      continue;
    }
    std::string name;
    std::optional<std::string> value;
    if (absl::StartsWith(arg, "--")) {
      name = arg.substr(2);
      if (size_t eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
      }
    } else if (auto it = short_names.find(arg); it != short_names.end()) {
      name = it->second;
    }
    if (contains(switches, name)) {
      if (value) {
        return absl::InvalidArgumentError(absl::StrCat("flag --", name, " takes no value"));
      }
      flags.values[name] = "true";
      continue;
    }
    if (!contains(names, name)) {
      std::vector<std::string> valid;
      valid.reserve(names.size() + switches.size() + short_names.size());
      for (const auto& n : names) valid.push_back("--" + n);
      for (const auto& n : switches) valid.push_back("--" + n);
      for (const auto& [s, n] : short_names) valid.push_back(s);
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag ", arg,
                       "; valid here: ", valid.empty() ? "none" : absl::StrJoin(valid, ", ")));
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("flag ", arg, " needs a value"));
      }
      value = args[++i];
    }
    flags.values[name] = *value;
  }
  return flags;
}

absl::StatusOr<std::optional<int64_t>> IntFlag(const Flags& flags, const std::string& name,
                                               int64_t min, int64_t max) {
  std::optional<std::string> text = flags.Get(name);
  if (!text) return std::nullopt;
  int64_t value = 0;
  if (!absl::SimpleAtoi(*text, &value) || value < min || value > max) {
    const std::string range =
        max == INT64_MAX ? absl::StrCat(">= ", min) : absl::StrCat("from ", min, " to ", max);
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, "=", *text, ": want a whole number ", range));
  }
  return value;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  absl::StatusOr<std::optional<std::string>> text = ReadFileIfExists(path);
  if (!text.ok()) return text.status();
  if (!text->has_value()) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": no such file"));
  }
  return **text;
}

int UsageError(std::ostream& err, absl::string_view message) {
  err << "bamctl: " << message << "\nRun 'bamctl help' for usage.\n";
  return kExitUsage;
}

}  // namespace bamctl
