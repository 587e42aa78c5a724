#ifndef BAMCTL_TESTS_INTEGRATION_CHILD_PROCESS_H_
#define BAMCTL_TESTS_INTEGRATION_CHILD_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace bamctl::testing {

// A process a test started, in its own session and process group, with
// stdout and stderr appended to `log_path`. The destructor kills the whole
// group (SIGKILL) and reaps it, so a failing test leaves nothing running;
// and the process gets SIGKILL when the thread that started it ends (start
// it from the test's own thread), so a test killed on a timeout does not
// leave it either.
class ChildProcess {
 public:
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
      const std::string& working_dir, const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // True while the process has not exited (reaps it if it has).
  bool Running();
  // Waits up to `timeout` for the exit and returns the exit code (128+N for
  // signal N), also when Running() already reaped it; DeadlineExceeded if it
  // is still running then.
  absl::StatusOr<int> Wait(std::chrono::milliseconds timeout);

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  // Reaps the process if it has exited, without blocking; true if reaped.
  bool TryReap();

  pid_t pid_;
  bool reaped_ = false;
  int exit_code_ = -1;  // once reaped_
};

}  // namespace bamctl::testing

#endif  // BAMCTL_TESTS_INTEGRATION_CHILD_PROCESS_H_
