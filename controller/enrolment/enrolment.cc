#include "controller/enrolment/enrolment.h"

#include <openssl/rand.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/hash.h"
#include "common/status_macros.h"
#include "common/utf8.h"

namespace bamctl {
namespace {

constexpr absl::string_view kTokenPrefix = "bamctl-";
constexpr size_t kTokenBytes = 32;

absl::StatusOr<std::string> NewToken() {
  unsigned char bytes[kTokenBytes];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return absl::InternalError("the system's random source failed; no token made");
  }
  return absl::StrCat(kTokenPrefix, absl::BytesToHexString(absl::string_view(
                                        reinterpret_cast<const char*>(bytes), sizeof(bytes))));
}

}  // namespace

bool LooksLikeNodeToken(absl::string_view token) {
  if (!absl::ConsumePrefix(&token, kTokenPrefix) || token.size() != 2 * kTokenBytes) return false;
  for (char c : token) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

Enrolment::Enrolment(Store* store, DesiredState* state, const Clock* clock,
                     std::unique_ptr<CertificateAuthority> ca, Options options)
    : store_(store), state_(state), clock_(clock), ca_(std::move(ca)), options_(options) {}

absl::Status Enrolment::RequireCa() const {
  if (ca_ != nullptr) return absl::OkStatus();
  return absl::FailedPreconditionError(
      "this controller holds no CA key (ca.key in its --tls_dir), so it cannot enrol nodes; "
      "issue node certificates with bamctl pki issue --role node instead");
}

absl::StatusOr<v1::CreateNodeTokenResponse> Enrolment::CreateToken(
    const v1::CreateNodeTokenRequest& request, const std::string& actor) {
  RETURN_IF_ERROR(RequireCa());
  ASSIGN_OR_RETURN(std::shared_ptr<const DesiredState::Current> current, state_->CurrentPlans());
  if (current->Find(request.node()) == nullptr) {
    return absl::NotFoundError(absl::StrCat("node \"", CutText(request.node(), 64),
                                            "\" is not in the desired state (version ",
                                            current->version, "); tokens are for its nodes"));
  }
  absl::Duration ttl =
      request.ttl_ms() > 0 ? absl::Milliseconds(request.ttl_ms()) : options_.default_token_ttl;
  if (ttl > options_.max_token_ttl) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ttl ", absl::FormatDuration(ttl), " is longer than the longest a token may live (",
        absl::FormatDuration(options_.max_token_ttl), ")"));
  }
  ASSIGN_OR_RETURN(std::string token, NewToken());
  NodeTokenRecord record;
  record.node = request.node();
  record.created_by = actor;
  record.created_ms = clock_->NowMillis();
  record.expires_ms = record.created_ms + absl::ToInt64Milliseconds(ttl);
  RETURN_IF_ERROR(store_->AddNodeToken(Sha256Hex(token), record));
  v1::CreateNodeTokenResponse response;
  response.set_token(token);
  response.set_node(record.node);
  response.set_expires_ms(record.expires_ms);
  return response;
}

absl::StatusOr<v1::EnrollResponse> Enrolment::Enroll(const v1::EnrollRequest& request) {
  RETURN_IF_ERROR(RequireCa());
  if (!LooksLikeNodeToken(request.token())) {
    return absl::InvalidArgumentError(
        "not an enrolment token: want \"bamctl-\" and 64 hex digits, as bamctl node token create "
        "prints");
  }
  ASSIGN_OR_RETURN(std::string node, store_->RedeemNodeToken(Sha256Hex(request.token())));
  absl::StatusOr<std::string> cert =
      ca_->Sign(request.csr_pem(), node, PeerRole::kNode, options_.node_certificate_lifetime);
  if (!cert.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the certificate request is not usable (the token is used up): ", cert.status().message()));
  }
  v1::EnrollResponse response;
  response.set_node(node);
  response.set_cert_pem(*cert);
  response.set_ca_pem(ca_->cert_pem());
  return response;
}

absl::StatusOr<std::string> Enrolment::Renew(const std::string& node, const std::string& csr_pem) {
  RETURN_IF_ERROR(RequireCa());
  ASSIGN_OR_RETURN(std::string cert,
                   ca_->Sign(csr_pem, node, PeerRole::kNode, options_.node_certificate_lifetime));
  RETURN_IF_ERROR(store_->RecordEvent("renew", node, node, "node certificate renewed"));
  return cert;
}

}  // namespace bamctl
