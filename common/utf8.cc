#include "common/utf8.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace bamctl {

std::optional<size_t> FirstInvalidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    uint32_t min = 0;  // the smallest code point of this length (no overlongs)
    uint32_t cp = 0;
    if (b < 0x80) {
      ++i;
      continue;
    }
    if ((b & 0xe0) == 0xc0) {
      length = 2;
      min = 0x80;
      cp = b & 0x1f;
    } else if ((b & 0xf0) == 0xe0) {
      length = 3;
      min = 0x800;
      cp = b & 0x0f;
    } else if ((b & 0xf8) == 0xf0) {
      length = 4;
      min = 0x10000;
      cp = b & 0x07;
    } else {
      return i;
    }
    if (i + length > text.size()) return i;
    for (size_t k = 1; k < length; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xc0) != 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += length;
  }
  return std::nullopt;
}

std::string CutText(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t end = max_bytes;
  // Back off continuation bytes (10xxxxxx) to the start of their sequence.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) --end;
  return absl::StrCat(text.substr(0, end), "... (", text.size() - end, " bytes cut)");
}

}  // namespace bamctl
