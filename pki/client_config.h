#ifndef BAMCTL_PKI_CLIENT_CONFIG_H_
#define BAMCTL_PKI_CLIENT_CONFIG_H_

// bamctl's client config (`bamctl --config FILE`, $BAMCTL_CONFIG): which
// controller to talk to and the files of the TLS identity to talk with.
//
//   # comment
//   controller = ctl1.example:7443
//   ca_file = ca.crt
//   cert_file = admin.crt
//   key_file = admin.key
//
// One `key = value` per line; blank lines and lines starting with '#' are
// skipped (a '#' elsewhere is part of the value). A relative path is
// relative to the directory of the config file, so a directory written by
// `bamctl pki init` can be moved as a whole.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bamctl {

// One value of a config and the line it came from (0: not in the file).
struct ConfigValue {
  std::string value;
  int line = 0;
};

struct ClientConfig {
  std::string path;        // the file it was read from
  ConfigValue controller;  // HOST:PORT; empty when the file names none
  ConfigValue ca_file;     // the CA that signed the controller's certificate
  ConfigValue cert_file;   // this client's certificate
  ConfigValue key_file;    // and its key
};

// The keys a config may hold, for messages: "controller, ca_file, ...".
absl::string_view ClientConfigKeys();

// The text of a config. `comment` (one or more lines, without '#') heads
// it; `controller` may be empty (no controller line). Paths are written as
// given.
std::string FormatClientConfig(absl::string_view comment, absl::string_view controller,
                               absl::string_view ca_file, absl::string_view cert_file,
                               absl::string_view key_file);

// Parses `text` as the config at `path` (which names it in errors and
// anchors relative paths). Errors name `path:line`, and an unknown key
// lists the valid ones. ca_file, cert_file and key_file are required.
absl::StatusOr<ClientConfig> ParseClientConfig(absl::string_view text, const std::string& path);

// ParseClientConfig of the file at `path`.
absl::StatusOr<ClientConfig> ReadClientConfig(const std::string& path);

// "HOST:PORT", with an IPv6 literal in brackets ("[fd00::1]:7443").
std::string HostPort(absl::string_view host, int port);

// The PEM texts a TLS client presents and trusts.
struct ClientTls {
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
};

// Reads the files `config` names and checks that each is what it should be
// (a certificate, a certificate, an unencrypted key) and that the key is
// the certificate's. An error names the file and the config line that
// named it ("bamctl.conf:4: key_file /pki/admin.key: ...").
absl::StatusOr<ClientTls> LoadClientTls(const ClientConfig& config);

}  // namespace bamctl

#endif  // BAMCTL_PKI_CLIENT_CONFIG_H_
