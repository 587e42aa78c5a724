// bamctl: the operator's command line. Everything lives in bamctl/cli.cc.
#include <iostream>
#include <string>
#include <vector>

#include "bamctl/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return bamctl::RunBamctl(args, std::cout, std::cerr);
}
