#ifndef BAMCTL_TESTS_UTIL_TEST_UTIL_H_
#define BAMCTL_TESTS_UTIL_TEST_UTIL_H_

#include <filesystem>
#include <string>

#include "absl/strings/string_view.h"

namespace bamctl::testing {

// Root of the source tree (CTest passes it as BAMCTL_SOURCE_DIR).
std::filesystem::path SourceDir();

// Contents of a file under the source tree, e.g. "examples/seed-cluster.yaml".
std::string ReadSourceFile(absl::string_view relative_path);

// `text` with the single occurrence of `from` replaced by `to`; fails the
// test (and returns `text` unchanged) when `from` occurs zero or many times,
// so a fixture edit cannot silently miss.
std::string ReplaceOnce(const std::string& text, absl::string_view from, absl::string_view to);

// 1-based line of the first occurrence of `needle` in `text`; 0 if absent.
int LineOf(const std::string& text, absl::string_view needle);

// A fresh empty directory under the test's temp dir, removed by the caller
// (or left for the test runner's cleanup of TEST_TMPDIR).
std::filesystem::path MakeTempDir(absl::string_view prefix);

}  // namespace bamctl::testing

#endif  // BAMCTL_TESTS_UTIL_TEST_UTIL_H_
