#ifndef BAMCTL_CONTROLLER_SERVER_REPORT_BATCHER_H_
#define BAMCTL_CONTROLLER_SERVER_REPORT_BATCHER_H_

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "controller/store/store.h"

namespace bamctl {

// Collects agent reports and heartbeats and writes them to the Store in few
// transactions: one per flush interval, whatever the number of agents. A
// newer report from a node replaces an unflushed older one. Owns a thread.
class ReportBatcher {
 public:
  ReportBatcher(Store* store, std::chrono::milliseconds interval);
  ~ReportBatcher();  // flushes what is pending

  void AddReport(v1::NodeReport report);
  void Touch(const std::string& node);
  // Writes everything pending now (tests, shutdown); what failed to be
  // written is dropped (agents send reports again on change and reconnect).
  absl::Status Flush();
  int64_t flushes() const { return flushes_.load(); }

 private:
  void Loop();

  Store* store_;
  const std::chrono::milliseconds interval_;
  absl::Mutex mu_;
  std::map<std::string, v1::NodeReport> reports_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> touched_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<int64_t> flushes_{0};
  std::thread thread_;
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_SERVER_REPORT_BATCHER_H_
