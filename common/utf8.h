#ifndef BAMCTL_COMMON_UTF8_H_
#define BAMCTL_COMMON_UTF8_H_

#include <cstddef>
#include <optional>

#include "absl/strings/string_view.h"

namespace bamctl {

// The offset of the first byte of `text` that does not start a valid UTF-8
// sequence (overlong forms, surrogates and values above U+10FFFF are
// invalid), or nullopt when all of `text` is UTF-8.
std::optional<size_t> FirstInvalidUtf8(absl::string_view text);

}  // namespace bamctl

#endif  // BAMCTL_COMMON_UTF8_H_
