#ifndef BAMCTL_AGENTD_TLS_NODE_CREDENTIALS_H_
#define BAMCTL_AGENTD_TLS_NODE_CREDENTIALS_H_

// The agent's node certificate and key: the files it connects with
// (--ca_file, --cert_file, --key_file), checked before they are used, and
// their replacement by a renewed pair that a crash cannot leave mismatched.

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "grpcpp/security/credentials.h"
#include "pki/certs.h"

namespace bamctl {

struct NodeTlsFiles {
  std::string ca_file;    // the cluster CA (PEM)
  std::string cert_file;  // this node's certificate (PEM, 0644)
  std::string key_file;   // its private key (PEM, 0600)
};

// OK when `cert_pem` is a node certificate for `node`, for `key_pem`,
// issued by `ca_pem` and valid at `now`. `cert_where` names the
// certificate's origin in errors (a file, "the controller's answer").
absl::Status CheckNodeCertificate(absl::string_view cert_pem, absl::string_view key_pem,
                                  absl::string_view ca_pem, absl::string_view node, absl::Time now,
                                  absl::string_view cert_where);

// Reads and checks the three files (readable; key matches certificate;
// CN = `node` and OU = node; issued by the CA; valid at `now`) and returns
// them as gRPC client TLS options. Errors name the file and the flag.
absl::StatusOr<grpc::SslCredentialsOptions> LoadNodeCredentials(const NodeTlsFiles& files,
                                                                absl::string_view node,
                                                                absl::Time now);

// When a certificate valid from `identity.not_before` to
// `identity.not_after` is due for renewal: after two thirds of its
// lifetime, so a node has a third of it (ten days of the default thirty)
// to reach the controller.
absl::Time RenewalDue(const Identity& identity);

// Replaces key and certificate together: both are written (fsynced) as
// KEY.new (0600) and CERT.new (0644), then KEY.new is renamed over KEY and
// CERT.new over CERT. A crash between the renames leaves a new key with
// CERT.new beside it, which RecoverInterruptedRenewal completes.
absl::Status InstallNodeCredentials(const NodeTlsFiles& files, absl::string_view cert_pem,
                                    absl::string_view key_pem);

// At start, before the files are loaded: finishes a renewal that
// InstallNodeCredentials did not (CERT.new matches the key in KEY.new or
// KEY: it is renamed into place) or drops its leftovers (anything else), so
// the agent always starts with a matching pair.
absl::Status RecoverInterruptedRenewal(const NodeTlsFiles& files);

// What the ControllerClient asks about its credentials. Thread-safe.
class NodeCredentialSource {
 public:
  virtual ~NodeCredentialSource() = default;
  // Credentials for a new channel, from the files as they are now.
  virtual absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials() = 0;
  // Wall time (ms since the epoch) when the certificate in use should be
  // renewed.
  virtual int64_t RenewalDueMillis() = 0;
  // Wall time (ms since the epoch) when the certificate in use expires.
  virtual int64_t ExpiryMillis() = 0;
  // A request for a fresh key, which is kept (in memory only) until
  // Install or the next request.
  virtual absl::StatusOr<std::string> NewRenewalRequest() = 0;
  // Checks `cert_pem` against the pending key, the node and the CA and
  // installs both; then Credentials() uses them.
  virtual absl::Status InstallRenewed(absl::string_view cert_pem) = 0;
};

// A NodeCredentialSource over the files.
class FileNodeCredentials : public NodeCredentialSource {
 public:
  // Finishes an interrupted renewal, then loads and checks the files
  // (LoadNodeCredentials) at `clock`'s wall time. `clock` must outlive this.
  static absl::StatusOr<std::unique_ptr<FileNodeCredentials>> Load(NodeTlsFiles files,
                                                                   std::string node,
                                                                   const Clock* clock);

  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials() override;
  int64_t RenewalDueMillis() override;
  int64_t ExpiryMillis() override;
  absl::StatusOr<std::string> NewRenewalRequest() override;
  absl::Status InstallRenewed(absl::string_view cert_pem) override;

 private:
  FileNodeCredentials(NodeTlsFiles files, std::string node, const Clock* clock,
                      grpc::SslCredentialsOptions options, Identity identity);

  const NodeTlsFiles files_;
  const std::string node_;
  const Clock* clock_;
  absl::Mutex mu_;
  grpc::SslCredentialsOptions options_ ABSL_GUARDED_BY(mu_);
  Identity identity_ ABSL_GUARDED_BY(mu_);
  std::optional<std::string> pending_key_ ABSL_GUARDED_BY(mu_);
};

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_TLS_NODE_CREDENTIALS_H_
