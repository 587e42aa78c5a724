#include "tests/util/test_util.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace bamctl::testing {

std::filesystem::path SourceDir() {
  const char* dir = std::getenv("BAMCTL_SOURCE_DIR");
  return dir != nullptr ? std::filesystem::path(dir) : std::filesystem::current_path();
}

std::string ReadSourceFile(absl::string_view relative_path) {
  std::filesystem::path path = SourceDir() / std::string(relative_path);
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string ReplaceOnce(const std::string& text, absl::string_view from, absl::string_view to) {
  const std::string needle(from);
  size_t at = text.find(needle);
  if (at == std::string::npos || text.find(needle, at + 1) != std::string::npos) {
    ADD_FAILURE() << "expected exactly one occurrence of \"" << needle << "\"";
    return text;
  }
  std::string out = text;
  out.replace(at, needle.size(), std::string(to));
  return out;
}

int LineOf(const std::string& text, absl::string_view needle) {
  size_t at = text.find(std::string(needle));
  if (at == std::string::npos) return 0;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

std::filesystem::path MakeTempDir(absl::string_view prefix) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::filesystem::path root = base != nullptr ? base : std::filesystem::temp_directory_path();
  std::string pattern = (root / absl::StrCat(prefix, "XXXXXX")).string();
  char* made = mkdtemp(pattern.data());
  EXPECT_NE(made, nullptr) << "mkdtemp " << pattern;
  return made != nullptr ? std::filesystem::path(made) : root;
}

}  // namespace bamctl::testing
