#ifndef BAMCTL_TESTS_UTIL_TEST_PKI_H_
#define BAMCTL_TESTS_UTIL_TEST_PKI_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/security/credentials.h"
#include "pki/certs.h"

namespace bamctl::testing {

// A controller's --tls_dir at `dir`, as `bamctl pki init` writes it (CA with
// its key, the controller's certificate for `host`, admin, bamctl.conf),
// and its CA, to issue more certificates with.
absl::StatusOr<CertificateAuthority> MakeControllerTlsDir(const std::string& dir,
                                                          const std::string& host);
// The same with a controller certificate naming each of `hosts` (HA).
absl::StatusOr<CertificateAuthority> MakeControllerTlsDir(const std::string& dir,
                                                          const std::vector<std::string>& hosts);

// A client's TLS options: trusting `ca`, holding a new certificate from it
// for `name` in `role`.
absl::StatusOr<grpc::SslCredentialsOptions> ClientTlsOptions(
    const CertificateAuthority& ca, const std::string& name, PeerRole role,
    absl::Duration lifetime = absl::Hours(1));

}  // namespace bamctl::testing

#endif  // BAMCTL_TESTS_UTIL_TEST_PKI_H_
