#ifndef BAMCTL_COMMON_UTF8_H_
#define BAMCTL_COMMON_UTF8_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace bamctl {

// The offset of the first byte of `text` that does not start a valid UTF-8
// sequence (overlong forms, surrogates and values above U+10FFFF are
// invalid), or nullopt when all of `text` is UTF-8.
std::optional<size_t> FirstInvalidUtf8(absl::string_view text);

// `text` if it has at most `max_bytes` bytes; else its first bytes, cut
// where no UTF-8 sequence is split, and "... (N bytes cut)". For texts from
// outside (agent messages, client strings) that go into records and logs.
std::string CutText(absl::string_view text, size_t max_bytes);

}  // namespace bamctl

#endif  // BAMCTL_COMMON_UTF8_H_
