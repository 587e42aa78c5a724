#include "controller/server/authz.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/utf8.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"

namespace bamctl {

std::string Caller::Actor(absl::string_view client_says) const {
  if (verified) return name;
  return absl::StrCat("unverified:", client_says.empty() ? "unknown" : CutText(client_says, 64));
}

absl::StatusOr<Caller> Authorizer::CallerOf(const grpc::ServerContextBase& ctx) const {
  if (!tls_) return Caller{};
  std::shared_ptr<const grpc::AuthContext> auth = ctx.auth_context();
  std::vector<grpc::string_ref> pem;
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    pem = auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  }
  if (pem.empty()) {
    return absl::UnauthenticatedError(
        "no client certificate: this controller serves only callers with a certificate from "
        "the cluster's CA (bamctl pki issue; agents enrol with a token)");
  }
  absl::StatusOr<Identity> identity =
      IdentityOfCertificate(absl::string_view(pem.front().data(), pem.front().size()));
  if (!identity.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("the client certificate names no caller: ", identity.status().message()));
  }
  Caller caller;
  caller.name = identity->name;
  caller.role = identity->role;
  caller.verified = true;
  return caller;
}

absl::Status CheckAccess(const Caller& caller, Access access, absl::string_view call) {
  if (!caller.verified) return absl::OkStatus();  // plaintext: loopback only, all rights
  const PeerRole role = caller.role;
  switch (access) {
    case Access::kRead:
      if (role == PeerRole::kOperator || role == PeerRole::kViewer) return absl::OkStatus();
      break;
    case Access::kChange:
      if (role == PeerRole::kOperator) return absl::OkStatus();
      break;
    case Access::kAgent:
      if (role == PeerRole::kNode) return absl::OkStatus();
      break;
  }
  const char* needs = access == Access::kRead     ? "a viewer or operator certificate"
                      : access == Access::kChange ? "an operator certificate"
                                                  : "a node certificate";
  return absl::PermissionDeniedError(absl::StrCat(call, " needs ", needs, "; \"", caller.name,
                                                  "\" holds a ", PeerRoleText(role),
                                                  " certificate"));
}

absl::StatusOr<Caller> Authorizer::Authorize(const grpc::ServerContextBase& ctx, Access access,
                                             absl::string_view call) const {
  absl::StatusOr<Caller> caller = CallerOf(ctx);
  if (!caller.ok()) return caller.status();
  if (absl::Status s = CheckAccess(*caller, access, call); !s.ok()) return s;
  return caller;
}

}  // namespace bamctl
