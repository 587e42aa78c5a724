#ifndef BAMCTL_AGENTD_TLS_ENROL_H_
#define BAMCTL_AGENTD_TLS_ENROL_H_

// A node's first certificate, traded for a one-time token (bamctl node
// token create) with the controller's EnrollmentService.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "agentd/tls/node_credentials.h"
#include "common/clock.h"

namespace bamctl {

struct EnrolOptions {
  std::string controller;  // host:port
  std::string node;
  std::string token;
  NodeTlsFiles files;  // the CA is read from files.ca_file; cert and key are written
  absl::Duration call_timeout = absl::Seconds(30);
  int attempts = 6;  // calls while the controller is UNAVAILABLE, with backoff between
  absl::Duration backoff_initial = absl::Seconds(1);
};

// Makes a key and a request for `node`, calls Enroll over TLS that verifies
// the controller with the CA, checks the answer (names this node, matches
// the key, issued by the CA) and installs key (0600) and certificate (0644).
// Writes nothing on failure. A refusal (the token unknown, used or expired)
// is PERMISSION_DENIED/NOT_FOUND/... with the controller's words; the token
// never appears in an error beyond its first 12 characters. Waits between
// attempts on `clock`.
absl::Status Enrol(const EnrolOptions& options, const Clock* clock);

// The agent's TLS settings, as its flags give them.
struct AgentTlsSettings {
  bool insecure_plaintext = false;  // --insecure_plaintext
  std::string controller;
  std::string node;
  NodeTlsFiles files;      // --ca_file, --cert_file, --key_file
  std::string token;       // --bootstrap_token
  std::string token_file;  // --bootstrap_token_file
};

// What bam-agentd starts with: null for plaintext; otherwise the node's
// credentials, enrolled first with the token when no certificate exists
// yet (a token is ignored once one does). Refuses settings that say
// neither TLS (--ca_file) nor --insecure_plaintext, or both.
absl::StatusOr<std::unique_ptr<FileNodeCredentials>> PrepareNodeCredentials(
    const AgentTlsSettings& settings, const Clock* clock);

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_TLS_ENROL_H_
