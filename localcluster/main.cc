// bam-local-cluster: lays out a spec's cluster on this one machine (see
// localcluster/local_cluster_layout.h). scripts/demo.sh starts the daemons.
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "localcluster/local_cluster_layout.h"

ABSL_FLAG(std::string, spec, "examples/seed-cluster.yaml", "the cluster spec to run locally");
ABSL_FLAG(std::string, dir, "demo-run", "run dir: node roots, state, logs");
ABSL_FLAG(std::string, address_base, "127.0.1", "node N gets <address_base>.N");
ABSL_FLAG(std::string, emulator, "", "bam-emulator binary (installs emulated products)");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "bam-local-cluster prepare --spec=FILE --dir=DIR [--address_base=127.0.1] "
      "[--emulator=PATH]\nWrites DIR/local-cluster.yaml and DIR/nodes.tsv.");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2 || std::string(args[1]) != "prepare") {
    std::cerr << "usage: bam-local-cluster prepare --spec=FILE --dir=DIR\n";
    return 2;
  }
  absl::StatusOr<std::optional<std::string>> text =
      bamctl::ReadFileIfExists(absl::GetFlag(FLAGS_spec));
  if (!text.ok() || !text->has_value()) {
    std::cerr << "bam-local-cluster: cannot read " << absl::GetFlag(FLAGS_spec) << "\n";
    return 1;
  }
  bamctl::LocalClusterOptions options;
  options.dir = absl::GetFlag(FLAGS_dir);
  options.address_base = absl::GetFlag(FLAGS_address_base);
  options.emulator = absl::GetFlag(FLAGS_emulator);
  absl::StatusOr<bamctl::LocalClusterLayout> layout = bamctl::PrepareLocalCluster(**text, options);
  if (!layout.ok()) {
    std::cerr << "bam-local-cluster: " << layout.status().message() << "\n";
    return 1;
  }
  std::string tsv;
  for (const bamctl::LocalNode& n : layout->nodes) {
    absl::StrAppend(&tsv, n.name, "\t", n.address, "\t", n.root, "\t", n.state_dir, "\t", n.log_dir,
                    "\n");
  }
  for (const auto& [name, content] :
       {std::pair<std::string, std::string>{"local-cluster.yaml", layout->spec_text},
        {"nodes.tsv", tsv}}) {
    if (absl::Status s = bamctl::WriteFileAtomically(options.dir + "/" + name, content, 0644);
        !s.ok()) {
      std::cerr << "bam-local-cluster: " << s.message() << "\n";
      return 1;
    }
  }
  return 0;
}
