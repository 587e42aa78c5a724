#include "tests/integration/ha_controllers.h"

#include <fstream>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grpcpp/grpcpp.h"
#include "tests/util/loopback_subnet.h"

namespace bamctl::testing {

namespace fs = std::filesystem;

HaControllers::HaControllers(fs::path dir, Options options)
    : dir_(std::move(dir)), options_(std::move(options)), processes_(options_.count) {
  for (int i = 0; i < options_.count; ++i) {
    addresses_.push_back(absl::StrCat(ProcessLoopbackSubnet().Address(254 - i), ":7443"));
  }
}

fs::path HaControllers::Db(int i) const { return dir_ / absl::StrCat("controller", i, ".db"); }
fs::path HaControllers::Log(int i) const { return dir_ / absl::StrCat("controller", i, ".log"); }

std::string HaControllers::Addresses() const { return absl::StrJoin(addresses_, ","); }

absl::Status HaControllers::Start(int i, bool ha) {
  std::vector<std::string> argv = {options_.binary,
                                   "--listen=" + addresses_[i],
                                   "--insecure_plaintext",
                                   "--db=" + Db(i).string(),
                                   "--metrics_listen=",
                                   "--keepalive_time_ms=500",
                                   "--keepalive_timeout_ms=1000"};
  if (ha) {
    argv.push_back("--ha_zookeeper=" + options_.zookeeper);
    argv.push_back("--ha_path=" + options_.ha_path);
    argv.push_back("--advertise=" + addresses_[i]);
    argv.push_back(absl::StrCat("--ha_session_timeout_ms=", options_.session_timeout_ms));
  }
  argv.insert(argv.end(), options_.flags.begin(), options_.flags.end());
  // The log is appended to: a restarted controller's follows its earlier one.
  std::ofstream(Log(i), std::ios::app) << "---- start" << (ha ? "" : " (standalone)") << "\n";
  absl::StatusOr<std::unique_ptr<ChildProcess>> child =
      ChildProcess::Start(argv, {}, dir_.string(), Log(i).string());
  if (!child.ok()) return child.status();
  absl::MutexLock lock(&mu_);
  processes_[i] = *std::move(child);
  return absl::OkStatus();
}

void HaControllers::Kill(int i) {
  std::unique_ptr<ChildProcess> killed;
  {
    absl::MutexLock lock(&mu_);
    killed = std::move(processes_[i]);
  }
  killed.reset();  // SIGKILL and reap, outside the lock
}

std::unique_ptr<v1::ClusterService::Stub> HaControllers::Stub(int i) const {
  return v1::ClusterService::NewStub(
      grpc::CreateChannel(addresses_[i], grpc::InsecureChannelCredentials()));
}

absl::StatusOr<v1::GetControllersResponse> HaControllers::Info(int i) const {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  v1::GetControllersResponse response;
  grpc::Status status = Stub(i)->GetControllers(&context, {}, &response);
  if (!status.ok()) return absl::UnavailableError(status.error_message());
  return response;
}

int HaControllers::Leader(int except) const {
  std::vector<bool> running;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& p : processes_) running.push_back(p != nullptr);
  }
  std::vector<int> serving;
  for (int i = 0; i < options_.count; ++i) {
    if (i == except || !running[i]) continue;
    absl::StatusOr<v1::GetControllersResponse> info = Info(i);
    if (info.ok() && info->self().serving()) serving.push_back(i);
  }
  return serving.size() == 1 ? serving[0] : -1;
}

int HaControllers::AwaitLeader(std::chrono::milliseconds timeout, int except) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (int leader = Leader(except); leader >= 0) return leader;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

absl::StatusOr<std::vector<v1::VersionInfo>> HaControllers::Versions(int i) const {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::ListVersionsRequest request;
  request.set_limit(1'000'000);
  v1::ListVersionsResponse response;
  grpc::Status status = Stub(i)->ListVersions(&context, request, &response);
  if (!status.ok()) return absl::UnavailableError(status.error_message());
  return std::vector<v1::VersionInfo>(response.versions().rbegin(), response.versions().rend());
}

}  // namespace bamctl::testing
