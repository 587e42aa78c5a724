#ifndef BAMCTL_TESTS_EMULATORS_INSTALL_H_
#define BAMCTL_TESTS_EMULATORS_INSTALL_H_

#include <string>

#include "absl/status/status.h"
#include "tests/emulators/products.h"

namespace bamctl::emulator {

struct InstallOptions {
  std::string emulator;  // absolute path of the bam-emulator binary the scripts exec
  // BAM only: the address its listeners bind, written into wso2server.sh.
  // "" = every interface, as Carbon binds (one BAM per machine then).
  std::string bind_address;
};

// Creates (mkdir -p) or refreshes an emulated install of `product` at
// `dest`, laid out like the real one: each program the role drivers run
// (bin/hadoop; bin/cassandra, bin/nodetool; bin/wso2server.sh) as a 0755
// /bin/sh script that execs `options.emulator run PROGRAM --home=DEST`, the
// shipped files the drivers patch in place (stock copies from roles/stock),
// the conf directories, and README.emulated. Scripts are always rewritten;
// existing configuration files are kept (the agent may have patched them).
absl::Status Install(Product product, const std::string& dest, const InstallOptions& options);

}  // namespace bamctl::emulator

#endif  // BAMCTL_TESTS_EMULATORS_INSTALL_H_
