#include "common/text_diff.h"

#include <algorithm>
#include <climits>
#include <cstddef>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/strings/str_cat.h"

namespace bamctl {
namespace {

// Splits `text` into lines, each keeping its '\n'; only the last one may lack
// it. "" has no lines.
std::vector<absl::string_view> SplitLines(absl::string_view text) {
  std::vector<absl::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    const size_t newline = text.find('\n', start);
    if (newline == absl::string_view::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, newline + 1 - start));
    start = newline + 1;
  }
  return lines;
}

// Marks which elements of `a` and `b` are not part of one longest common
// subsequence: Myers' "An O(ND) Difference Algorithm and Its Variations"
// (1986), with the linear-space divide and conquer of its section 4b, laid out
// as in GNU diff's diag()/compareseq().
class MyersDiffer {
 public:
  // `a` and `b` must outlive the differ.
  MyersDiffer(const std::vector<int>& a, const std::vector<int>& b)
      : a_(a),
        b_(b),
        a_changed_(a.size(), false),
        b_changed_(b.size(), false),
        offset_(static_cast<int>(b.size()) + 1),
        forward_(a.size() + b.size() + 3),
        backward_(a.size() + b.size() + 3) {}

  // Fills a_changed() and b_changed(); call once.
  void Run() { Compare(0, static_cast<int>(a_.size()), 0, static_cast<int>(b_.size())); }

  const std::vector<bool>& a_changed() const { return a_changed_; }
  const std::vector<bool>& b_changed() const { return b_changed_; }

 private:
  // Furthest x reached on diagonal k (= x - y), forward and backward; k runs
  // over [-(M + 1), N + 1].
  int& Forward(int k) { return forward_[k + offset_]; }
  int& Backward(int k) { return backward_[k + offset_]; }

  // Diffs a_[xoff, xlim) against b_[yoff, ylim).
  void Compare(int xoff, int xlim, int yoff, int ylim) {
    while (xoff < xlim && yoff < ylim && a_[xoff] == b_[yoff]) {
      ++xoff;
      ++yoff;
    }
    while (xoff < xlim && yoff < ylim && a_[xlim - 1] == b_[ylim - 1]) {
      --xlim;
      --ylim;
    }
    if (xoff == xlim) {
      for (int y = yoff; y < ylim; ++y) b_changed_[y] = true;
      return;
    }
    if (yoff == ylim) {
      for (int x = xoff; x < xlim; ++x) a_changed_[x] = true;
      return;
    }
    // Both ranges are non-empty and differ at both ends, so the split point
    // lies strictly inside and both halves are smaller.
    int xmid = 0;
    int ymid = 0;
    FindMiddleSnake(xoff, xlim, yoff, ylim, &xmid, &ymid);
    Compare(xoff, xmid, yoff, ymid);
    Compare(xmid, xlim, ymid, ylim);
  }

