#ifndef BAMCTL_PROTO_ENUM_TEXT_H_
#define BAMCTL_PROTO_ENUM_TEXT_H_

// The text people see for a proto enum value, derived from its name: the
// enum's prefix dropped, lower case, '-' for '_' (PHASE_CRASH_LOOP in enum
// Phase is "crash-loop"). The one source of that text for the CLI, metric
// labels, SQL columns and logs, so no literal repeats an enum by hand.

#include <google/protobuf/descriptor.h>
#include <google/protobuf/generated_enum_reflection.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace bamctl {

// "crash-loop" for PHASE_CRASH_LOOP of enum Phase.
std::string EnumValueText(const google::protobuf::EnumValueDescriptor& value);

// The value whose text is `text`, if any.
const google::protobuf::EnumValueDescriptor* EnumValueFromText(
    const google::protobuf::EnumDescriptor& type, absl::string_view text);

template <typename E>
std::string EnumText(E value) {
  const google::protobuf::EnumValueDescriptor* v =
      google::protobuf::GetEnumDescriptor<E>()->FindValueByNumber(static_cast<int>(value));
  // A number this build does not know (a newer peer): say so, do not guess.
  if (v == nullptr) return "unknown-" + std::to_string(static_cast<int>(value));
  return EnumValueText(*v);
}

template <typename E>
std::optional<E> EnumFromText(absl::string_view text) {
  const google::protobuf::EnumValueDescriptor* v =
      EnumValueFromText(*google::protobuf::GetEnumDescriptor<E>(), text);
  if (v == nullptr) return std::nullopt;
  return static_cast<E>(v->number());
}

// Every value of E in declaration order, except a *_UNSPECIFIED one.
template <typename E>
std::vector<E> EnumValues() {
  const google::protobuf::EnumDescriptor* type = google::protobuf::GetEnumDescriptor<E>();
  std::vector<E> out;
  for (int i = 0; i < type->value_count(); ++i) {
    if (absl::EndsWith(type->value(i)->name(), "_UNSPECIFIED")) continue;
    out.push_back(static_cast<E>(type->value(i)->number()));
  }
  return out;
}

// The texts of EnumValues<E>(), joined by `separator`, e.g. for an error
// that says what would be valid.
template <typename E>
std::string EnumTexts(absl::string_view separator) {
  std::string out;
  for (E value : EnumValues<E>()) {
    if (!out.empty()) out.append(separator.data(), separator.size());
    out += EnumText(value);
  }
  return out;
}

}  // namespace bamctl

#endif  // BAMCTL_PROTO_ENUM_TEXT_H_
