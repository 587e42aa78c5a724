#ifndef BAMCTL_CONTROLLER_SERVER_AUTHZ_H_
#define BAMCTL_CONTROLLER_SERVER_AUTHZ_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/server_context.h"
#include "pki/certs.h"

namespace bamctl {

// What a call needs of its caller.
enum class Access {
  kRead,    // ClusterService reads: viewers and operators
  kChange,  // ClusterService changes: operators
  kAgent,   // AgentService: nodes, each as itself
};

// Who makes a call: the identity of its verified client certificate, or,
// on a controller started with --insecure_plaintext, nobody known.
struct Caller {
  std::string name;  // the certificate's CN; "" without TLS
  PeerRole role = PeerRole::kViewer;
  bool verified = false;  // false only on a plaintext controller

  // For events and records: "admin" (a certificate's name), or for a
  // plaintext caller "unverified:<what the client says>".
  std::string Actor(absl::string_view client_says) const;
};

// Decides, per call, whether the caller may make it. With TLS the caller is
// read from the certificate the handshake verified against the cluster CA;
// nothing in the request counts. Without TLS (--insecure_plaintext, a
// loopback-only listener) every caller may do everything, as before TLS.
class Authorizer {
 public:
  explicit Authorizer(bool tls) : tls_(tls) {}

  // The caller of `ctx`; Unauthenticated when a TLS call has no client
  // certificate or one that names no identity.
  absl::StatusOr<Caller> CallerOf(const grpc::ServerContextBase& ctx) const;

  // The caller when it may make `call` ("apply", "status") with `access`;
  // PermissionDenied naming the call, the caller's role and the role it
  // needs otherwise.
  absl::StatusOr<Caller> Authorize(const grpc::ServerContextBase& ctx, Access access,
                                   absl::string_view call) const;

  bool tls() const { return tls_; }

 private:
  bool tls_;
};

// Checks the role and name rules alone (Authorize applies them to the
// caller of a call): OK when `caller` may make `call` with `access`.
absl::Status CheckAccess(const Caller& caller, Access access, absl::string_view call);

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_SERVER_AUTHZ_H_
