#ifndef BAMCTL_AGENTD_LAUNCHER_EXIT_WATCHER_H_
#define BAMCTL_AGENTD_LAUNCHER_EXIT_WATCHER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "agentd/launcher/launcher.h"

namespace bamctl {

// Tells the agent's loop the moment a watched process ends, child or
// adopted, so an exit is acted on at once instead of at the next resync.
class ExitWatcher {
 public:
  virtual ~ExitWatcher() = default;
  // Replaces the set of processes watched. `on_exit` (given at
  // construction) runs once per process that ends while watched.
  virtual void Watch(const std::vector<ProcessId>& ids) = 0;
};

// One thread polling a pidfd per process (and an eventfd for changes to the
// set), however many roles the node runs.
class PidfdExitWatcher : public ExitWatcher {
 public:
  explicit PidfdExitWatcher(std::function<void()> on_exit);
  ~PidfdExitWatcher() override;
  PidfdExitWatcher(const PidfdExitWatcher&) = delete;
  PidfdExitWatcher& operator=(const PidfdExitWatcher&) = delete;

  void Watch(const std::vector<ProcessId>& ids) override;

 private:
  void Run();
  void Kick();

  const std::function<void()> on_exit_;
  int event_fd_ = -1;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  struct Watched {
    ProcessId id;
    int fd;
    // Told apart by serial, not fd number: a pidfd closed by Watch while
    // the thread polls may have its number reused by the next one opened.
    uint64_t serial;
  };
  std::map<pid_t, Watched> watched_ ABSL_GUARDED_BY(mu_);
  uint64_t serials_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_LAUNCHER_EXIT_WATCHER_H_
