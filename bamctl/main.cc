// bamctl: the operator's command line. The commands live in bamctl_cli
// (bamctl/cli.h); this is only the process around them.
#include <iostream>
#include <string>
#include <vector>

#include "bamctl/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return bamctl::RunBamctl(args, std::cout, std::cerr);
}
