#ifndef BAMCTL_PKI_OPENSSL_UTIL_H_
#define BAMCTL_PKI_OPENSSL_UTIL_H_

// Owning handles for the OpenSSL objects pki uses, PEM in and out of
// strings, and OpenSSL's error queue as an absl::Status. Internal to pki/.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/openssl_error.h"
#include "openssl/bio.h"
#include "openssl/bn.h"
#include "openssl/evp.h"
#include "openssl/x509.h"
#include "openssl/x509v3.h"

namespace bamctl::pki_internal {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};

using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using ReqPtr = std::unique_ptr<X509_REQ, Deleter<X509_REQ, X509_REQ_free>>;
using NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME, X509_NAME_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER, ASN1_INTEGER_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, GENERAL_NAMES_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, Deleter<GENERAL_NAME, GENERAL_NAME_free>>;

// `what` failed, with the drained OpenSSL errors: "what: error:...".
absl::Status OpenSslError(absl::StatusCode code, absl::string_view what);

// Parsers of PEM text; errors say what was expected (`what`: "CA
// certificate") and why OpenSSL refused.
absl::StatusOr<X509Ptr> ParseCertificate(absl::string_view pem, absl::string_view what);
absl::StatusOr<PkeyPtr> ParsePrivateKey(absl::string_view pem, absl::string_view what);
absl::StatusOr<ReqPtr> ParseRequest(absl::string_view pem, absl::string_view what);

// PEM text of a key (PKCS#8), a certificate, a request.
absl::StatusOr<std::string> PrivateKeyPem(EVP_PKEY* key);
absl::StatusOr<std::string> CertificatePem(X509* cert);
absl::StatusOr<std::string> RequestPem(X509_REQ* req);

}  // namespace bamctl::pki_internal

#endif  // BAMCTL_PKI_OPENSSL_UTIL_H_
