#ifndef BAMCTL_HTTP_RESPONSE_H_
#define BAMCTL_HTTP_RESPONSE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace bamctl::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

// One whole answer. The server adds Content-Length, Connection and Date.
struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  // An answer with a body of `content_type`.
  static Response Of(int status, absl::string_view content_type, std::string body);
  // A plain-text answer: the refusals and errors people and scripts read.
  static Response Text(int status, std::string body);
  // 303 See Other to `location` (after a form's POST, to a login page).
  static Response Redirect(absl::string_view location);
};

// "OK", "Not Found"; "" for a code this server never sends.
absl::string_view ReasonPhrase(int status);

// The status line and header fields, ending in the empty line.
// `content_length` < 0: no Content-Length (a stream that ends with the
// connection).
std::string SerializeHead(int status, const Headers& headers, long long content_length,
                          bool keep_alive);

}  // namespace bamctl::http

#endif  // BAMCTL_HTTP_RESPONSE_H_
