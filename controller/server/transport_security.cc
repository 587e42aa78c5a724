#include "controller/server/transport_security.h"

#include <arpa/inet.h>

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"
#include "common/net_util.h"
#include "grpcpp/security/server_credentials.h"
#include "pki/certs.h"

namespace bamctl {
namespace {

absl::StatusOr<std::string> ReadTlsFile(const std::string& dir, const std::string& name) {
  const std::string path = absl::StrCat(dir, "/", name);
  absl::StatusOr<std::optional<std::string>> text = ReadFileIfExists(path);
  if (!text.ok()) return text.status();
  if (!text->has_value()) {
    return absl::NotFoundError(absl::StrCat(
        "--tls_dir: ", path, " does not exist (bamctl pki init --dir ", dir, " writes it)"));
  }
  return **std::move(text);
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ControllerCredentials(
    const std::string& tls_dir, bool insecure_plaintext, absl::string_view listen, absl::Time now) {
  if (!tls_dir.empty() && insecure_plaintext) {
    return absl::InvalidArgumentError(
        "give either --tls_dir (TLS, the default for any network) or --insecure_plaintext "
        "(loopback only), not both");
  }
  if (insecure_plaintext) {
    if (!IsLoopbackListen(listen)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--insecure_plaintext serves without TLS and so only on a loopback address "
                       "(127.0.0.0/8, [::1], localhost); --listen=",
                       listen, " is not one: use --tls_dir"));
    }
    return grpc::InsecureServerCredentials();
  }
  if (tls_dir.empty()) {
    return absl::InvalidArgumentError(
        "the controller serves TLS: give --tls_dir=DIR (from bamctl pki init), or "
        "--insecure_plaintext to serve without TLS on a loopback address");
  }
  absl::StatusOr<std::string> ca = ReadTlsFile(tls_dir, "ca.crt");
  if (!ca.ok()) return ca.status();
  absl::StatusOr<std::string> cert = ReadTlsFile(tls_dir, "controller.crt");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadTlsFile(tls_dir, "controller.key");
  if (!key.ok()) return key.status();
  // Checked here so that a wrong file is said at start, not as a failed
  // handshake on every client.
  if (absl::Status s = VerifyCertificate(*cert, *ca, now); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(tls_dir, "/controller.crt is not usable with ",
                                                   tls_dir, "/ca.crt: ", s.message()));
  }
  grpc::SslServerCredentialsOptions options(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = *ca;
  options.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(options);
}

}  // namespace bamctl
