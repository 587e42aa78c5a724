#include "common/text_diff.h"

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"

namespace bamctl {
namespace {

constexpr absl::string_view kHeader = "--- old\n+++ new\n";

std::string Diff(absl::string_view old_text, absl::string_view new_text, int context = 3) {
  return UnifiedDiff(old_text, new_text, "old", "new", context);
}

// "1\n2\n...\n<n>\n".
std::string NumberedLines(int n) {
  std::string text;
  for (int i = 1; i <= n; ++i) absl::StrAppend(&text, i, "\n");
  return text;
}

// Splits into lines that keep their '\n' (the last may lack it).
std::vector<std::string> Lines(absl::string_view text) {
  std::vector<std::string> lines;
  for (absl::string_view piece : absl::StrSplit(text, absl::ByString("\n"))) {
    lines.push_back(absl::StrCat(piece, "\n"));
  }
  // StrSplit yields a final piece after the last '\n' ("" for text ending in
  // one); drop it or its invented newline.
  if (lines.back() == "\n") {
    lines.pop_back();
  } else {
    lines.back().pop_back();
  }
  return lines;
}

// Parses "start[,count]" from a hunk header; a missing count means 1.
bool ParseRange(absl::string_view range, size_t* start, size_t* count) {
  const std::vector<absl::string_view> parts = absl::StrSplit(range, ',');
  *count = 1;
  if (parts.size() > 2 || !absl::SimpleAtoi(parts[0], start)) return false;
  return parts.size() == 1 || absl::SimpleAtoi(parts[1], count);
}

// A minimal `patch`: applies `diff` to `old_text`, checking that every context
// and removed line matches, that hunk headers agree with their bodies and that
// hunks are ordered and disjoint. Reports a failure and returns nullopt on any
// mismatch.
std::optional<std::string> ApplyDiff(absl::string_view old_text, absl::string_view diff) {
  if (diff.empty()) return std::string(old_text);
  if (!absl::StartsWith(diff, kHeader) || diff.back() != '\n') {
    ADD_FAILURE() << "bad file header or unterminated diff:\n" << diff;
    return std::nullopt;
  }
  // Body lines as (prefix, line with its '\n' unless a marker followed).
  struct Entry {
    char prefix;
    std::string line;
  };
  std::vector<std::string> raw =
      absl::StrSplit(diff.substr(kHeader.size(), diff.size() - kHeader.size() - 1), '\n');
  const std::vector<std::string> old_lines = Lines(old_text);
  std::string result;
  size_t old_pos = 0;  // Next old line not yet copied or consumed.
  size_t new_count = 0;
  size_t r = 0;
  while (r < raw.size()) {
    const std::vector<std::string> header = absl::StrSplit(raw[r], ' ');
    size_t a_start, a_count, b_start, b_count;
    if (header.size() != 4 || header[0] != "@@" || header[3] != "@@" || header[1][0] != '-' ||
        header[2][0] != '+' || !ParseRange(header[1].substr(1), &a_start, &a_count) ||
        !ParseRange(header[2].substr(1), &b_start, &b_count)) {
      ADD_FAILURE() << "bad hunk header '" << raw[r] << "' in:\n" << diff;
      return std::nullopt;
    }
    ++r;
    std::vector<Entry> body;
    for (; r < raw.size() && !absl::StartsWith(raw[r], "@@"); ++r) {
      if (raw[r] == "\\ No newline at end of file" && !body.empty() &&
          body.back().line.back() == '\n') {
        body.back().line.pop_back();
      } else if (!raw[r].empty() && (raw[r][0] == ' ' || raw[r][0] == '-' || raw[r][0] == '+')) {
        body.push_back({raw[r][0], raw[r].substr(1) + "\n"});
      } else {
        ADD_FAILURE() << "bad body line '" << raw[r] << "' in:\n" << diff;
        return std::nullopt;
      }
    }
    // An empty range names the line before it.
    const size_t a_begin = a_count == 0 ? a_start : a_start - 1;
    const size_t b_begin = b_count == 0 ? b_start : b_start - 1;
    if ((a_count > 0 && a_start == 0) || (b_count > 0 && b_start == 0) || a_begin < old_pos ||
        a_begin > old_lines.size()) {
      ADD_FAILURE() << "hunk out of place '" << header[1] << "' in:\n" << diff;
      return std::nullopt;
    }
    for (; old_pos < a_begin; ++old_pos, ++new_count) result += old_lines[old_pos];
    if (new_count != b_begin) {
      ADD_FAILURE() << "new start " << b_start << " does not match in:\n" << diff;
      return std::nullopt;
    }
    size_t seen_old = 0;
    size_t seen_new = 0;
    for (const Entry& entry : body) {
      if (entry.prefix != '+') {
        if (old_pos >= old_lines.size() || old_lines[old_pos] != entry.line) {
          ADD_FAILURE() << "line '" << entry.line << "' does not match old in:\n" << diff;
          return std::nullopt;
        }
        ++old_pos;
        ++seen_old;
      }
      if (entry.prefix != '-') {
        result += entry.line;
        ++new_count;
        ++seen_new;
      }
    }
    if (seen_old != a_count || seen_new != b_count) {
      ADD_FAILURE() << "counts do not match header in:\n" << diff;
      return std::nullopt;
    }
  }
  for (; old_pos < old_lines.size(); ++old_pos) result += old_lines[old_pos];
  return result;
}

// Removed plus added lines in `diff`, which has the file header kHeader.
size_t CountEdits(absl::string_view diff) {
  size_t edits = 0;
  absl::ConsumePrefix(&diff, kHeader);
  for (absl::string_view line : absl::StrSplit(diff, '\n')) {
    if (absl::StartsWith(line, "-") || absl::StartsWith(line, "+")) ++edits;
  }
  return edits;
}

// Length of a longest common subsequence of lines, by dynamic programming.
size_t LcsLength(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::vector<size_t>> table(a.size() + 1, std::vector<size_t>(b.size() + 1, 0));
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      table[i][j] = a[i - 1] == b[j - 1] ? table[i - 1][j - 1] + 1
                                         : std::max(table[i - 1][j], table[i][j - 1]);
    }
  }
  return table[a.size()][b.size()];
}

