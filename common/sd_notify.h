#ifndef BAMCTL_COMMON_SD_NOTIFY_H_
#define BAMCTL_COMMON_SD_NOTIFY_H_

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace bamctl {

// The daemon's side of systemd's notify protocol (sd_notify(3), the
// Type=notify and WatchdogSec= service settings): newline-separated
// "KEY=VALUE" datagrams to the AF_UNIX socket named in $NOTIFY_SOCKET
// ("@name" is the abstract namespace). Written here rather than linked from
// libsystemd because it is one sendmsg and a test must run it without
// systemd. Every call does nothing when there is no socket, so the daemons
// call it unconditionally. Thread-safe.
class SystemdNotifier {
 public:
  // No socket: every call is a no-op.
  SystemdNotifier() = default;
  // `socket` as $NOTIFY_SOCKET gives it; `watchdog_usec` 0: no watchdog.
  SystemdNotifier(std::string socket, int64_t watchdog_usec);

  // From $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID (the watchdog is
  // ours only when WATCHDOG_PID is unset or our pid), then unsets all
  // three: the roles an agent starts must not inherit them and speak for
  // the service. Call from main before any thread starts (setenv is not
  // thread-safe).
  static SystemdNotifier FromEnvironment();

  bool enabled() const { return !socket_.empty(); }
  // The interval systemd expects pings within; 0 without a watchdog.
  int64_t watchdog_ms() const { return watchdog_usec_ / 1000; }

  // Sends `state` as is ("READY=1\nSTATUS=..."). An error names the socket.
  absl::Status Notify(absl::string_view state) const;

  // READY=1 with a status line; once is enough, later calls send the status.
  void Ready(absl::string_view status);
  // STATUS=<line> for `systemctl status`, sent only when it changed.
  void Status(absl::string_view status);
  // STOPPING=1 with a status line.
  void Stopping(absl::string_view status);
  // WATCHDOG=1, at most every quarter of the interval (monotonic `now_ms`):
  // call it from a main loop on every pass, and wake that loop at least
  // every PingIntervalMs() so a healthy idle loop keeps pinging.
  void Ping(int64_t now_ms);
  // How long a loop may sleep between Ping calls; a large value without a
  // watchdog.
  int64_t PingIntervalMs() const;

 private:
  void SendLogged(absl::string_view state) const;

  std::string socket_;
  int64_t watchdog_usec_ = 0;
  absl::Mutex mu_;
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
  std::string status_ ABSL_GUARDED_BY(mu_);
  int64_t last_ping_ms_ ABSL_GUARDED_BY(mu_) = INT64_MIN / 2;
};

}  // namespace bamctl

#endif  // BAMCTL_COMMON_SD_NOTIFY_H_
