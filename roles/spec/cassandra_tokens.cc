#include "roles/spec/cassandra_tokens.h"

#include <algorithm>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace bamctl {
namespace {

using u128 = unsigned __int128;

constexpr u128 kTwoTo127 = static_cast<u128>(1) << 127;
constexpr u128 kTwoTo63 = static_cast<u128>(1) << 63;

std::string ToDecimal(u128 v) {
  if (v == 0) return "0";
  std::string digits;
  while (v > 0) {
    digits.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  std::reverse(digits.begin(), digits.end());
  return digits;
}

std::string ToDecimal(bool negative, u128 magnitude) {
  std::string s = ToDecimal(magnitude);
  return negative && magnitude != 0 ? "-" + s : s;
}

}  // namespace

std::optional<Partitioner> ParsePartitioner(absl::string_view name) {
  constexpr absl::string_view kPackage = "org.apache.cassandra.dht.";
  if (name.substr(0, kPackage.size()) == kPackage) name.remove_prefix(kPackage.size());
  if (name == "RandomPartitioner") return Partitioner::kRandom;
  if (name == "Murmur3Partitioner") return Partitioner::kMurmur3;
  return std::nullopt;
}

absl::string_view PartitionerClassName(Partitioner p) {
  return p == Partitioner::kRandom ? "org.apache.cassandra.dht.RandomPartitioner"
                                   : "org.apache.cassandra.dht.Murmur3Partitioner";
}

std::string ValidPartitionersForError() {
  return "RandomPartitioner, Murmur3Partitioner (or their org.apache.cassandra.dht. names)";
}

std::string TokenRangeForError(Partitioner p) {
  if (p == Partitioner::kRandom) return absl::StrCat("0 to ", ToDecimal(kTwoTo127), " (2^127)");
  return absl::StrCat(ToDecimal(true, kTwoTo63), " to ", ToDecimal(kTwoTo63 - 1),
                      " (-2^63 to 2^63-1)");
}

absl::StatusOr<std::string> CanonicalToken(Partitioner p, absl::string_view text) {
  absl::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  const bool all_digits = !digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
  if (!all_digits) {
    return absl::InvalidArgumentError(
        absl::StrCat("token \"", text, "\" is not a decimal integer; ", PartitionerClassName(p),
                     " tokens are integers from ", TokenRangeForError(p)));
  }
  const u128 limit = p == Partitioner::kRandom ? kTwoTo127 : (negative ? kTwoTo63 : kTwoTo63 - 1);
  u128 magnitude = 0;
  bool in_range = !(negative && p == Partitioner::kRandom) ||
                  digits.find_first_not_of('0') == absl::string_view::npos;
  for (char c : digits) {
    if (!in_range) break;
    magnitude = magnitude * 10 + static_cast<u128>(c - '0');
    if (magnitude > limit) in_range = false;
  }
  if (!in_range) {
    return absl::OutOfRangeError(absl::StrCat("token ", text, " is outside the range of ",
                                              PartitionerClassName(p), ": ",
                                              TokenRangeForError(p)));
  }
  return ToDecimal(negative, magnitude);
}

std::vector<std::string> BalancedTokens(Partitioner p, int count) {
  std::vector<std::string> tokens;
  if (count <= 0) return tokens;
  const u128 n = static_cast<u128>(count);
  // i * R / n without overflowing: (R / n) * i + ((R % n) * i) / n.
  const u128 range = p == Partitioner::kRandom ? kTwoTo127 : kTwoTo63 * 2;
  const u128 q = range / n;
  const u128 r = range % n;
  for (int i = 0; i < count; ++i) {
    const u128 k = static_cast<u128>(i);
    const u128 offset = q * k + (r * k) / n;
    if (p == Partitioner::kRandom) {
      tokens.push_back(ToDecimal(offset));
    } else if (offset >= kTwoTo63) {
      tokens.push_back(ToDecimal(offset - kTwoTo63));
    } else {
      tokens.push_back(ToDecimal(true, kTwoTo63 - offset));
    }
  }
  return tokens;
}

}  // namespace bamctl