  // Runs shortest edit paths from both corners of the range until they meet
  // and returns the meeting point, which lies on an optimal path. Requires
  // non-empty ranges whose first and last elements differ.
  void FindMiddleSnake(int xoff, int xlim, int yoff, int ylim, int* xmid, int* ymid) {
    const int dmin = xoff - ylim;
    const int dmax = xlim - yoff;
    const int fmid = xoff - yoff;
    const int bmid = xlim - ylim;
    const bool odd = ((fmid - bmid) & 1) != 0;
    int fmin = fmid;
    int fmax = fmid;
    int bmin = bmid;
    int bmax = bmid;
    Forward(fmid) = xoff;
    Backward(bmid) = xlim;
    for (;;) {
      // One more edit on every forward diagonal; sentinels just outside.
      if (fmin > dmin) {
        Forward(--fmin - 1) = -1;
      } else {
        ++fmin;
      }
      if (fmax < dmax) {
        Forward(++fmax + 1) = -1;
      } else {
        --fmax;
      }
      for (int k = fmax; k >= fmin; k -= 2) {
        const int lo = Forward(k - 1);
        const int hi = Forward(k + 1);
        int x = lo < hi ? hi : lo + 1;
        int y = x - k;
        while (x < xlim && y < ylim && a_[x] == b_[y]) {
          ++x;
          ++y;
        }
        Forward(k) = x;
        if (odd && bmin <= k && k <= bmax && Backward(k) <= x) {
          *xmid = x;
          *ymid = y;
          return;
        }
      }
      // One more edit on every backward diagonal.
      if (bmin > dmin) {
        Backward(--bmin - 1) = INT_MAX;
      } else {
        ++bmin;
      }
      if (bmax < dmax) {
        Backward(++bmax + 1) = INT_MAX;
      } else {
        --bmax;
      }
      for (int k = bmax; k >= bmin; k -= 2) {
        const int lo = Backward(k - 1);
        const int hi = Backward(k + 1);
        int x = lo < hi ? lo : hi - 1;
        int y = x - k;
        while (x > xoff && y > yoff && a_[x - 1] == b_[y - 1]) {
          --x;
          --y;
        }
        Backward(k) = x;
        if (!odd && fmin <= k && k <= fmax && x <= Forward(k)) {
          *xmid = x;
          *ymid = y;
          return;
        }
      }
    }
  }

  const std::vector<int>& a_;
  const std::vector<int>& b_;
  std::vector<bool> a_changed_;
  std::vector<bool> b_changed_;
  const int offset_;  // Forward(k) is forward_[k + offset_].
  std::vector<int> forward_;
  std::vector<int> backward_;
};

// Sets (*a_changed)[i] / (*b_changed)[j] for every line outside one longest
// common subsequence of `a` and `b`.
void MarkChangedLines(const std::vector<absl::string_view>& a,
                      const std::vector<absl::string_view>& b, std::vector<bool>* a_changed,
                      std::vector<bool>* b_changed) {
  // Number the distinct lines and count them per side.
  std::unordered_map<std::string_view, int> ids;
  std::vector<int> a_ids;
  std::vector<int> b_ids;
  std::vector<int> in_a;
  std::vector<int> in_b;
  auto intern = [&](absl::string_view line) {
    const auto [it, inserted] =
        ids.emplace(std::string_view(line.data(), line.size()), static_cast<int>(ids.size()));
    if (inserted) {
      in_a.push_back(0);
      in_b.push_back(0);
    }
    return it->second;
  };
  a_ids.reserve(a.size());
  b_ids.reserve(b.size());
  for (absl::string_view line : a) {
    a_ids.push_back(intern(line));
    ++in_a[a_ids.back()];
  }
  for (absl::string_view line : b) {
    b_ids.push_back(intern(line));
    ++in_b[b_ids.back()];
  }

  // A line that never occurs on the other side is changed in every edit
  // script; leaving those out does not change the longest common subsequence
  // and keeps wholesale rewrites cheap.
  std::vector<int> a_kept;
  std::vector<int> b_kept;
  std::vector<size_t> a_index;
  std::vector<size_t> b_index;
  a_changed->assign(a.size(), true);
  b_changed->assign(b.size(), true);
  for (size_t i = 0; i < a_ids.size(); ++i) {
    if (in_b[a_ids[i]] > 0) {
      a_kept.push_back(a_ids[i]);
      a_index.push_back(i);
    }
  }
  for (size_t j = 0; j < b_ids.size(); ++j) {
    if (in_a[b_ids[j]] > 0) {
      b_kept.push_back(b_ids[j]);
      b_index.push_back(j);
    }
  }

  MyersDiffer differ(a_kept, b_kept);
  differ.Run();
  for (size_t i = 0; i < a_kept.size(); ++i) (*a_changed)[a_index[i]] = differ.a_changed()[i];
  for (size_t j = 0; j < b_kept.size(); ++j) (*b_changed)[b_index[j]] = differ.b_changed()[j];
}

