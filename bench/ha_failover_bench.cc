// The HA fault campaign: three bam-controller processes in HA mode on a
// real three-server ZooKeeper ensemble (Debian's, on loopback), a stream of
// applies going to whichever leads, and --kills rounds of kill -9 of the
// leader at a random moment (then started again from its disk).
//
// Measured: the time from the kill until another controller serves as the
// leader (it answers GetControllers serving, after applying the log up to
// its marker entry), p50 / p99 / max. Checked at the end: every version an
// apply was acknowledged with is present on every controller with the text
// that apply sent, versions are numbered 1..N without a gap, and no
// acknowledged text is stored twice. Exit 1 when a check fails.
//
// Usage: ha_failover_bench [--kills=100] [--session_timeout_ms=2000]
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "common/hash.h"
#include "grpcpp/grpcpp.h"
#include "proto/controller.grpc.pb.h"
#include "tests/integration/ha_controllers.h"
#include "tests/integration/zookeeper_servers.h"
#include "tests/util/test_util.h"

ABSL_FLAG(int, kills, 100, "kill -9 rounds of the leader");
ABSL_FLAG(int, session_timeout_ms, 2000, "the controllers' --ha_session_timeout_ms");

namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;
constexpr int kControllers = 3;

class Campaign {
 public:
  explicit Campaign(fs::path dir) : dir_(std::move(dir)) {}

  bool StartZooKeeper() {
    absl::StatusOr<std::unique_ptr<bamctl::testing::ZooKeeperServers>> servers =
        bamctl::testing::ZooKeeperServers::Start(dir_ / "zk", 3);
    if (!servers.ok()) {
      std::fprintf(stderr, "ZooKeeper: %s\n", servers.status().ToString().c_str());
      return false;
    }
    zk_ = *std::move(servers);
    absl::Status serving = zk_->AwaitServing(std::chrono::seconds(90));
    if (!serving.ok()) std::fprintf(stderr, "ZooKeeper: %s\n", serving.ToString().c_str());
    if (!serving.ok()) return false;
    bamctl::testing::HaControllers::Options options;
    options.binary = BAMCTL_CONTROLLER_BIN;
    options.zookeeper = zk_->ConnectString();
    options.ha_path = "/bamctl/campaign";
    options.count = kControllers;
    options.session_timeout_ms = absl::GetFlag(FLAGS_session_timeout_ms);
    // Retention is each controller's own business (it prunes at its own
    // times): keep everything, so every version can be compared.
    options.flags = {"--retain_versions=0", "--retain_events=0"};
    controllers_ = std::make_unique<bamctl::testing::HaControllers>(dir_, std::move(options));
    return true;
  }

