#ifndef BAMCTL_TESTS_EMULATORS_DAEMON_H_
#define BAMCTL_TESTS_EMULATORS_DAEMON_H_

#include <chrono>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tests/emulators/products.h"

namespace bamctl::emulator {

// Log lines in the shape of the product's own console log (timestamp,
// level, logger), one flushed line each, so an agent's log reads like the
// product's and survives a crash.
class Logger {
 public:
  // `out` is not owned and must outlive the logger.
  Logger(Product product, std::string source, std::ostream* out)
      : product_(product), source_(std::move(source)), out_(out) {}
  void Info(absl::string_view message) { Line("INFO", message); }
  void Warn(absl::string_view message) { Line("WARN", message); }
  void Error(absl::string_view message) { Line("ERROR", message); }

 private:
  void Line(absl::string_view level, absl::string_view message);
  Product product_;
  std::string source_;
  std::ostream* out_;
};

struct DaemonOptions {
  std::string fault_file;    // <home>/emulator-fault
  std::string fault_scope;   // the service name its lines are scoped with
  bool ignore_term = false;  // the ignore-term fault
  std::chrono::milliseconds fault_poll{200};
  std::chrono::milliseconds connect_retry{1000};  // Hadoop's ipc.client.connect retry pace
};

// Runs `plan` in the foreground: connects to each of its masters (retrying
// every connect_retry), creates its directories and files, binds its
// endpoints (SO_REUSEADDR) and serves them, one connection at a time, until
// SIGTERM or SIGINT (returns 0 after the shutdown line). A directory, file
// or bind failure is logged and returns 1. Re-reads the fault file every
// fault_poll; "crash-now" kills the process with SIGKILL. Blocks SIGTERM and
// SIGINT for the calling thread (they are read through a signalfd).
int RunDaemon(const DaemonPlan& plan, const DaemonOptions& options, Logger& log);

// Binds `endpoint` (SO_REUSEADDR) and listens: the socket, or the
// BindException as the JVM words it (a port another process listens on).
absl::StatusOr<int> BindListener(const Endpoint& endpoint);

// The reply an HTTP endpoint gives to `request` (the bytes up to the blank
// line): a status line, headers and a small body; `Connection: close`.
// `status` is added to a page's body (a namenode's "Safe mode is ON.").
std::string HttpReply(const Endpoint& endpoint, absl::string_view request,
                      absl::string_view status = "");

}  // namespace bamctl::emulator

#endif  // BAMCTL_TESTS_EMULATORS_DAEMON_H_
