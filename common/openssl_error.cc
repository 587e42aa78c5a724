#include "common/openssl_error.h"

#include "absl/strings/str_cat.h"
#include "openssl/err.h"

namespace bamctl {

std::string DrainOpenSslErrors() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {  // NOLINT(google-runtime-int): OpenSSL's type
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    absl::StrAppend(&text, text.empty() ? "" : "; ", buffer);
  }
  return text.empty() ? "no detail from OpenSSL" : text;
}

}  // namespace bamctl