TEST(UnifiedDiffTest, EqualTextsGiveEmptyDiff) {
  EXPECT_EQ(Diff("", ""), "");
  EXPECT_EQ(Diff("a\nb\n", "a\nb\n"), "");
  EXPECT_EQ(Diff("a\nb", "a\nb"), "");
}

TEST(UnifiedDiffTest, OneChangedLine) {
  EXPECT_EQ(UnifiedDiff("a\nb\nc\n", "a\nB\nc\n", "a/x.yaml", "b/x.yaml"),
            "--- a/x.yaml\n"
            "+++ b/x.yaml\n"
            "@@ -1,3 +1,3 @@\n"
            " a\n"
            "-b\n"
            "+B\n"
            " c\n");
  EXPECT_EQ(Diff("x\n", "y\n"), absl::StrCat(kHeader, "@@ -1 +1 @@\n-x\n+y\n"));
}

TEST(UnifiedDiffTest, ContextIsLimited) {
  EXPECT_EQ(Diff(NumberedLines(10), "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n"),
            absl::StrCat(kHeader, "@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"));
  EXPECT_EQ(Diff(NumberedLines(10), "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n", 1),
            absl::StrCat(kHeader, "@@ -4,3 +4,3 @@\n 4\n-5\n+five\n 6\n"));
  EXPECT_EQ(Diff(NumberedLines(10), "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n", 0),
            absl::StrCat(kHeader, "@@ -5 +5 @@\n-5\n+five\n"));
}

TEST(UnifiedDiffTest, InsertionAtStart) {
  EXPECT_EQ(Diff("a\nb\n", "x\na\nb\n"), absl::StrCat(kHeader, "@@ -1,2 +1,3 @@\n+x\n a\n b\n"));
  EXPECT_EQ(Diff(NumberedLines(5), absl::StrCat("x\n", NumberedLines(5)), 0),
            absl::StrCat(kHeader, "@@ -0,0 +1 @@\n+x\n"));
}

TEST(UnifiedDiffTest, InsertionAtEnd) {
  EXPECT_EQ(Diff("a\nb\n", "a\nb\nc\nd\n"),
            absl::StrCat(kHeader, "@@ -1,2 +1,4 @@\n a\n b\n+c\n+d\n"));
  EXPECT_EQ(Diff(NumberedLines(5), NumberedLines(6), 0),
            absl::StrCat(kHeader, "@@ -5,0 +6 @@\n+6\n"));
}

