#ifndef BAMCTL_CONTROLLER_SERVER_TRANSPORT_SECURITY_H_
#define BAMCTL_CONTROLLER_SERVER_TRANSPORT_SECURITY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/security/server_credentials.h"

namespace bamctl {

// The server credentials for the controller: TLS from `tls_dir` (ca.crt,
// controller.crt, controller.key; the certificate must be the CA's and
// valid at `now`), with client certificates verified against the CA when
// given (every call then needs one: see Authorizer), or plaintext when
// `insecure_plaintext` and `listen` is loopback. Errors say which of the
// two to give, and name the file or address at fault.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ControllerCredentials(
    const std::string& tls_dir, bool insecure_plaintext, absl::string_view listen, absl::Time now);

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_SERVER_TRANSPORT_SECURITY_H_
