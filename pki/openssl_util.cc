#include "pki/openssl_util.h"

#include <climits>

#include "absl/strings/str_cat.h"
#include "openssl/err.h"
#include "openssl/pem.h"

namespace bamctl::pki_internal {
namespace {

// A read-only memory BIO over `pem`; null when it is too large for one.
BioPtr ReadBio(absl::string_view pem) {
  if (pem.size() > static_cast<size_t>(INT_MAX)) return nullptr;
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The bytes written into a memory BIO.
std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);  // NOLINT(google-runtime-int): OpenSSL's type
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string();
}

template <typename T, typename Write>
absl::StatusOr<std::string> ToPem(T* object, absl::string_view what, Write write) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || write(bio.get(), object) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, absl::StrCat("write ", what, " as PEM"));
  }
  return BioText(bio.get());
}

}  // namespace

absl::Status OpenSslError(absl::StatusCode code, absl::string_view what) {
  return absl::Status(code, absl::StrCat(what, ": ", DrainOpenSslErrors()));
}

absl::StatusOr<X509Ptr> ParseCertificate(absl::string_view pem, absl::string_view what) {
  ERR_clear_error();
  BioPtr bio = ReadBio(pem);
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (cert == nullptr) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        absl::StrCat(what, " is not a PEM certificate (BEGIN CERTIFICATE)"));
  }
  return cert;
}

absl::StatusOr<PkeyPtr> ParsePrivateKey(absl::string_view pem, absl::string_view what) {
  ERR_clear_error();
  BioPtr bio = ReadBio(pem);
  // An empty passphrase callback: an encrypted key fails instead of
  // prompting on the terminal.
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(
                        bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr)
                  : nullptr);
  if (key == nullptr) {
    return OpenSslError(
        absl::StatusCode::kInvalidArgument,
        absl::StrCat(what, " is not an unencrypted PEM private key (BEGIN PRIVATE KEY)"));
  }
  return key;
}

absl::StatusOr<ReqPtr> ParseRequest(absl::string_view pem, absl::string_view what) {
  ERR_clear_error();
  BioPtr bio = ReadBio(pem);
  ReqPtr req(bio ? PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (req == nullptr) {
    return OpenSslError(
        absl::StatusCode::kInvalidArgument,
        absl::StrCat(what, " is not a PEM certificate request (BEGIN CERTIFICATE REQUEST)"));
  }
  return req;
}

absl::StatusOr<std::string> PrivateKeyPem(EVP_PKEY* key) {
  // PKCS#8, unencrypted: the files are 0600 and gRPC reads them as they are.
  return ToPem(key, "private key", [](BIO* bio, EVP_PKEY* k) {
    return PEM_write_bio_PKCS8PrivateKey(bio, k, nullptr, nullptr, 0, nullptr, nullptr);
  });
}

absl::StatusOr<std::string> CertificatePem(X509* cert) {
  return ToPem(cert, "certificate", [](BIO* bio, X509* c) { return PEM_write_bio_X509(bio, c); });
}

absl::StatusOr<std::string> RequestPem(X509_REQ* req) {
  return ToPem(req, "certificate request",
               [](BIO* bio, X509_REQ* r) { return PEM_write_bio_X509_REQ(bio, r); });
}

}  // namespace bamctl::pki_internal
