#include "tests/emulators/emulator.h"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tests/emulators/daemon.h"
#include "tests/emulators/faults.h"
#include "tests/emulators/install.h"
#include "tests/emulators/products.h"

namespace bamctl::emulator {
namespace {

constexpr absl::string_view kUsage =
    "usage: bam-emulator install PRODUCT DEST [--bind-address=ADDR]\n"
    "       bam-emulator run PROGRAM --home=DIR [--bind-address=ADDR] [--] ARGS...\n"
    "PRODUCT: hadoop | cassandra | bam; PROGRAM: hadoop | cassandra | nodetool | wso2server.sh\n";

int Usage(std::ostream& err, absl::string_view problem) {
  err << "bam-emulator: " << problem << "\n" << kUsage;
  return 2;
}

int RunInstall(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> positional;
  InstallOptions options;
  for (const std::string& a : args) {
    absl::string_view arg = a;
    if (absl::ConsumePrefix(&arg, "--bind-address=")) {
      options.bind_address = std::string(arg);
    } else if (absl::StartsWith(arg, "--")) {
      return Usage(err, absl::StrCat("unknown option ", arg));
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() != 2) return Usage(err, "install takes PRODUCT and DEST");
  std::optional<Product> product = ParseProduct(positional[0]);
  if (!product) return Usage(err, absl::StrCat("unknown product \"", positional[0], "\""));
  // The scripts exec this very binary, by the absolute path it runs from.
  std::error_code ec;
  options.emulator = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec) {
    err << "bam-emulator: cannot resolve /proc/self/exe: " << ec.message() << "\n";
    return 1;
  }
  if (absl::Status installed = Install(*product, positional[1], options); !installed.ok()) {
    err << "bam-emulator: install " << positional[0] << " " << positional[1] << ": "
        << installed.message() << "\n";
    return 1;
  }
  out << "Installed an emulated " << positional[0] << " at " << positional[1] << "\n";
  return 0;
}

[[noreturn]] void CrashAtStart() {
  const rlimit no_core{0, 0};  // a crash test should not leave core files behind
  setrlimit(RLIMIT_CORE, &no_core);
  std::abort();
}

int RunProgram(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
               std::istream& in, std::ostream& out, std::ostream& err) {
  if (args.empty()) return Usage(err, "run takes PROGRAM");
  RunRequest request;
  request.program = args[0];
  request.env = env;
  size_t i = 1;
  for (; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (absl::ConsumePrefix(&arg, "--home=")) {
      request.home = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--bind-address=")) {
      request.bind_address = std::string(arg);
    } else {
      break;  // the program's own arguments start here
    }
  }
  request.args.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  std::optional<Product> product = ProductOfProgram(request.program);
  if (!product) return Usage(err, absl::StrCat("unknown program \"", request.program, "\""));
  if (request.home.empty()) return Usage(err, "run needs --home=DIR (the product home)");

  DaemonOptions options;
  options.fault_file = absl::StrCat(request.home, "/", kFaultFileName);
  options.fault_scope = FaultScope(request);
  absl::StatusOr<Faults> faults = ReadFaults(options.fault_file, options.fault_scope);
  if (!faults.ok()) {
    err << "bam-emulator: " << faults.status().message() << "\n";
    return 2;
  }
  options.ignore_term = faults->ignore_term;
  const std::string injected =
      absl::StrCat(" (", options.fault_file, ", scope ", options.fault_scope, ")");
  if (faults->exit_at_start) {
    err << "bam-emulator: injected fault exit-at-start" << injected << ": exiting with status 1\n";
    return 1;
  }
  if (faults->crash_at_start) {
    err << "bam-emulator: injected fault crash-at-start" << injected << ": aborting" << std::endl;
    CrashAtStart();
  }
  if (faults->hang_at_start) {
    DaemonPlan hang;
    hang.product = *product;
    hang.source = options.fault_scope;
    hang.startup_log = {absl::StrCat("injected fault hang-at-start", injected,
                                     ": binding nothing until SIGTERM, SIGINT or SIGKILL")};
    hang.shutdown_log = "hang ended by a signal";
    Logger log(*product, hang.source, &out);
    return RunDaemon(hang, options, log);
  }

  absl::StatusOr<Invocation> invocation = Prepare(request, in);
  if (!invocation.ok()) {
    err << invocation.status().message() << std::endl;
    return 1;
  }
  out << invocation->out << std::flush;
  err << invocation->err << std::flush;
  if (!invocation->daemon) return invocation->exit_code;
  Logger log(*product, invocation->daemon->source, &out);
  return RunDaemon(*invocation->daemon, options, log);
}

}  // namespace

int RunEmulator(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                std::istream& in, std::ostream& out, std::ostream& err) {
  if (args.empty()) return Usage(err, "no command");
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "install") return RunInstall(rest, out, err);
  if (args[0] == "run") return RunProgram(rest, env, in, out, err);
  return Usage(err, absl::StrCat("unknown command \"", args[0], "\""));
}

}  // namespace bamctl::emulator
