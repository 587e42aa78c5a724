#ifndef BAMCTL_COMMON_TEXT_DIFF_H_
#define BAMCTL_COMMON_TEXT_DIFF_H_

#include <string>

#include "absl/strings/string_view.h"

namespace bamctl {

// Line-based unified diff of `old_text` against `new_text`, in the format of
// GNU `diff -u` / `git diff` (so `patch` and `git apply` accept it):
//
//   --- old_label
//   +++ new_label
//   @@ -a,b +c,d @@
//    context line
//   -removed line
//   +added line
//
// Returns "" when the texts are equal. Lines are split on '\n' and compared
// byte for byte (a '\r' is part of the line). A range of one line is written
// without its count ("@@ -3 +3 @@"); an empty range names the line before it
// ("@@ -0,0 +1,2 @@" for a created file). Each hunk carries up to `context`
// (negative means 0) unchanged lines on either side; hunks whose context would
// touch or overlap are merged. A last line without '\n' is followed by
// "\ No newline at end of file".
//
// The edit script is a minimal one (fewest added plus removed lines), found
// with Myers' O(ND) algorithm in linear space, and the output is
// deterministic. Time is O((N+M)·D) for N and M lines and D changed lines,
// memory O(N+M); lines that occur on one side only are set aside first, so a
// wholesale rewrite is linear too.
std::string UnifiedDiff(absl::string_view old_text, absl::string_view new_text,
                        absl::string_view old_label, absl::string_view new_label, int context = 3);

}  // namespace bamctl

#endif  // BAMCTL_COMMON_TEXT_DIFF_H_
