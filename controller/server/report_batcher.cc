#include "controller/server/report_batcher.h"

#include <vector>

#include "common/status_log.h"

namespace bamctl {

ReportBatcher::ReportBatcher(Store* store, std::chrono::milliseconds interval)
    : store_(store), interval_(interval), thread_([this] { Loop(); }) {}

ReportBatcher::~ReportBatcher() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
  WARN_IF_ERROR(Flush(), "recording agent reports at shutdown");
}

void ReportBatcher::AddReport(v1::NodeReport report) {
  absl::MutexLock lock(&mu_);
  std::string node = report.node();
  reports_[node] = std::move(report);
}

void ReportBatcher::Touch(const std::string& node) {
  absl::MutexLock lock(&mu_);
  touched_.insert(node);
}

absl::Status ReportBatcher::Flush() {
  std::map<std::string, v1::NodeReport> reports;
  std::set<std::string> touched;
  {
    absl::MutexLock lock(&mu_);
    reports.swap(reports_);
    touched.swap(touched_);
  }
  if (reports.empty() && touched.empty()) return absl::OkStatus();
  std::vector<v1::NodeReport> batch;
  batch.reserve(reports.size());
  for (auto& [node, report] : reports) {
    touched.erase(node);  // the report sets last_seen too
    batch.push_back(std::move(report));
  }
  absl::Status status = batch.empty() ? absl::OkStatus() : store_->RecordReports(batch);
  if (status.ok() && !touched.empty()) {
    status = store_->TouchNodes(std::vector<std::string>(touched.begin(), touched.end()));
  }
  ++flushes_;
  return status;
}

void ReportBatcher::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stop_),
                           absl::Milliseconds(static_cast<int64_t>(interval_.count())));
      if (stop_) return;
    }
    // Lost reports come again: agents report on change and on reconnect.
    WARN_IF_ERROR(Flush(), "recording agent reports");
  }
}

}  // namespace bamctl