TEST(UnifiedDiffTest, Deletion) {
  EXPECT_EQ(Diff(NumberedLines(10), "1\n2\n3\n4\n6\n7\n8\n9\n10\n"),
            absl::StrCat(kHeader, "@@ -2,7 +2,6 @@\n 2\n 3\n 4\n-5\n 6\n 7\n 8\n"));
  EXPECT_EQ(Diff("a\nb\nc\n", "c\n"), absl::StrCat(kHeader, "@@ -1,3 +1 @@\n-a\n-b\n c\n"));
  EXPECT_EQ(Diff(NumberedLines(5), "1\n2\n3\n5\n", 0),
            absl::StrCat(kHeader, "@@ -4 +3,0 @@\n-4\n"));
}

TEST(UnifiedDiffTest, CreatedFile) {
  EXPECT_EQ(UnifiedDiff("", "a\nb\n", "/dev/null", "b/new.conf"),
            "--- /dev/null\n+++ b/new.conf\n@@ -0,0 +1,2 @@\n+a\n+b\n");
  EXPECT_EQ(Diff("", "a\n"), absl::StrCat(kHeader, "@@ -0,0 +1 @@\n+a\n"));
  EXPECT_EQ(Diff("", "a"),
            absl::StrCat(kHeader, "@@ -0,0 +1 @@\n+a\n\\ No newline at end of file\n"));
}

TEST(UnifiedDiffTest, DeletedFile) {
  EXPECT_EQ(UnifiedDiff("a\nb\n", "", "a/old.conf", "/dev/null"),
            "--- a/old.conf\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n");
  EXPECT_EQ(Diff("a", ""),
            absl::StrCat(kHeader, "@@ -1 +0,0 @@\n-a\n\\ No newline at end of file\n"));
}

TEST(UnifiedDiffTest, MissingFinalNewline) {
  // Added newline.
  EXPECT_EQ(Diff("a\nb", "a\nb\n"),
            absl::StrCat(kHeader, "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"));
  // Removed newline.
  EXPECT_EQ(Diff("a\nb\n", "a\nb"),
            absl::StrCat(kHeader, "@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n"));
  // Neither side has one, and the last line is context: one marker.
  EXPECT_EQ(
      Diff("a\nb\nc", "A\nb\nc"),
      absl::StrCat(kHeader, "@@ -1,3 +1,3 @@\n-a\n+A\n b\n c\n\\ No newline at end of file\n"));
  // Both last lines change.
  EXPECT_EQ(Diff("a\nb", "a\nc"),
            absl::StrCat(kHeader,
                         "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n"
                         "+c\n\\ No newline at end of file\n"));
  // A line appended after an unterminated one.
  EXPECT_EQ(Diff("a", "a\nb"), absl::StrCat(kHeader,
                                            "@@ -1 +1,2 @@\n-a\n\\ No newline at end of file\n+a\n"
                                            "+b\n\\ No newline at end of file\n"));
}

TEST(UnifiedDiffTest, DistantChangesGiveTwoHunks) {
  EXPECT_EQ(Diff(NumberedLines(20),
                 "1\nTWO\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\nEIGHTEEN\n19\n20\n"),
            absl::StrCat(kHeader, "@@ -1,5 +1,5 @@\n 1\n-2\n+TWO\n 3\n 4\n 5\n",
                         "@@ -15,6 +15,6 @@\n 15\n 16\n 17\n-18\n+EIGHTEEN\n 19\n 20\n"));
  // Seven unchanged lines between changes are one too many to merge.
  EXPECT_EQ(
      Diff(NumberedLines(20),
           "1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n10\n11\n12\nTHIRTEEN\n14\n15\n16\n17\n18\n19\n20\n"),
      absl::StrCat(kHeader, "@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n",
                   "@@ -10,7 +10,7 @@\n 10\n 11\n 12\n-13\n+THIRTEEN\n 14\n 15\n 16\n"));
}

TEST(UnifiedDiffTest, CloseChangesShareOneHunk) {
  // Six unchanged lines between changes: the two contexts touch.
  EXPECT_EQ(Diff(NumberedLines(20),
                 "1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n10\n11\nTWELVE\n13\n14\n15\n16\n17\n18\n19\n20\n"),
            absl::StrCat(kHeader,
                         "@@ -2,14 +2,14 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n 9\n 10\n 11\n"
                         "-12\n+TWELVE\n 13\n 14\n 15\n"));
  EXPECT_EQ(Diff("a\nb\nc\nd\n", "A\nb\nc\nD\n", 1),
            absl::StrCat(kHeader, "@@ -1,4 +1,4 @@\n-a\n+A\n b\n c\n-d\n+D\n"));
}

