// Fuzz target: what bam-agentd does with a plan from the network. The input
// is a serialized PlanUpdate, offered to the agent's Reconciler on an
// in-memory host (agentd/testing's fakes: no file, process or hosts file of
// the machine is touched) under the default host policy, then a few passes
// run. Properties, the root agent's promises to its host:
// - every file written, directory made, mode or owner changed and glob
//   removed is a normalized path strictly below an allowed root, or the
//   agent's own state or log directory (set by the host, not the plan);
// - no file, directory or role process is handed to root;
// - a refused plan changes nothing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agentd/hostfs/host_filesystem.h"
#include "agentd/hostfs/safe_fs.h"
#include "agentd/reconciler/reconciler.h"
#include "agentd/testing/agent_fakes.h"
#include "common/clock.h"
#include "fuzz/fuzz_check.h"
#include "google/protobuf/stubs/logging.h"
#include "proto/controller.pb.h"
#include "roles/driver/render_context.h"
#include "spdlog/spdlog.h"

namespace {

using bamctl::fuzz::Check;

constexpr char kRoot[] = "/host";
constexpr char kStateDir[] = "/state";
constexpr char kLogDir[] = "/log";

// The in-memory host, noting every change the agent makes to it.
class RecordingFilesystem : public bamctl::testing::MemoryFilesystem {
 public:
  absl::Status WriteFile(const std::string& path, absl::string_view content, mode_t mode,
                         const std::string& owner) override {
    Note(path, owner);
    return MemoryFilesystem::WriteFile(path, content, mode, owner);
  }
  absl::Status MakeDirs(const std::string& path, mode_t mode, const std::string& owner) override {
    Note(path, owner);
    return MemoryFilesystem::MakeDirs(path, mode, owner);
  }
  absl::Status Chmod(const std::string& path, mode_t mode) override {
    Note(path, "");
    return MemoryFilesystem::Chmod(path, mode);
  }
  absl::Status Chown(const std::string& path, const std::string& user) override {
    Note(path, user);
    return MemoryFilesystem::Chown(path, user);
  }
  std::vector<std::string> RemoveMatching(const std::string& pattern) override {
    Note(pattern, "");
    return MemoryFilesystem::RemoveMatching(pattern);
  }

  int changes = 0;

 private:
  void Note(const std::string& path, const std::string& owner) {
    ++changes;
    bool below = path == kStateDir || path == kLogDir;
    for (const std::string& root : bamctl::DefaultOwnedRoots(kRoot)) {
      below = below || absl::StartsWith(path, root + "/");
    }
    Check(below && bamctl::safefs::CheckPath(path).ok(),
          absl::StrCat("the agent changed ", path, ", outside the host policy"));
    Check(owner.empty() || UserId(owner) != 0u, absl::StrCat(path, " handed to uid 0"));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {  // the agent's log lines would drown libFuzzer's
    spdlog::set_level(spdlog::level::off);
    google::protobuf::SetLogHandler(nullptr);  // "invalid UTF-8" on every such input
    return true;
  }();
  (void)quiet;
  bamctl::v1::PlanUpdate update;
  if (!update.ParseFromArray(data, static_cast<int>(size))) return 0;

  bamctl::ReconcilerOptions options;
  options.node = update.plan().node();  // the node check is not what is fuzzed
  options.root_dir = kRoot;
  options.state_dir = kStateDir;
  options.log_dir = kLogDir;
  options.fall_back_to_stock = true;  // the in-memory host has no installs
  bamctl::HostPolicy policy;
  policy.allowed_paths = bamctl::DefaultOwnedRoots(kRoot);
  options.policy = policy;

  RecordingFilesystem fs;
  fs.users["cassandra"] = 1003;
  fs.users["wso2"] = 1004;
  bamctl::testing::FakeLauncher launcher;
  bamctl::FakeClock clock;
  bamctl::testing::FakeHealth health;
  bamctl::InlineExecutor executor;
  bamctl::testing::FakePreflight preflight;
  bamctl::RedactingSecretSource secrets;
  bamctl::testing::MemoryStateStore state;
  bamctl::ReconcilerDeps deps;
  deps.launcher = &launcher;
  deps.clock = &clock;
  deps.health = &health;
  deps.executor = &executor;
  deps.preflight = &preflight;
  deps.secrets = &secrets;
  deps.state = &state;
  deps.fs = &fs;
  deps.random = [] { return 0.5; };
  bamctl::Reconciler reconciler(options, std::move(deps), nullptr);
  reconciler.Start();

  const bamctl::PlanVerdict verdict = reconciler.OfferPlan(update);
  for (int pass = 0; pass < 3; ++pass) {
    reconciler.Pass();
    clock.AdvanceMillis(60'000);
  }
  if (!verdict.accepted) Check(fs.changes == 0, "a refused plan changed the host");
  for (const bamctl::LaunchSpec& spec : launcher.launches) {
    Check(!spec.user.empty() && fs.UserId(spec.user) != 0u,
          absl::StrCat(spec.argv.empty() ? "a process" : spec.argv[0], " runs as root"));
  }
  return 0;
}