  // Applies change after change to the leader until stopped, recording
  // each acknowledged version with the hash of the text it sent.
  void Writer() {
    int change = 0;
    int leader = -1;
    while (!stop_) {
      if (leader < 0) leader = controllers_->Leader();
      if (leader < 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      bamctl::v1::ApplyRequest request;
      request.set_spec_text(absl::StrCat(seed_, "\n# change ", ++change, "\n"));
      request.set_file_name("seed.yaml");
      request.set_author("campaign");
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      bamctl::v1::ApplyResponse response;
      grpc::Status status =
          controllers_->Stub(leader)->ApplyDesiredState(&context, request, &response);
      std::lock_guard<std::mutex> lock(mu_);
      if (status.ok()) {
        acknowledged_[response.version()].push_back(bamctl::Sha256Hex(request.spec_text()));
      } else {
        ++refused_;
        leader = -1;
      }
    }
  }

  int Run(int kills) {
    seed_ = bamctl::testing::ReadSourceFile("examples/seed-cluster.yaml");
    for (int i = 0; i < kControllers; ++i) {
      if (!controllers_->Start(i).ok()) return 1;
    }
    if (controllers_->AwaitLeader(std::chrono::seconds(60)) < 0) {
      std::fprintf(stderr, "no first leader; logs in %s\n", dir_.c_str());
      return 1;
    }
    std::thread writer([this] { Writer(); });
    std::mt19937 rng(std::random_device{}());
    std::uniform_int_distribution<int> pause_ms(300, 3000);
    std::vector<double> failover_ms;
    for (int k = 0; k < kills; ++k) {
      std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
      const int leader = controllers_->AwaitLeader(std::chrono::seconds(60));
      if (leader < 0) break;
      const auto killed = SteadyClock::now();
      controllers_->Kill(leader);
      const int next = controllers_->AwaitLeader(std::chrono::seconds(60), /*except=*/leader);
      if (next < 0) {
        std::fprintf(stderr, "round %d: no new leader within 60 s; logs in %s\n", k, dir_.c_str());
        break;
      }
      failover_ms.push_back(
          std::chrono::duration<double, std::milli>(SteadyClock::now() - killed).count());
      if (!controllers_->Start(leader).ok()) return 1;
      std::fprintf(stderr, "round %d: %s -> %s in %.0f ms\n", k + 1,
                   controllers_->address(leader).c_str(), controllers_->address(next).c_str(),
                   failover_ms.back());
    }
    stop_ = true;
    writer.join();
    const int failures = Check();
    std::sort(failover_ms.begin(), failover_ms.end());
    auto at = [&](double q) {
      return failover_ms.empty()
                 ? 0.0
                 : failover_ms[std::min(failover_ms.size() - 1,
                                        static_cast<size_t>(q * failover_ms.size()))];
    };
    std::lock_guard<std::mutex> lock(mu_);
    std::printf(
        "kills: %zu of %d; session timeout %d ms\n"
        "time to a new serving leader: p50 %.0f ms, p99 %.0f ms, max %.0f ms\n"
        "applies acknowledged: %zu, refused or failed (during failovers): %d\n"
        "checks failed: %d\n",
        failover_ms.size(), kills, absl::GetFlag(FLAGS_session_timeout_ms), at(0.5), at(0.99),
        failover_ms.empty() ? 0.0 : failover_ms.back(), acknowledged_.size(), refused_, failures);
    return failures == 0 && static_cast<int>(failover_ms.size()) == kills ? 0 : 1;
  }

 private:
  // Every controller's versions (after they all caught up) against what
  // was acknowledged; the number of failed checks.
  int Check() {
    const auto deadline = SteadyClock::now() + std::chrono::seconds(60);
    std::vector<std::map<int64_t, std::string>> stored(kControllers);
    while (SteadyClock::now() < deadline) {
      for (int i = 0; i < kControllers; ++i) stored[i] = Versions(i);
      if (stored[0] == stored[1] && stored[1] == stored[2] && !stored[0].empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    int failures = 0;
    for (int i = 1; i < kControllers; ++i) {
      if (stored[i] != stored[0]) {
        std::fprintf(stderr, "controller %d has %zu versions, controller 0 %zu\n", i,
                     stored[i].size(), stored[0].size());
        ++failures;
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [version, hashes] : acknowledged_) {
      if (hashes.size() != 1) {
        std::fprintf(stderr, "version %ld was acknowledged %zu times\n", static_cast<long>(version),
                     hashes.size());
        ++failures;
      }
      for (int i = 0; i < kControllers; ++i) {
        auto found = stored[i].find(version);
        if (found == stored[i].end() || found->second != hashes[0]) {
          std::fprintf(stderr, "controller %d lacks acknowledged version %ld\n", i,
                       static_cast<long>(version));
          ++failures;
        }
      }
    }
    std::set<std::string> texts;
    int64_t expect = 1;
    for (const auto& [version, hash] : stored[0]) {
      if (version != expect++) {
        std::fprintf(stderr, "versions have a gap before %ld\n", static_cast<long>(version));
        ++failures;
      }
      if (!texts.insert(hash).second) {
        std::fprintf(stderr, "version %ld repeats an earlier text\n", static_cast<long>(version));
        ++failures;
      }
    }
    return failures;
  }

  // Controller `i`'s versions: their content hash by number (none when it
  // does not answer).
  std::map<int64_t, std::string> Versions(int i) {
    std::map<int64_t, std::string> out;
    absl::StatusOr<std::vector<bamctl::v1::VersionInfo>> versions = controllers_->Versions(i);
    if (!versions.ok()) return out;
    for (const bamctl::v1::VersionInfo& v : *versions) out[v.version()] = v.content_hash();
    return out;
  }

  fs::path dir_;
  std::string seed_;
  std::unique_ptr<bamctl::testing::ZooKeeperServers> zk_;
  std::unique_ptr<bamctl::testing::HaControllers> controllers_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::map<int64_t, std::vector<std::string>> acknowledged_;
  int refused_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  setenv("BAMCTL_SOURCE_DIR", BAMCTL_SOURCE_DIR, 0);
  if (std::string missing = bamctl::testing::ZooKeeperServers::Missing(); !missing.empty()) {
    std::fprintf(stderr, "%s\n", missing.c_str());
    return 1;
  }
  const fs::path dir = bamctl::testing::MakeTempDir("ha_failover_bench");
  int code = 0;
  {
    Campaign campaign(dir);
    code = campaign.StartZooKeeper() ? campaign.Run(absl::GetFlag(FLAGS_kills)) : 1;
  }
  if (code == 0) {
    fs::remove_all(dir);
  } else {
    std::fprintf(stderr, "logs kept in %s\n", dir.c_str());
  }
  return code;
}
