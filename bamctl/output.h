#ifndef BAMCTL_BAMCTL_OUTPUT_H_
#define BAMCTL_BAMCTL_OUTPUT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace bamctl {

// `text` ending in exactly one newline unless empty, so server text (diffs,
// diagnostics) prints as whole lines whatever its ending.
std::string Lines(absl::string_view text);

// A time in ms since the epoch as UTC ISO 8601; "-" for none (<= 0).
std::string FormatTimeMs(int64_t ms);

// A version for a table cell; "-" for none (0).
std::string VersionCell(int64_t version);

// The text of the spec file at `path`, refused before it is sent anywhere
// unless it is UTF-8 ("spec.yaml: not UTF-8 text: invalid byte 0xff at
// offset 1234"), since protobuf strings must be. Errors name the file.
absl::StatusOr<std::string> ReadSpecFile(const std::string& path);

// `message` as JSON for scripts, keys as in the .proto, every field of a
// scalar type present (unset optional and message fields left out). Unlike
// proto3's JSON mapping, 64-bit integers are JSON numbers and enums are
// their EnumText ("crash-loop"), as bamctl shows them in tables.
std::string ToJson(const google::protobuf::Message& message);

// Prints ToJson(message) to `out`; returns kExitOk.
int PrintJson(const google::protobuf::Message& message, std::ostream& out);

}  // namespace bamctl

#endif  // BAMCTL_BAMCTL_OUTPUT_H_
