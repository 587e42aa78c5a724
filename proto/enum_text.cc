#include "proto/enum_text.h"

#include <google/protobuf/descriptor.h>

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace bamctl {
namespace {

// "OperationState" -> "OPERATION_STATE_": the prefix protobuf's style guide
// gives every value of the enum.
std::string ValuePrefix(absl::string_view enum_name) {
  std::string out;
  for (size_t i = 0; i < enum_name.size(); ++i) {
    const char c = enum_name[i];
    if (i > 0 && std::isupper(static_cast<unsigned char>(c))) out.push_back('_');
    out.push_back(absl::ascii_toupper(c));
  }
  out.push_back('_');
  return out;
}

}  // namespace

std::string EnumValueText(const google::protobuf::EnumValueDescriptor& value) {
  absl::string_view name = value.name();
  absl::ConsumePrefix(&name, ValuePrefix(value.type()->name()));
  std::string out = absl::AsciiStrToLower(name);
  for (char& c : out) {
    if (c == '_') c = '-';
  }
  return out;
}

const google::protobuf::EnumValueDescriptor* EnumValueFromText(
    const google::protobuf::EnumDescriptor& type, absl::string_view text) {
  for (int i = 0; i < type.value_count(); ++i) {
    if (EnumValueText(*type.value(i)) == text) return type.value(i);
  }
  return nullptr;
}

}  // namespace bamctl