TEST(UnifiedDiffTest, LargeInputWithThreeChanges) {
  const std::string old_text = NumberedLines(20000);
  std::string new_text;
  for (int i = 1; i <= 20000; ++i) {
    if (i == 100) {
      new_text += "one hundred\n";
    } else if (i == 19000) {
      continue;
    } else {
      absl::StrAppend(&new_text, i, "\n");
    }
    if (i == 10000) new_text += "inserted 1\ninserted 2\n";
  }
  EXPECT_EQ(Diff(old_text, new_text),
            absl::StrCat(kHeader,
                         "@@ -97,7 +97,7 @@\n 97\n 98\n 99\n-100\n+one hundred\n 101\n 102\n 103\n",
                         "@@ -9998,6 +9998,8 @@\n 9998\n 9999\n 10000\n+inserted 1\n+inserted 2\n"
                         " 10001\n 10002\n 10003\n",
                         "@@ -18997,7 +18999,6 @@\n 18997\n 18998\n 18999\n-19000\n 19001\n"
                         " 19002\n 19003\n"));
}

TEST(UnifiedDiffTest, WholesaleRewriteOfLargeFile) {
  std::string old_text;
  std::string new_text;
  std::string expected = absl::StrCat(kHeader, "@@ -1,30000 +1,30000 @@\n");
  for (int i = 0; i < 30000; ++i) {
    absl::StrAppend(&old_text, "old ", i, "\n");
    absl::StrAppend(&new_text, "new ", i, "\n");
    absl::StrAppend(&expected, "-old ", i, "\n");
  }
  for (int i = 0; i < 30000; ++i) absl::StrAppend(&expected, "+new ", i, "\n");
  EXPECT_EQ(Diff(old_text, new_text), expected);
}

TEST(UnifiedDiffTest, LargeRepetitiveInputIsMinimal) {
  // Every line occurs on both sides many times: no shortcut applies.
  std::string old_text;
  std::string new_text;
  for (int i = 0; i < 15000; ++i) {
    old_text += "a\nb\n";
    new_text += "b\na\n";
  }
  const std::string diff = Diff(old_text, new_text);
  EXPECT_EQ(CountEdits(diff), 2u);
  EXPECT_EQ(ApplyDiff(old_text, diff), new_text);
}

TEST(UnifiedDiffTest, OutputIsDeterministic) {
  const std::string old_text = "a\nb\nc\na\nb\nb\na\n";
  const std::string new_text = "c\nb\na\nb\na\nc\n";
  EXPECT_EQ(Diff(old_text, new_text), Diff(old_text, new_text));
}

// Random small texts over a tiny alphabet (many repeats, so many equally
// short edit scripts): the diff applies, is minimal, and is "" only for
// equal texts.
TEST(UnifiedDiffTest, RandomDiffsApplyAndAreMinimal) {
  std::mt19937 rng(20240611);
  const std::vector<std::string> alphabet = {"a", "b", "c", "d", ""};
  auto random_text = [&]() {
    std::string text;
    const int lines = std::uniform_int_distribution<int>(0, 14)(rng);
    for (int i = 0; i < lines; ++i) {
      text += alphabet[std::uniform_int_distribution<size_t>(0, alphabet.size() - 1)(rng)];
      text += "\n";
    }
    if (!text.empty() && rng() % 4 == 0) text.pop_back();
    return text;
  };
  for (int round = 0; round < 500; ++round) {
    const std::string old_text = random_text();
    const std::string new_text = rng() % 8 == 0 ? old_text : random_text();  // Sometimes equal.
    const int context = std::uniform_int_distribution<int>(0, 3)(rng);
    SCOPED_TRACE(absl::StrCat("round ", round, " context ", context, "\nold:\n", old_text,
                              "\nnew:\n", new_text));
    const std::string diff = Diff(old_text, new_text, context);
    if (old_text == new_text) {
      EXPECT_EQ(diff, "");
      continue;
    }
    ASSERT_NE(diff, "");
    EXPECT_EQ(ApplyDiff(old_text, diff), new_text) << diff;
    const std::vector<std::string> a = Lines(old_text);
    const std::vector<std::string> b = Lines(new_text);
    EXPECT_EQ(CountEdits(diff), a.size() + b.size() - 2 * LcsLength(a, b)) << diff;
  }
}

}  // namespace
}  // namespace bamctl
