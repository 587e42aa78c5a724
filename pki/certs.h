#ifndef BAMCTL_PKI_CERTS_H_
#define BAMCTL_PKI_CERTS_H_

// The cluster's certificates: a CA that the controller host keeps, and the
// certificates it issues to the controller, to people (operators, viewers)
// and to nodes. A certificate says who its holder is in its subject:
// CN = the name (a node's name in the spec, a person's name), OU = the role
// ("operator", "viewer", "node", "controller"). The controller reads both
// from the verified peer certificate of every call; nothing a client
// writes in a request says who it is.
//
// Keys are ECDSA P-256; certificates are X.509 v3, signed with SHA-256.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace bamctl {

enum class PeerRole {
  kOperator,    // reads and changes the cluster through ClusterService
  kViewer,      // reads only
  kNode,        // an agent: AgentService only, as the node its CN names
  kController,  // the controller's serving certificate
};

// "operator", "viewer", "node", "controller".
absl::string_view PeerRoleText(PeerRole role);
// The inverse; an error lists the valid texts.
absl::StatusOr<PeerRole> PeerRoleFromText(absl::string_view text);

// Who a certificate names.
struct Identity {
  std::string name;  // CN
  PeerRole role = PeerRole::kViewer;
  absl::Time not_before;  // the validity period, e.g. to plan a renewal
  absl::Time not_after;
};

// The identity in a PEM certificate. Does not verify the certificate (the
// TLS handshake did); refuses a certificate without exactly one CN and one
// OU, or whose OU is not a role.
absl::StatusOr<Identity> IdentityOfCertificate(absl::string_view cert_pem);

// When a PEM certificate (any: a CA's too) stops being valid.
absl::StatusOr<absl::Time> CertificateNotAfter(absl::string_view cert_pem);

// A private key (PKCS#8 PEM) and its certificate (PEM).
struct KeyAndCertificate {
  std::string key_pem;
  std::string cert_pem;
};

// A new key and a certificate signing request (PEM) for it whose subject is
// CN=name. The signer decides the subject it issues anyway.
struct KeyAndRequest {
  std::string key_pem;
  std::string csr_pem;
};
absl::StatusOr<KeyAndRequest> NewKeyAndRequest(absl::string_view name);

class CertificateAuthority {
 public:
  // A new self-signed CA certificate ("CN=<cluster> CA", basic constraints
  // CA:TRUE, key usage keyCertSign|cRLSign) and key, valid for `lifetime`.
  static absl::StatusOr<CertificateAuthority> Create(absl::string_view cluster_name,
                                                     absl::Duration lifetime);
  // An existing CA (e.g. from another PKI): the key must match the
  // certificate, and the certificate must be a CA.
  static absl::StatusOr<CertificateAuthority> Load(absl::string_view cert_pem,
                                                   absl::string_view key_pem);

  const std::string& cert_pem() const { return cert_pem_; }
  const std::string& key_pem() const { return key_pem_; }

  // A new key and a certificate for `name` in `role`, valid for `lifetime`
  // from now (minus a minute of clock skew at the start). `dns_names` and
  // `ip_addresses` become subjectAltNames (a serving certificate needs them:
  // the controller's host names and addresses); extended key usage is
  // serverAuth for kController, clientAuth otherwise.
  absl::StatusOr<KeyAndCertificate> Issue(absl::string_view name, PeerRole role,
                                          absl::Duration lifetime,
                                          const std::vector<std::string>& dns_names = {},
                                          const std::vector<std::string>& ip_addresses = {}) const;

  // A certificate for the key in `csr_pem` (whose signature must verify),
  // with the subject given here, never the request's: CN=name, OU=role.
  absl::StatusOr<std::string> Sign(absl::string_view csr_pem, absl::string_view name, PeerRole role,
                                   absl::Duration lifetime) const;

 private:
  CertificateAuthority(std::string cert_pem, std::string key_pem);
  std::string cert_pem_;
  std::string key_pem_;
};

// OK when `cert_pem` was issued by the CA in `ca_pem` and is valid at `now`.
absl::Status VerifyCertificate(absl::string_view cert_pem, absl::string_view ca_pem,
                               absl::Time now);

// OK when `key_pem` is the private key of `cert_pem`'s public key; an error
// says which one did not parse or that they do not belong together.
absl::Status CheckKeyMatchesCertificate(absl::string_view cert_pem, absl::string_view key_pem);

}  // namespace bamctl

#endif  // BAMCTL_PKI_CERTS_H_
