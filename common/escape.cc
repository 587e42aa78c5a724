#include "common/escape.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace bamctl {
namespace {

// The C-style escape of \n \r \t (and \b where `with_backspace`), or
// nullptr: the part every one of these syntaxes reads the same way.
const char* CommonEscape(char c, bool with_backspace) {
  switch (c) {
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    case '\b':
      return with_backspace ? "\\b" : nullptr;
    default:
      return nullptr;
  }
}

}  // namespace

std::string ShellQuote(absl::string_view word) {
  bool bare = !word.empty();
  for (char c : word) {
    bare = bare && (absl::ascii_isalnum(c) || absl::StrContains("/._-+:,=@%", c));
  }
  if (bare) return std::string(word);
  return absl::StrCat("'", absl::StrReplaceAll(word, {{"'", "'\\''"}}), "'");
}

std::string MySqlOptionValue(absl::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (const char* escaped = CommonEscape(c, /*with_backspace=*/true)) {
      out += escaped;
    } else {
      out += c;  // ' # ; = are literal inside double quotes
    }
  }
  return out + "\"";
}

std::string PropertiesValue(absl::string_view value) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '\\') {
      out += "\\\\";
    } else if (const char* escaped = CommonEscape(c, /*with_backspace=*/false)) {
      out += escaped;
    } else if (c == '\f') {
      out += "\\f";
    } else if (absl::ascii_iscntrl(c)) {
      absl::StrAppend(&out, absl::StrFormat("\\u%04x", static_cast<unsigned char>(c)));
    } else if (c == ' ' && i == 0) {
      out += "\\ ";  // Properties strips a value's leading whitespace
    } else {
      out += c;
    }
  }
  return out;
}

std::string YamlDoubleQuoted(absl::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (const char* escaped = CommonEscape(c, /*with_backspace=*/true)) {
      out += escaped;
    } else if (absl::ascii_iscntrl(c)) {
      absl::StrAppend(&out, absl::StrFormat("\\x%02x", static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

void AppendJsonString(absl::string_view value, std::string* out) {
  out->push_back('"');
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out->push_back('\\');
      out->push_back(c);
    } else if (const char* escaped = CommonEscape(c, /*with_backspace=*/false)) {
      out->append(escaped);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppendFormat(out, "\\u%04x", static_cast<unsigned char>(c));
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

std::string JsonString(absl::string_view value) {
  std::string out;
  AppendJsonString(value, &out);
  return out;
}

}  // namespace bamctl
