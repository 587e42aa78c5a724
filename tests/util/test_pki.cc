#include "tests/util/test_pki.h"

#include <optional>

#include "common/file_util.h"
#include "common/status_macros.h"
#include "pki/pki_dir.h"

namespace bamctl::testing {

absl::StatusOr<CertificateAuthority> MakeControllerTlsDir(const std::string& dir,
                                                          const std::string& host) {
  return MakeControllerTlsDir(dir, std::vector<std::string>{host});
}

absl::StatusOr<CertificateAuthority> MakeControllerTlsDir(const std::string& dir,
                                                          const std::vector<std::string>& hosts) {
  RETURN_IF_ERROR(InitPkiDir(dir, "test", hosts, kDefaultControllerPort).status());
  ASSIGN_OR_RETURN(std::optional<std::string> cert, ReadFileIfExists(dir + "/ca.crt"));
  ASSIGN_OR_RETURN(std::optional<std::string> key, ReadFileIfExists(dir + "/ca.key"));
  if (!cert.has_value() || !key.has_value()) {
    return absl::NotFoundError(dir + ": pki init wrote no CA");
  }
  return CertificateAuthority::Load(*cert, *key);
}

absl::StatusOr<grpc::SslCredentialsOptions> ClientTlsOptions(const CertificateAuthority& ca,
                                                             const std::string& name, PeerRole role,
                                                             absl::Duration lifetime) {
  ASSIGN_OR_RETURN(KeyAndCertificate cert, ca.Issue(name, role, lifetime));
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ca.cert_pem();
  options.pem_cert_chain = cert.cert_pem;
  options.pem_private_key = cert.key_pem;
  return options;
}

}  // namespace bamctl::testing
