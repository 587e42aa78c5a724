#ifndef BAMCTL_TESTS_UTIL_HTTP_CLIENT_H_
#define BAMCTL_TESTS_UTIL_HTTP_CLIENT_H_

// A bare HTTP/1.1 client for tests of the controller's web endpoint: raw
// bytes over TCP or TLS (OpenSSL, verifying the server with a CA file, an
// optional client certificate), so a test can send what no browser would.

#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace bamctl::testing {

struct HttpClientOptions {
  bool tls = false;
  std::string ca_pem;    // verifies the server (with tls); "" skips verification
  std::string cert_pem;  // a client certificate and its key; "" for none
  std::string key_pem;
  absl::Duration timeout = absl::Seconds(10);
  // TLS session resumption, as browsers do: a session (DER) from an earlier
  // exchange is offered, and the one this exchange ends with is kept here;
  // `resumed` says whether the server took the offer.
  std::string* session = nullptr;
  bool* resumed = nullptr;
};

struct HttpAnswer {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names; the last value
  std::string body;
};

// Sends `raw` and reads until `done` holds for what came back, the server
// closes, or the timeout passes (then what came so far, or an error when
// nothing did).
absl::StatusOr<std::string> HttpExchange(const std::string& host, int port, const std::string& raw,
                                         const HttpClientOptions& options,
                                         const std::function<bool(const std::string&)>& done = {});

// Parses one answer (status line, fields, Content-Length body or the rest).
absl::StatusOr<HttpAnswer> ParseHttpAnswer(const std::string& text);

// GET `path` (Connection: close) with `extra` header lines ("Cookie: a=b\r\n").
absl::StatusOr<HttpAnswer> HttpGet(const std::string& host, int port, const std::string& path,
                                   const HttpClientOptions& options, const std::string& extra = "");
// POST a form body.
absl::StatusOr<HttpAnswer> HttpPostForm(const std::string& host, int port, const std::string& path,
                                        const std::string& body, const HttpClientOptions& options,
                                        const std::string& extra = "");

}  // namespace bamctl::testing

#endif  // BAMCTL_TESTS_UTIL_HTTP_CLIENT_H_
