#ifndef BAMCTL_COMMON_OPENSSL_ERROR_H_
#define BAMCTL_COMMON_OPENSSL_ERROR_H_

#include <string>

namespace bamctl {

// Drains OpenSSL's error queue of this thread into one line ("error:...;
// error:..."), or "no detail from OpenSSL" when it is empty: the reason
// OpenSSL gives for the call that just failed (pki/, http/).
std::string DrainOpenSslErrors();

}  // namespace bamctl

#endif  // BAMCTL_COMMON_OPENSSL_ERROR_H_
