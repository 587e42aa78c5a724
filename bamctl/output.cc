#include "bamctl/output.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "bamctl/cli.h"
#include "common/escape.h"
#include "common/file_util.h"
#include "common/utf8.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "proto/enum_text.h"

namespace bamctl {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

void AppendMessage(const Message& message, int indent, std::string* out);

// A finite double as JSON; NaN and infinities (not JSON) as strings, as
// proto3 JSON does.
void AppendDouble(double value, std::string* out) {
  if (value != value) {
    out->append("\"NaN\"");
  } else if (value > 1.7976931348623157e308) {
    out->append("\"Infinity\"");
  } else if (value < -1.7976931348623157e308) {
    out->append("\"-Infinity\"");
  } else {
    absl::StrAppendFormat(out, "%.17g", value);
  }
}

// Element `index` of repeated `field` (index < 0: the singular field).
void AppendValue(const Message& message, const FieldDescriptor& field, int index, int indent,
                 std::string* out) {
  const Reflection& r = *message.GetReflection();
  const bool rep = index >= 0;
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      absl::StrAppend(
          out, rep ? r.GetRepeatedInt32(message, &field, index) : r.GetInt32(message, &field));
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      absl::StrAppend(
          out, rep ? r.GetRepeatedInt64(message, &field, index) : r.GetInt64(message, &field));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      absl::StrAppend(
          out, rep ? r.GetRepeatedUInt32(message, &field, index) : r.GetUInt32(message, &field));
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      absl::StrAppend(
          out, rep ? r.GetRepeatedUInt64(message, &field, index) : r.GetUInt64(message, &field));
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      AppendDouble(rep ? r.GetRepeatedDouble(message, &field, index) : r.GetDouble(message, &field),
                   out);
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      AppendDouble(rep ? r.GetRepeatedFloat(message, &field, index) : r.GetFloat(message, &field),
                   out);
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      out->append((rep ? r.GetRepeatedBool(message, &field, index) : r.GetBool(message, &field))
                      ? "true"
                      : "false");
      break;
    case FieldDescriptor::CPPTYPE_ENUM: {
      const google::protobuf::EnumValueDescriptor* value =
          rep ? r.GetRepeatedEnum(message, &field, index) : r.GetEnum(message, &field);
      AppendJsonString(EnumValueText(*value), out);
      break;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      const std::string text =
          rep ? r.GetRepeatedString(message, &field, index) : r.GetString(message, &field);
      // bytes as base64, as in proto3 JSON; strings are UTF-8 already.
      AppendJsonString(
          field.type() == FieldDescriptor::TYPE_BYTES ? absl::Base64Escape(text) : text, out);
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      AppendMessage(
          rep ? r.GetRepeatedMessage(message, &field, index) : r.GetMessage(message, &field),
          indent, out);
      break;
  }
}

void Newline(int indent, std::string* out) {
  out->push_back('\n');
  out->append(static_cast<size_t>(indent) * 2, ' ');
}

// A map field (repeated entries with key and value) as a JSON object.
void AppendMap(const Message& message, const FieldDescriptor& field, int indent, std::string* out) {
  const Reflection& r = *message.GetReflection();
  const int size = r.FieldSize(message, &field);
  if (size == 0) {
    out->append("{}");
    return;
  }
  out->push_back('{');
  for (int i = 0; i < size; ++i) {
    const Message& entry = r.GetRepeatedMessage(message, &field, i);
    const FieldDescriptor& key = *entry.GetDescriptor()->map_key();
    const FieldDescriptor& value = *entry.GetDescriptor()->map_value();
    Newline(indent + 1, out);
    std::string key_text;
    AppendValue(entry, key, -1, indent + 1, &key_text);
    // JSON keys are strings: quote number and bool keys.
    if (key.cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
      key_text = absl::StrCat("\"", key_text, "\"");
    }
    absl::StrAppend(out, key_text, ": ");
    AppendValue(entry, value, -1, indent + 1, out);
    if (i + 1 < size) out->push_back(',');
  }
  Newline(indent, out);
  out->push_back('}');
}

void AppendMessage(const Message& message, int indent, std::string* out) {
  const google::protobuf::Descriptor& descriptor = *message.GetDescriptor();
  const Reflection& r = *message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const FieldDescriptor* field = descriptor.field(i);
    // Presence-tracked fields (messages, oneof members, proto3 optional)
    // print when set; every other field prints, as its default when unset.
    if (!field->is_repeated() && field->has_presence() && !r.HasField(message, field)) continue;
    fields.push_back(field);
  }
  if (fields.empty()) {
    out->append("{}");
    return;
  }
  out->push_back('{');
  for (size_t i = 0; i < fields.size(); ++i) {
    const FieldDescriptor& field = *fields[i];
    Newline(indent + 1, out);
    AppendJsonString(field.name(), out);
    out->append(": ");
    if (field.is_map()) {
      AppendMap(message, field, indent + 1, out);
    } else if (field.is_repeated()) {
      const int size = r.FieldSize(message, &field);
      out->push_back('[');
      for (int j = 0; j < size; ++j) {
        Newline(indent + 2, out);
        AppendValue(message, field, j, indent + 2, out);
        if (j + 1 < size) out->push_back(',');
      }
      if (size > 0) Newline(indent + 1, out);
      out->push_back(']');
    } else {
      AppendValue(message, field, -1, indent + 1, out);
    }
    if (i + 1 < fields.size()) out->push_back(',');
  }
  Newline(indent, out);
  out->push_back('}');
}

}  // namespace

std::string Lines(absl::string_view text) {
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  return text.empty() ? std::string() : absl::StrCat(text, "\n");
}

std::string FormatTimeMs(int64_t ms) {
  if (ms <= 0) return "-";
  // UTC, so the output does not depend on the terminal's time zone.
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

std::string VersionCell(int64_t version) { return version > 0 ? absl::StrCat(version) : "-"; }

absl::StatusOr<std::string> ReadSpecFile(const std::string& path) {
  absl::StatusOr<std::optional<std::string>> text = ReadFileIfExists(path);
  if (!text.ok()) return text.status();
  if (!text->has_value()) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": no such file"));
  }
  if (std::optional<size_t> bad = FirstInvalidUtf8(**text)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: not UTF-8 text: invalid byte 0x%02x at offset %d", path,
                        static_cast<unsigned char>((**text)[*bad]), *bad));
  }
  return **std::move(text);
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string out;
  AppendMessage(message, 0, &out);
  out.push_back('\n');
  return out;
}

int PrintJson(const google::protobuf::Message& message, std::ostream& out) {
  out << ToJson(message);
  return kExitOk;
}

}  // namespace bamctl