// A maximal run of changes: old lines [a_begin, a_end) became new lines
// [b_begin, b_end). Lines between two blocks are unchanged.
struct ChangeBlock {
  size_t a_begin;
  size_t a_end;
  size_t b_begin;
  size_t b_end;
};

std::vector<ChangeBlock> CollectBlocks(const std::vector<bool>& a_changed,
                                       const std::vector<bool>& b_changed) {
  std::vector<ChangeBlock> blocks;
  size_t i = 0;
  size_t j = 0;
  while (i < a_changed.size() || j < b_changed.size()) {
    // Unchanged lines pair up in order, so when one side is exhausted every
    // remaining line of the other is changed.
    if (i < a_changed.size() && j < b_changed.size() && !a_changed[i] && !b_changed[j]) {
      ++i;
      ++j;
      continue;
    }
    ChangeBlock block{i, i, j, j};
    while (i < a_changed.size() && a_changed[i]) ++i;
    while (j < b_changed.size() && b_changed[j]) ++j;
    block.a_end = i;
    block.b_end = j;
    blocks.push_back(block);
  }
  return blocks;
}

// "start,count" of a hunk header; `begin` is 0-based.
std::string HunkRange(size_t begin, size_t count) {
  if (count == 0) return absl::StrCat(begin, ",0");  // The line before.
  if (count == 1) return absl::StrCat(begin + 1);
  return absl::StrCat(begin + 1, ",", count);
}

void AppendLine(char prefix, absl::string_view line, std::string* out) {
  out->push_back(prefix);
  out->append(line.data(), line.size());
  if (line.empty() || line.back() != '\n') out->append("\n\\ No newline at end of file\n");
}

}  // namespace

std::string UnifiedDiff(absl::string_view old_text, absl::string_view new_text,
                        absl::string_view old_label, absl::string_view new_label, int context) {
  if (old_text == new_text) return "";
  const size_t ctx = context > 0 ? static_cast<size_t>(context) : 0;
  const std::vector<absl::string_view> a = SplitLines(old_text);
  const std::vector<absl::string_view> b = SplitLines(new_text);
  std::vector<bool> a_changed;
  std::vector<bool> b_changed;
  MarkChangedLines(a, b, &a_changed, &b_changed);
  const std::vector<ChangeBlock> blocks = CollectBlocks(a_changed, b_changed);

  std::string out = absl::StrCat("--- ", old_label, "\n+++ ", new_label, "\n");
  size_t first = 0;
  while (first < blocks.size()) {
    // Blocks at most 2 * ctx unchanged lines apart share a hunk.
    size_t last = first;
    while (last + 1 < blocks.size() && blocks[last + 1].a_begin - blocks[last].a_end <= 2 * ctx) {
      ++last;
    }
    const size_t lead = std::min(ctx, blocks[first].a_begin);
    const size_t trail = std::min(ctx, a.size() - blocks[last].a_end);
    const size_t a_begin = blocks[first].a_begin - lead;
    const size_t a_end = blocks[last].a_end + trail;
    const size_t b_begin = blocks[first].b_begin - lead;
    const size_t b_end = blocks[last].b_end + trail;
    absl::StrAppend(&out, "@@ -", HunkRange(a_begin, a_end - a_begin), " +",
                    HunkRange(b_begin, b_end - b_begin), " @@\n");
    size_t i = a_begin;
    for (size_t k = first; k <= last; ++k) {
      const ChangeBlock& block = blocks[k];
      for (; i < block.a_begin; ++i) AppendLine(' ', a[i], &out);
      for (; i < block.a_end; ++i) AppendLine('-', a[i], &out);
      for (size_t j = block.b_begin; j < block.b_end; ++j) AppendLine('+', b[j], &out);
    }
    for (; i < a_end; ++i) AppendLine(' ', a[i], &out);
    first = last + 1;
  }
  return out;
}

}  // namespace bamctl
