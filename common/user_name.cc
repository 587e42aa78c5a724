#include "common/user_name.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace bamctl {

std::optional<std::string> RoleUserProblem(absl::string_view user) {
  if (user.empty()) return "is empty";
  if (user == "root") return "is root";
  if (absl::ascii_isdigit(user.front())) {
    uint32_t uid = 0;
    if (user.find_first_not_of("0123456789") != absl::string_view::npos ||
        !absl::SimpleAtoi(user, &uid)) {
      return "starts with a digit but is not a uid";
    }
    if (uid == 0) return "is uid 0 (root)";
    return std::nullopt;
  }
  if (user.size() > 32) return "is longer than 32 characters";
  if (!absl::ascii_isalpha(user.front()) && user.front() != '_') {
    return "does not start with a letter or '_'";
  }
  for (char c : user) {
    if (absl::ascii_isalnum(c) || c == '_' || c == '-' || c == '.') continue;
    // Shown as the validator shows values: a control character escaped.
    if (c == '\n') return "contains \"\\n\"";
    if (c == '\r') return "contains \"\\r\"";
    if (c == '\t') return "contains \"\\t\"";
    if (absl::ascii_iscntrl(c)) {
      return absl::StrCat("contains \"\\x",
                          absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2), "\"");
    }
    return absl::StrCat("contains \"", std::string(1, c), "\"");
  }
  return std::nullopt;
}

}  // namespace bamctl
