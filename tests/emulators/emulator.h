#ifndef BAMCTL_TESTS_EMULATORS_EMULATOR_H_
#define BAMCTL_TESTS_EMULATORS_EMULATOR_H_

#include <istream>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace bamctl::emulator {

// The bam-emulator command line (`args` without argv[0]); returns the exit
// status:
//
//   install PRODUCT DEST [--bind-address=ADDR]    PRODUCT: hadoop | cassandra | bam
//   run PROGRAM --home=DIR [--bind-address=ADDR] [--] ARGS...
//                                   PROGRAM: hadoop | cassandra | nodetool | wso2server.sh
//
// `env` is the process environment the programs read (JAVA_HOME,
// HADOOP_CONF_DIR, ...); `in` answers namenode -format's question. `run`
// of a daemon returns only after SIGTERM/SIGINT or a failure, and injected
// crashes do not return at all: call it from main only. Status 2 is a usage
// or fault-file error of the emulator itself, never the product's.
int RunEmulator(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace bamctl::emulator

#endif  // BAMCTL_TESTS_EMULATORS_EMULATOR_H_
