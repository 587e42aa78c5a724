#include "http/request.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace bamctl::http {
namespace {

// RFC 9110 5.6.2: tchar.
bool IsTokenChar(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// A field value: visible ASCII, spaces, tabs and obs-text; no other control.
bool IsFieldValue(absl::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 && u != '\t') return false;
    if (u == 0x7f) return false;
  }
  return true;
}

absl::string_view TrimOws(absl::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

ParseResult Refuse(int status, std::string error) {
  ParseResult r;
  r.state = ParseResult::State::kRefused;
  r.status = status;
  r.error = std::move(error);
  return r;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<absl::string_view> Request::Header(absl::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return absl::string_view(v);
  }
  return std::nullopt;
}

bool Request::KeepAlive() const {
  if (minor_version == 0) return false;
  for (const auto& [n, v] : headers) {
    if (n != "connection") continue;
    for (absl::string_view option : absl::StrSplit(v, ',')) {
      if (absl::EqualsIgnoreCase(TrimOws(option), "close")) return false;
    }
  }
  return true;
}

std::optional<std::string> Request::QueryParam(absl::string_view name) const {
  std::map<std::string, std::string> params = ParseUrlEncoded(query);
  auto it = params.find(std::string(name));
  if (it == params.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Request::Cookie(absl::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n != "cookie") continue;
    for (absl::string_view pair : absl::StrSplit(v, ';')) {
      pair = TrimOws(pair);
      const size_t eq = pair.find('=');
      if (eq == absl::string_view::npos) continue;
      if (pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
    }
  }
  return std::nullopt;
}

std::optional<std::string> PercentDecode(absl::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = HexValue(text[i + 1]);
      const int lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0') return std::nullopt;
    out.push_back(c);
  }
  return out;
}

std::map<std::string, std::string> ParseUrlEncoded(absl::string_view text) {
  std::map<std::string, std::string> out;
  for (absl::string_view pair : absl::StrSplit(text, '&', absl::SkipEmpty())) {
    const size_t eq = pair.find('=');
    std::optional<std::string> name = PercentDecode(pair.substr(0, eq), true);
    std::optional<std::string> value =
        eq == absl::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1), true);
    if (!name || !value || name->empty()) continue;
    out.emplace(*std::move(name), *std::move(value));  // emplace keeps the first
  }
  return out;
}

ParseResult ParseRequest(absl::string_view data) {
  // RFC 9112 2.2: empty lines before the request line are ignored.
  size_t skipped = 0;
  while (data.size() - skipped >= 2 && data[skipped] == '\r' && data[skipped + 1] == '\n') {
    skipped += 2;
    if (skipped > kMaxHeadBytes) return Refuse(400, "too many empty lines before the request");
  }
  const absl::string_view rest = data.substr(skipped);
  const size_t head_end = rest.find("\r\n\r\n");
  if (head_end == absl::string_view::npos) {
    if (rest.size() > kMaxHeadBytes) {
      return Refuse(
          431, absl::StrCat("the request line and header fields exceed ", kMaxHeadBytes, " bytes"));
    }
    return ParseResult{};
  }
  if (head_end + 4 > kMaxHeadBytes) {
    return Refuse(
        431, absl::StrCat("the request line and header fields exceed ", kMaxHeadBytes, " bytes"));
  }
  std::vector<absl::string_view> lines = absl::StrSplit(rest.substr(0, head_end), "\r\n");

  ParseResult result;
  Request& req = result.request;
  // request-line = method SP request-target SP HTTP-version
  std::vector<absl::string_view> parts = absl::StrSplit(lines[0], ' ');
  if (parts.size() != 3) {
    return Refuse(400, "the request line is not METHOD SP TARGET SP HTTP-VERSION");
  }
  if (!IsToken(parts[0])) return Refuse(400, "the method is not a token");
  req.method = std::string(parts[0]);
  const absl::string_view version = parts[2];
  if (version == "HTTP/1.1") {
    req.minor_version = 1;
  } else if (version == "HTTP/1.0") {
    req.minor_version = 0;
  } else if (absl::StartsWith(version, "HTTP/") && version.size() == 8 &&
             absl::ascii_isdigit(static_cast<unsigned char>(version[5])) && version[6] == '.' &&
             absl::ascii_isdigit(static_cast<unsigned char>(version[7]))) {
    return Refuse(505,
                  absl::StrCat("HTTP version ", version.substr(5), " is not supported (1.0, 1.1)"));
  } else {
    return Refuse(400, "the request line does not end in an HTTP version");
  }
  const absl::string_view target = parts[1];
  if (target.empty() || target[0] != '/') {
    return Refuse(400, "the request target must be a path (origin form: /...)");
  }
  for (char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '#') {
      return Refuse(400, "the request target holds a character that must be escaped");
    }
  }
  req.target = std::string(target);
  const size_t q = target.find('?');
  std::optional<std::string> path = PercentDecode(target.substr(0, q), false);
  if (!path) return Refuse(400, "the request path has a malformed %-escape or a NUL");
  req.path = *std::move(path);
  if (q != absl::string_view::npos) req.query = std::string(target.substr(q + 1));

  std::optional<uint64_t> content_length;
  for (size_t i = 1; i < lines.size(); ++i) {
    const absl::string_view line = lines[i];
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      return Refuse(400, "obsolete line folding in the header fields");
    }
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos || !IsToken(line.substr(0, colon))) {
      return Refuse(400, absl::StrCat("header line ", i, " is not NAME: VALUE"));
    }
    const absl::string_view value = TrimOws(line.substr(colon + 1));
    if (!IsFieldValue(value)) {
      return Refuse(400, absl::StrCat("header line ", i, " has a control character in its value"));
    }
    if (req.headers.size() == kMaxHeaders) {
      return Refuse(431, absl::StrCat("more than ", kMaxHeaders, " header fields"));
    }
    std::string name = absl::AsciiStrToLower(line.substr(0, colon));
    if (name == "transfer-encoding") {
      return Refuse(501, "transfer codings in requests are not supported; send Content-Length");
    }
    if (name == "content-length") {
      uint64_t n = 0;
      for (char c : value) {
        if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
          return Refuse(400, "Content-Length is not a decimal number");
        }
      }
      if (value.empty() || value.size() > 12 || !absl::SimpleAtoi(value, &n)) {
        return Refuse(400, "Content-Length is not a decimal number");
      }
      if (content_length && *content_length != n) {
        return Refuse(400, "two different Content-Length fields");
      }
      content_length = n;
    }
    req.headers.emplace_back(std::move(name), std::string(value));
  }
  if (req.minor_version == 1 && !req.Header("host")) {
    return Refuse(400, "an HTTP/1.1 request must have a Host field");
  }
  const uint64_t body_size = content_length.value_or(0);
  if (body_size > kMaxBodyBytes) {
    return Refuse(413, absl::StrCat("the body is ", body_size, " bytes; at most ", kMaxBodyBytes));
  }
  const size_t body_start = skipped + head_end + 4;
  if (data.size() - body_start < body_size) return ParseResult{};  // the body is on its way
  req.body = std::string(data.substr(body_start, body_size));
  result.consumed = body_start + body_size;
  result.state = ParseResult::State::kComplete;
  return result;
}

}  // namespace bamctl::http
