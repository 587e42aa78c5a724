// Fuzz target: the web endpoint's request parser, on any bytes a client
// sends. Properties from its contract: it never reads past the input; a
// complete request consumed no more than it was given, and parsing the
// bytes it consumed alone gives the same request; a refusal is one of the
// documented status codes; every size stays within its bound; feeding the
// input byte by byte never completes before the whole request is there.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "http/request.h"

namespace {

using bamctl::fuzz::Check;
using bamctl::http::ParseRequest;
using bamctl::http::ParseResult;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const ParseResult r = ParseRequest(input);
  switch (r.state) {
    case ParseResult::State::kIncomplete:
      break;
    case ParseResult::State::kRefused:
      Check(r.status == 400 || r.status == 413 || r.status == 431 || r.status == 501 ||
                r.status == 505,
            "a refusal's status is one of 400, 413, 431, 501, 505");
      Check(!r.error.empty(), "a refusal says why");
      break;
    case ParseResult::State::kComplete: {
      Check(r.consumed > 0 && r.consumed <= input.size(), "consumed within the input");
      Check(r.request.body.size() <= bamctl::http::kMaxBodyBytes, "the body within its bound");
      Check(r.request.headers.size() <= bamctl::http::kMaxHeaders, "fields within their bound");
      Check(!r.request.path.empty() && r.request.path[0] == '/', "the path starts with /");
      Check(r.request.path.find('\0') == std::string::npos, "no NUL in the path");
      const ParseResult alone = ParseRequest(absl::string_view(input).substr(0, r.consumed));
      Check(alone.state == ParseResult::State::kComplete && alone.consumed == r.consumed &&
                alone.request.target == r.request.target && alone.request.body == r.request.body,
            "the consumed bytes alone parse to the same request");
      // One byte short of the request is never a whole request.
      const ParseResult shorter = ParseRequest(absl::string_view(input).substr(0, r.consumed - 1));
      Check(shorter.state != ParseResult::State::kComplete,
            "a request missing its last byte is not complete");
      break;
    }
  }
  // The accessors are total on whatever was parsed.
  (void)r.request.KeepAlive();
  (void)r.request.QueryParam("v");
  (void)r.request.Cookie("__Host-bamctl_session");
  (void)bamctl::http::ParseUrlEncoded(input);
  return 0;
}
