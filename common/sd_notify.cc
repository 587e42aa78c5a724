#include "common/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace bamctl {

SystemdNotifier::SystemdNotifier(std::string socket, int64_t watchdog_usec)
    : socket_(std::move(socket)), watchdog_usec_(watchdog_usec > 0 ? watchdog_usec : 0) {}

SystemdNotifier SystemdNotifier::FromEnvironment() {
  std::string socket;
  int64_t usec = 0;
  if (const char* s = std::getenv("NOTIFY_SOCKET"); s != nullptr) socket = s;
  const char* watchdog = std::getenv("WATCHDOG_USEC");
  const char* watchdog_pid = std::getenv("WATCHDOG_PID");
  int64_t pid = 0;
  const bool ours = watchdog_pid == nullptr ||
                    (absl::SimpleAtoi(watchdog_pid, &pid) && pid == static_cast<int64_t>(getpid()));
  if (watchdog != nullptr && ours && !absl::SimpleAtoi(watchdog, &usec)) {
    spdlog::warn("systemd: WATCHDOG_USEC=\"{}\" is not a number of microseconds; no watchdog",
                 watchdog);
    usec = 0;
  }
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
  return SystemdNotifier(std::move(socket), usec);
}

absl::Status SystemdNotifier::Notify(absl::string_view state) const {
  if (socket_.empty()) return absl::OkStatus();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  // Only absolute paths and the abstract namespace, as sd_notify accepts.
  if ((socket_[0] != '/' && socket_[0] != '@') || socket_.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "NOTIFY_SOCKET=\"", socket_, "\" is neither an absolute path nor an @abstract name ",
        "shorter than ", sizeof(addr.sun_path), " bytes"));
  }
  std::memcpy(addr.sun_path, socket_.data(), socket_.size());
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';
  const socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size());
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("systemd notify: socket: ", std::strerror(errno)));
  }
  const ssize_t sent = sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                              reinterpret_cast<const sockaddr*>(&addr), len);
  const int err = errno;
  close(fd);
  if (sent < 0) {
    return absl::UnavailableError(
        absl::StrCat("systemd notify to ", socket_, ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

void SystemdNotifier::SendLogged(absl::string_view state) const {
  if (absl::Status s = Notify(state); !s.ok()) {
    spdlog::warn("{}", std::string(s.message()));  // systemd is told nothing; the daemon goes on
  }
}

void SystemdNotifier::Ready(absl::string_view status) {
  if (!enabled()) return;
  absl::MutexLock lock(&mu_);
  const bool first = !ready_;
  ready_ = true;
  if (!first && status == status_) return;
  status_ = std::string(status);
  SendLogged(first ? absl::StrCat("READY=1\nSTATUS=", status) : absl::StrCat("STATUS=", status));
}

void SystemdNotifier::Status(absl::string_view status) {
  if (!enabled()) return;
  absl::MutexLock lock(&mu_);
  if (status == status_) return;
  status_ = std::string(status);
  SendLogged(absl::StrCat("STATUS=", status));
}

void SystemdNotifier::Stopping(absl::string_view status) {
  if (!enabled()) return;
  absl::MutexLock lock(&mu_);
  status_ = std::string(status);
  SendLogged(absl::StrCat("STOPPING=1\nSTATUS=", status));
}

int64_t SystemdNotifier::PingIntervalMs() const {
  if (watchdog_usec_ == 0 || !enabled()) return int64_t{1} << 40;
  return std::max<int64_t>(1, watchdog_usec_ / 4000);
}

void SystemdNotifier::Ping(int64_t now_ms) {
  if (watchdog_usec_ == 0 || !enabled()) return;
  absl::MutexLock lock(&mu_);
  if (now_ms - last_ping_ms_ < PingIntervalMs()) return;
  last_ping_ms_ = now_ms;
  SendLogged("WATCHDOG=1");
}

}  // namespace bamctl
