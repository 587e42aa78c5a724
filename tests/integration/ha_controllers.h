#ifndef BAMCTL_TESTS_INTEGRATION_HA_CONTROLLERS_H_
#define BAMCTL_TESTS_INTEGRATION_HA_CONTROLLERS_H_

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "proto/controller.grpc.pb.h"
#include "tests/integration/child_process.h"

namespace bamctl::testing {

// Real bam-controller processes of one HA cluster (docs/ha.md), for the HA
// tests and the fault campaign: controller i listens (plaintext, loopback
// only) on <this process's subnet>.(254 - i):7443 and advertises that, with
// its own database and log in `dir`. Killed (SIGKILL) by Kill or the
// destructor; a restarted one keeps its database and appends to its log.
// Leader and Info may be called from another thread while Start and Kill
// run (the campaign's writer does).
class HaControllers {
 public:
  struct Options {
    std::string binary;     // bam-controller
    std::string zookeeper;  // "host:port,...": the ensemble they share
    std::string ha_path;
    int count = 3;
    int session_timeout_ms = 2000;
    std::vector<std::string> flags;  // added to every command line
  };
  HaControllers(std::filesystem::path dir, Options options);

  // Starts controller `i`: in HA mode, or (`ha` false) alone on its database.
  absl::Status Start(int i, bool ha = true);
  void Kill(int i);
  // Null when it is not running. For the thread that starts and kills.
  ChildProcess* process(int i) {
    absl::MutexLock lock(&mu_);
    return processes_[i].get();
  }
  int count() const { return options_.count; }
  const std::string& address(int i) const { return addresses_[i]; }
  // Every address, comma-separated, as bamctl and agents take them.
  std::string Addresses() const;
  std::filesystem::path Db(int i) const;
  std::filesystem::path Log(int i) const;

  std::unique_ptr<v1::ClusterService::Stub> Stub(int i) const;
  // GetControllers of controller `i` (2 s deadline), or its error.
  absl::StatusOr<v1::GetControllersResponse> Info(int i) const;
  // The one running controller that serves as the leader now, skipping
  // `except`; -1 when none or more than one does.
  int Leader(int except = -1) const;
  // Polls Leader until it names one or `timeout` passes (-1).
  int AwaitLeader(std::chrono::milliseconds timeout, int except = -1) const;
  // Controller `i`'s versions, oldest first.
  absl::StatusOr<std::vector<v1::VersionInfo>> Versions(int i) const;

 private:
  std::filesystem::path dir_;
  Options options_;
  std::vector<std::string> addresses_;
  mutable absl::Mutex mu_;  // what Leader reads of processes_ as Start and Kill change it
  std::vector<std::unique_ptr<ChildProcess>> processes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace bamctl::testing

#endif  // BAMCTL_TESTS_INTEGRATION_HA_CONTROLLERS_H_
