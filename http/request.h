#ifndef BAMCTL_HTTP_REQUEST_H_
#define BAMCTL_HTTP_REQUEST_H_

// HTTP/1.1 requests as the controller's web endpoint accepts them (RFC 9112),
// parsed from bytes that came off a socket, so nothing here trusts them:
// bounded sizes, one Content-Length at most, no chunked or other transfer
// codings, no obsolete line folding, and every refusal as the status code a
// client should get. Pure functions, fuzzed (fuzz/http_request_fuzz.cc).

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace bamctl::http {

// Limits of one request; a client that needs more is refused with 431 or 413.
inline constexpr size_t kMaxHeadBytes = size_t{16} * 1024;
inline constexpr size_t kMaxBodyBytes = size_t{64} * 1024;
inline constexpr size_t kMaxHeaders = 64;

struct Request {
  std::string method;     // "GET", "HEAD", "POST"
  std::string target;     // as sent: "/api/version?v=3"
  std::string path;       // percent-decoded, without the query: "/api/version"
  std::string query;      // raw, after '?': "v=3"
  int minor_version = 1;  // HTTP/1.<minor>
  // Field names lower-cased; a repeated field keeps every value in order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first value of a field (`name` lower case), if sent.
  std::optional<absl::string_view> Header(absl::string_view name) const;
  // Whether the connection stays open after the answer (HTTP/1.1 unless
  // "Connection: close"; HTTP/1.0 never).
  bool KeepAlive() const;
  // One query parameter, decoded; the first one when repeated.
  std::optional<std::string> QueryParam(absl::string_view name) const;
  // One cookie of the Cookie fields, if sent.
  std::optional<std::string> Cookie(absl::string_view name) const;
};

// What ParseRequest made of the bytes so far.
struct ParseResult {
  enum class State {
    kIncomplete,  // need more bytes
    kComplete,    // `request` holds one request of `consumed` bytes
    kRefused,     // answer `status` with `error`, then close
  };
  State state = State::kIncomplete;
  Request request;
  size_t consumed = 0;
  int status = 0;     // kRefused: 400, 405, 413, 431, 501 or 505
  std::string error;  // kRefused: what was wrong, for the client and the log
};

// Parses one request from the start of `data` (a keep-alive connection
// calls it again on the bytes after `consumed`).
ParseResult ParseRequest(absl::string_view data);

// "a%20b+c" -> "a b c" (with `plus_is_space`, as in forms); nullopt for a
// malformed escape or a decoded NUL.
std::optional<std::string> PercentDecode(absl::string_view text, bool plus_is_space);

// application/x-www-form-urlencoded (a query string or a form body): each
// name to its first value; malformed pairs are skipped.
std::map<std::string, std::string> ParseUrlEncoded(absl::string_view text);

}  // namespace bamctl::http

#endif  // BAMCTL_HTTP_REQUEST_H_
