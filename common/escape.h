#ifndef BAMCTL_COMMON_ESCAPE_H_
#define BAMCTL_COMMON_ESCAPE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace bamctl {

// Quoting for the syntaxes bamctl writes values into. Spec validation keeps
// values to safe characters already; these make every generated file
// correct for whatever value reaches it anyway, so one missed rule is not
// an injection. XML needs none here: pugixml escapes text and attributes.

// One /bin/sh word: bare when it holds only characters the shell never
// interprets (letters, digits and / . _ - + : , = @ %), else in single
// quotes with each embedded ' written as '\''.
std::string ShellQuote(absl::string_view word);

// A value for a MySQL/MariaDB option file ("key=VALUE"): always in double
// quotes, so '#' and ';' are literal and leading or trailing spaces stay,
// with \ " and line breaks as the escapes the option-file reader turns
// back (\\ \" \n \r \t \b).
std::string MySqlOptionValue(absl::string_view value);

// A value for a java.util.Properties file (zoo.cfg is one): \ and line
// breaks escaped, and a leading space kept with "\ ". Keys are bamctl's
// own constants and never need it.
std::string PropertiesValue(absl::string_view value);

// A YAML double-quoted scalar: \ " and control characters escaped.
std::string YamlDoubleQuoted(absl::string_view value);

// A JSON string literal of UTF-8 `value` (RFC 8259): \ " and control
// characters escaped, the rest as is. Appended to `out`, for writers that
// build a document piece by piece (bamctl's output, the web page's JSON).
void AppendJsonString(absl::string_view value, std::string* out);
std::string JsonString(absl::string_view value);

}  // namespace bamctl

#endif  // BAMCTL_COMMON_ESCAPE_H_
