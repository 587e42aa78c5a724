#ifndef BAMCTL_FUZZ_FUZZ_CHECK_H_
#define BAMCTL_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#include "absl/strings/string_view.h"

namespace bamctl::fuzz {

// A property of the code under fuzzing that failed: said on stderr, then an
// abort, which libFuzzer and the corpus replay both report as a crash with
// the input that caused it.
inline void Check(bool holds, absl::string_view property) {
  if (holds) return;
  std::fprintf(stderr, "fuzz property failed: %.*s\n", static_cast<int>(property.size()),
               property.data());
  std::abort();
}

inline absl::string_view AsText(const uint8_t* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace bamctl::fuzz

#endif  // BAMCTL_FUZZ_FUZZ_CHECK_H_
