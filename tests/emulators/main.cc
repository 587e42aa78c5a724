// bam-emulator: emulated Hadoop 1.x, Cassandra and WSO2 BAM installs for
// local test clusters (see README.md).

#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "tests/emulators/emulator.h"

extern char** environ;

int main(int argc, char** argv) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string var = *e;
    const size_t eq = var.find('=');
    if (eq != std::string::npos) env.emplace(var.substr(0, eq), var.substr(eq + 1));
  }
  return bamctl::emulator::RunEmulator(std::vector<std::string>(argv + 1, argv + argc), env,
                                       std::cin, std::cout, std::cerr);
}
