#include "agentd/launcher/exit_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "common/thread_name.h"

namespace bamctl {
namespace {

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

}  // namespace

PidfdExitWatcher::PidfdExitWatcher(std::function<void()> on_exit)
    : on_exit_(std::move(on_exit)), event_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  thread_ = std::thread([this] { Run(); });
}

PidfdExitWatcher::~PidfdExitWatcher() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  Kick();
  thread_.join();
  absl::MutexLock lock(&mu_);
  for (const auto& [pid, watched] : watched_) close(watched.fd);
  if (event_fd_ >= 0) close(event_fd_);
}

void PidfdExitWatcher::Kick() {
  const uint64_t one = 1;
  ssize_t n;
  do {
    n = write(event_fd_, &one, sizeof(one));
  } while (n < 0 && errno == EINTR);
}

void PidfdExitWatcher::Watch(const std::vector<ProcessId>& ids) {
  bool changed = false;
  {
    absl::MutexLock lock(&mu_);
    std::map<pid_t, Watched> next;
    for (const ProcessId& id : ids) {
      auto it = watched_.find(id.pid);
      if (it != watched_.end() && it->second.id == id) {
        next.emplace(id.pid, it->second);
        watched_.erase(it);
        continue;
      }
      const int fd = PidfdOpen(id.pid);
      if (fd < 0) {  // gone already: the loop sees it on its pass
        changed = true;
        continue;
      }
      next.emplace(id.pid, Watched{id, fd, ++serials_});
      changed = true;
    }
    for (const auto& [pid, watched] : watched_) {
      close(watched.fd);
      changed = true;
    }
    watched_ = std::move(next);
  }
  if (changed) Kick();
}

void PidfdExitWatcher::Run() {
  NameThisThread("exit-watcher");
  while (true) {
    std::vector<pollfd> fds;
    std::vector<std::pair<pid_t, uint64_t>> polled;  // pid and serial, per fds[i + 1]
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      fds.push_back({event_fd_, POLLIN, 0});
      for (const auto& [pid, watched] : watched_) {
        fds.push_back({watched.fd, POLLIN, 0});
        polled.emplace_back(pid, watched.serial);
      }
    }
    int r;
    do {
      r = poll(fds.data(), fds.size(), -1);
    } while (r < 0 && errno == EINTR);
    if (fds[0].revents != 0) {
      uint64_t count;
      while (read(event_fd_, &count, sizeof(count)) > 0) {
      }
    }
    bool exited = false;
    {
      absl::MutexLock lock(&mu_);
      for (size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        auto it = watched_.find(polled[i - 1].first);
        // Still the same watch (Watch may have replaced the set meanwhile):
        // stop watching it, so one exit wakes the loop once.
        if (it != watched_.end() && it->second.serial == polled[i - 1].second) {
          close(it->second.fd);
          watched_.erase(it);
          exited = true;
        }
      }
    }
    if (exited && on_exit_) on_exit_();
  }
}

}  // namespace bamctl
