#ifndef BAMCTL_CONTROLLER_ENROLMENT_ENROLMENT_H_
#define BAMCTL_CONTROLLER_ENROLMENT_ENROLMENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "controller/cluster/desired_state.h"
#include "controller/store/store.h"
#include "pki/certs.h"
#include "proto/controller.pb.h"

namespace bamctl {

// How nodes get and keep their certificates, as the kubelet's TLS bootstrap
// does: an operator makes a one-time token for a node of the spec; the
// node's agent makes its key on its host and trades the token and a
// certificate request for a certificate named after that node; before it
// expires the agent asks for a new one over its authenticated stream. The
// controller host keeps the CA key; no key travels.
class Enrolment {
 public:
  struct Options {
    absl::Duration node_certificate_lifetime = absl::Hours(24 * 30);
    absl::Duration default_token_ttl = absl::Hours(1);
    absl::Duration max_token_ttl = absl::Hours(24 * 7);
  };

  // `ca` null: this controller holds no CA key and refuses tokens and
  // enrolment (certificates are then issued with `bamctl pki issue`).
  Enrolment(Store* store, DesiredState* state, const Clock* clock,
            std::unique_ptr<CertificateAuthority> ca, Options options);

  // A token for `request.node()`, which the current desired state must
  // have; recorded (by its hash) with `actor` as who made it.
  absl::StatusOr<v1::CreateNodeTokenResponse> CreateToken(const v1::CreateNodeTokenRequest& request,
                                                          const std::string& actor);

  // Uses the token up and signs the request for the token's node.
  absl::StatusOr<v1::EnrollResponse> Enroll(const v1::EnrollRequest& request);

  // A new certificate for `node` (the caller's verified name) for the key
  // in `csr_pem`.
  absl::StatusOr<std::string> Renew(const std::string& node, const std::string& csr_pem);

 private:
  absl::Status RequireCa() const;

  Store* store_;
  DesiredState* state_;
  const Clock* clock_;
  std::unique_ptr<CertificateAuthority> ca_;
  Options options_;
};

// The form of a token: "bamctl-" and 64 hex digits (256 random bits).
bool LooksLikeNodeToken(absl::string_view token);

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_ENROLMENT_ENROLMENT_H_
