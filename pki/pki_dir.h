#ifndef BAMCTL_PKI_PKI_DIR_H_
#define BAMCTL_PKI_PKI_DIR_H_

// A PKI directory as `bamctl pki init` lays it out:
//
//   DIR/                 0700
//     ca.crt  ca.key     the cluster CA (keys are always 0600)
//     controller.crt/.key  the controller's serving certificate
//     admin.crt/.key     the first operator
//     bamctl.conf        a client config for admin (pki/client_config.h)
//     NAME.crt/.key      what `bamctl pki issue` adds, and NAME.conf for
//                        operators and viewers
//
// Nothing here overwrites a file: every file is written to a temp file in
// DIR and linked into place only if its name is free, so a crash leaves
// either no file or a whole one, and a second init or issue of a taken name
// is refused.

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "pki/certs.h"

namespace bamctl {

// How long what this directory issues is valid.
inline constexpr absl::Duration kCaLifetime = absl::Hours(24 * 3653);  // ten years
inline constexpr absl::Duration kControllerCertLifetime = absl::Hours(24 * 365);
inline constexpr absl::Duration kPersonCertLifetime = absl::Hours(24 * 365);  // operator, viewer
inline constexpr absl::Duration kNodeCertLifetime = absl::Hours(24 * 30);     // agents renew them

inline constexpr int kDefaultControllerPort = 7443;

// The lifetime of a certificate for `role`.
absl::Duration CertLifetime(PeerRole role);

// A file written, for telling the user (never its content).
struct WrittenFile {
  std::string path;
  mode_t mode = 0;
};

// OK when `name` can name a certificate and its files:
// [A-Za-z0-9][A-Za-z0-9._-]{0,62} (so never a path, never "..").
absl::Status CheckCertificateName(absl::string_view name);

// Creates the CA, the controller's certificate (CN = the first host,
// subjectAltNames = every host: IP literals as IP names, others as DNS
// names), admin's operator certificate and bamctl.conf (controller = first
// host:port) in `dir`, created 0700 if missing. Refuses, writing nothing,
// when `dir` already holds any of these files. On a failure part way it
// removes what it wrote.
absl::StatusOr<std::vector<WrittenFile>> InitPkiDir(
    const std::string& dir, absl::string_view cluster_name,
    const std::vector<std::string>& controller_hosts, int controller_port);

// Issues NAME.crt and NAME.key for `role` from the CA in `dir`, and for
// operators and viewers NAME.conf (the controller of dir/bamctl.conf, if
// there is one). A controller certificate (a renewal of the one init made:
// it lasts a year) names `controller_hosts` as its subjectAltNames, which
// only it takes. Refuses a bad name and a name whose files exist.
absl::StatusOr<std::vector<WrittenFile>> IssueInDir(
    const std::string& dir, absl::string_view name, PeerRole role,
    const std::vector<std::string>& controller_hosts = {});

}  // namespace bamctl

#endif  // BAMCTL_PKI_PKI_DIR_H_
