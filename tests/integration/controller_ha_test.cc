// Three bam-controller processes in HA mode on a real three-server
// ZooKeeper ensemble (Debian's, on loopback): one leads; kill -9 of the
// leader hands over to another, which takes writes, and bamctl given the
// list follows it; a leader paused past its session timeout commits nothing
// when it wakes and rejoins as a follower; a controller started from an
// empty disk catches up and can lead; a standalone controller's history
// moves into ZooKeeper when it starts in HA mode.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/controller.grpc.pb.h"
#include "tests/integration/child_process.h"
#include "tests/integration/ha_controllers.h"
#include "tests/integration/zookeeper_servers.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

// Whether every thread of `pid` is stopped: SIGSTOP is delivered to each
// thread as it next runs, so a thread busy on another core may still serve
// a request for a moment after kill() returns.
bool AllThreadsStopped(pid_t pid) {
  const std::filesystem::path tasks = absl::StrCat("/proc/", pid, "/task");
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
    std::ifstream in(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t close = stat.rfind(')');  // the name may hold spaces and ')'
    if (close == std::string::npos || close + 2 >= stat.size()) return false;
    if (stat[close + 2] != 'T') return false;
  }
  return !ec;
}

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

constexpr int kControllers = 3;
// Short, so that a dead leader's session ends within seconds (the servers'
// tick is 500 ms: sessions of 1 s and up).
constexpr int kSessionTimeoutMs = 2000;
constexpr std::chrono::seconds kWait(30);

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

class ControllerHaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::ZooKeeperServers::Missing().empty()) return;
    zk_dir_ = new fs::path(testing::MakeTempDir("controller_ha_zk"));
    absl::StatusOr<std::unique_ptr<testing::ZooKeeperServers>> servers =
        testing::ZooKeeperServers::Start(*zk_dir_, 3);
    if (!servers.ok()) {
      ADD_FAILURE() << servers.status();
      return;
    }
    zk_ = servers->release();
    absl::Status serving = zk_->AwaitServing(std::chrono::seconds(90));
    EXPECT_TRUE(serving.ok()) << serving << "; logs in " << *zk_dir_;
  }
  static void TearDownTestSuite() {
    delete zk_;
    zk_ = nullptr;
    if (zk_dir_ != nullptr) fs::remove_all(*zk_dir_);
    delete zk_dir_;
    zk_dir_ = nullptr;
  }

  void SetUp() override {
    if (std::string missing = testing::ZooKeeperServers::Missing(); !missing.empty()) {
      GTEST_SKIP() << missing;
    }
    if (Env("BAMCTL_CONTROLLER_BIN").empty() || Env("BAMCTL_BIN").empty()) {
      GTEST_SKIP() << "BAMCTL_CONTROLLER_BIN / BAMCTL_BIN not set (CTest sets them)";
    }
    ASSERT_NE(zk_, nullptr);
    dir_ = testing::MakeTempDir("controller_ha");
    testing::HaControllers::Options options;
    options.binary = Env("BAMCTL_CONTROLLER_BIN");
    options.zookeeper = zk_->ConnectString();
    options.ha_path =
        absl::StrCat("/bamctl/", ::testing::UnitTest::GetInstance()->current_test_info()->name());
    options.count = kControllers;
    options.session_timeout_ms = kSessionTimeoutMs;
    controllers_ = std::make_unique<testing::HaControllers>(dir_, options);
    seed_ = testing::ReadSourceFile("examples/seed-cluster.yaml");
  }
  void TearDown() override {
    controllers_.reset();
    if (!HasFailure() && !dir_.empty()) fs::remove_all(dir_);  // else kept for its logs
  }

  testing::HaControllers& controllers() { return *controllers_; }
  const std::string& address(int i) const { return controllers_->address(i); }
  absl::StatusOr<v1::GetControllersResponse> Info(int i) { return controllers_->Info(i); }
  int AwaitLeader() { return controllers_->AwaitLeader(kWait); }

  // Applies the seed spec with `change` in a comment: a new version.
  grpc::Status Apply(int i, int change, v1::ApplyResponse* response) {
    v1::ApplyRequest request;
    request.set_spec_text(absl::StrCat(seed_, "\n# change ", change, "\n"));
    request.set_file_name("seed.yaml");
    request.set_author("ha-test");
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return controllers_->Stub(i)->ApplyDesiredState(&context, request, response);
  }

  // Applies to controller `i` until it takes the write (it is starting).
  grpc::Status ApplyOnceUp(int i, int change, v1::ApplyResponse* response) {
    const auto deadline = Clock::now() + kWait;
    grpc::Status status;
    do {
      status = Apply(i, change, response);
      if (!status.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (!status.ok() && Clock::now() < deadline);
    return status;
  }

  // "version hash created" per version, oldest first: what must be equal
  // on every controller.
  absl::StatusOr<std::vector<std::string>> Versions(int i) {
    absl::StatusOr<std::vector<v1::VersionInfo>> versions = controllers_->Versions(i);
    if (!versions.ok()) return versions.status();
    std::vector<std::string> out;
    for (const v1::VersionInfo& v : *versions) {
      out.push_back(absl::StrCat(v.version(), " ", v.content_hash(), " ", v.created_ms()));
    }
    return out;
  }

  // Waits until controller `i` has exactly `expected` versions.
  void AwaitVersions(int i, const std::vector<std::string>& expected) {
    const auto deadline = Clock::now() + kWait;
    absl::StatusOr<std::vector<std::string>> got;
    while (Clock::now() < deadline) {
      got = Versions(i);
      if (got.ok() && *got == expected) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "controller " << i << " has "
                  << (got.ok() ? absl::StrJoin(*got, "; ") : got.status().ToString()) << "\nwanted "
                  << absl::StrJoin(expected, "; ");
  }

  struct Result {
    int code;
    std::string output;
  };
  // bamctl with BAMCTL_CONTROLLER listing every controller.
  Result Bamctl(std::vector<std::string> args) {
    args.insert(args.begin(), Env("BAMCTL_BIN"));
    const fs::path log = dir_ / absl::StrCat("bamctl-", runs_++, ".log");
    absl::StatusOr<std::unique_ptr<testing::ChildProcess>> child = testing::ChildProcess::Start(
        args, {{"USER", "ha-test"}, {"BAMCTL_CONTROLLER", controllers_->Addresses()}},
        dir_.string(), log.string());
    if (!child.ok()) return {-1, child.status().ToString()};
    absl::StatusOr<int> code = (*child)->Wait(std::chrono::seconds(60));
    return {code.ok() ? *code : -1, ReadAll(log)};
  }

  static std::string ReadAll(const fs::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  static fs::path* zk_dir_;
  static testing::ZooKeeperServers* zk_;
  fs::path dir_;
  std::string seed_;
  std::unique_ptr<testing::HaControllers> controllers_;
  int runs_ = 0;
};

fs::path* ControllerHaTest::zk_dir_ = nullptr;
testing::ZooKeeperServers* ControllerHaTest::zk_ = nullptr;

TEST_F(ControllerHaTest, KillingTheLeaderHandsOverAndBamctlFollows) {
  for (int i = 0; i < kControllers; ++i) ASSERT_TRUE(controllers().Start(i).ok());
  const int leader = AwaitLeader();
  ASSERT_GE(leader, 0) << "no leader; logs in " << dir_;

  std::ofstream(dir_ / "seed.yaml") << seed_;
  Result first = Bamctl({"desired-state", "apply", "-f", (dir_ / "seed.yaml").string()});
  ASSERT_EQ(first.code, 0) << first.output;
  EXPECT_THAT(first.output, HasSubstr("version 1"));
  // A follower refuses a write, naming the leader.
  const int follower = (leader + 1) % kControllers;
  // The follower learns the leader's address from its watch on the leader's
  // node, which may come a moment after the leader serves (bounded wait).
  const auto knows_by = Clock::now() + kWait;
  absl::StatusOr<v1::GetControllersResponse> view = Info(follower);
  while (Clock::now() < knows_by && !(view.ok() && view->leader() == address(leader))) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    view = Info(follower);
  }
  v1::ApplyResponse refused;
  grpc::Status not_leader = Apply(follower, 1, &refused);
  EXPECT_EQ(not_leader.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(not_leader.error_message(), HasSubstr("the leader is " + address(leader)));

  Result listed = Bamctl({"controllers"});
  EXPECT_EQ(listed.code, 0) << listed.output;
  EXPECT_THAT(listed.output, HasSubstr("leader"));
  EXPECT_THAT(listed.output, HasSubstr("follower"));

  const auto killed = Clock::now();
  controllers().Kill(leader);
  const int next = AwaitLeader();
  ASSERT_GE(next, 0) << "no new leader; logs in " << dir_;
  ASSERT_NE(next, leader);
  v1::ApplyResponse applied;
  grpc::Status status = Apply(next, 2, &applied);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(applied.version(), 2);
  std::cerr << "a new leader took an apply "
            << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killed).count()
            << " ms after the leader was killed (session timeout " << kSessionTimeoutMs << " ms)\n";

  // bamctl, given the whole list, finds the new leader past the dead one.
  Result third = Bamctl({"desired-state", "apply", "-f", (dir_ / "seed.yaml").string()});
  EXPECT_EQ(third.code, 0) << third.output;
  EXPECT_THAT(third.output, HasSubstr("version 3"));

  // The killed controller comes back from its disk as a follower with all.
  ASSERT_TRUE(controllers().Start(leader).ok());
  absl::StatusOr<std::vector<std::string>> want = Versions(next);
  ASSERT_TRUE(want.ok()) << want.status();
  ASSERT_EQ(want->size(), 3u);
  for (int i = 0; i < kControllers; ++i) AwaitVersions(i, *want);
  absl::StatusOr<v1::GetControllersResponse> back = Info(leader);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->self().role(), "follower");
  EXPECT_EQ(back->leader(), address(next));
}

TEST_F(ControllerHaTest, ALeaderPausedPastItsSessionCommitsNothingAndFollows) {
  for (int i = 0; i < kControllers; ++i) ASSERT_TRUE(controllers().Start(i).ok());
  const int leader = AwaitLeader();
  ASSERT_GE(leader, 0) << "no leader; logs in " << dir_;
  v1::ApplyResponse applied;
  ASSERT_TRUE(Apply(leader, 1, &applied).ok());

  const pid_t paused = controllers().process(leader)->pid();
  ASSERT_EQ(kill(paused, SIGSTOP), 0);
  // Only a stopped leader tests a deposed one: wait (bounded) until it is.
  for (int i = 0; i < 200 && !AllThreadsStopped(paused); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(AllThreadsStopped(paused)) << "the leader did not stop within 2 s";
  // A write sent to the paused leader waits in its socket until it wakes.
  grpc::Status late;
  std::thread writer([&] {
    v1::ApplyResponse response;
    late = Apply(leader, 100, &response);
  });
  // Resumed, and the write's thread joined, however the test ends.
  struct Resume {
    pid_t pid;
    std::thread& thread;
    void Now() {
      kill(pid, SIGCONT);
      if (thread.joinable()) thread.join();
    }
    ~Resume() { Now(); }
  } resume{paused, writer};
  // The others elect a leader once the paused one's session expires.
  const int next = controllers().AwaitLeader(kWait, /*except=*/leader);
  ASSERT_GE(next, 0) << "no new leader while the old one was paused; logs in " << dir_;
  ASSERT_TRUE(Apply(next, 2, &applied).ok());
  ASSERT_TRUE(Apply(next, 3, &applied).ok());
  EXPECT_EQ(applied.version(), 3);

  resume.Now();
  EXPECT_FALSE(late.ok()) << "the deposed leader committed a write";
  EXPECT_EQ(late.error_code(), grpc::StatusCode::UNAVAILABLE) << late.error_message();
  std::cerr << "the write sent to the paused leader: " << late.error_message() << "\n";

  // Versions stay gap-free and the same everywhere; the old leader follows.
  absl::StatusOr<std::vector<std::string>> want = Versions(next);
  ASSERT_TRUE(want.ok()) << want.status();
  ASSERT_EQ(want->size(), 3u) << absl::StrJoin(*want, "; ");
  for (int i = 0; i < kControllers; ++i) AwaitVersions(i, *want);
  const auto until = Clock::now() + kWait;
  absl::StatusOr<v1::GetControllersResponse> old = Info(leader);
  while (Clock::now() < until && !(old.ok() && old->self().role() == "follower")) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    old = Info(leader);
  }
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->self().role(), "follower");
  EXPECT_FALSE(old->self().serving());
  EXPECT_EQ(old->leader(), address(next));
}

TEST_F(ControllerHaTest, AControllerFromAnEmptyDiskCatchesUpAndCanLead) {
  for (int i = 0; i < kControllers; ++i) ASSERT_TRUE(controllers().Start(i).ok());
  const int leader = AwaitLeader();
  ASSERT_GE(leader, 0) << "no leader; logs in " << dir_;
  v1::ApplyResponse applied;
  for (int change = 1; change <= 3; ++change) ASSERT_TRUE(Apply(leader, change, &applied).ok());
  absl::StatusOr<std::vector<std::string>> want = Versions(leader);
  ASSERT_TRUE(want.ok());

  const int fresh = (leader + 1) % kControllers;
  controllers().Kill(fresh);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    fs::remove(controllers().Db(fresh).string() + suffix);
  }
  ASSERT_TRUE(controllers().Start(fresh).ok());
  AwaitVersions(fresh, *want);

  // The others go: the fresh one leads, with everything, and takes writes.
  for (int i = 0; i < kControllers; ++i) {
    if (i != fresh) controllers().Kill(i);
  }
  ASSERT_EQ(AwaitLeader(), fresh) << "logs in " << dir_;
  ASSERT_TRUE(Apply(fresh, 4, &applied).ok());
  EXPECT_EQ(applied.version(), 4);
}

TEST_F(ControllerHaTest, AStandaloneControllersHistoryMovesIntoZooKeeper) {
  // Bootstrap: the first controller ran alone on its database.
  ASSERT_TRUE(controllers().Start(0, /*ha=*/false).ok());
  v1::ApplyResponse applied;
  grpc::Status status = ApplyOnceUp(0, 1, &applied);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(Apply(0, 2, &applied).ok());
  absl::StatusOr<std::vector<std::string>> want = Versions(0);
  ASSERT_TRUE(want.ok());
  ASSERT_EQ(want->size(), 2u);

  // Restarted with the HA flags, it leads and writes its history as the
  // log's first entry; a controller with an empty disk gets all of it.
  controllers().Kill(0);
  ASSERT_TRUE(controllers().Start(0).ok());
  ASSERT_EQ(AwaitLeader(), 0) << "logs in " << dir_;
  ASSERT_TRUE(controllers().Start(1).ok());
  AwaitVersions(1, *want);
  ASSERT_TRUE(Apply(0, 3, &applied).ok());
  EXPECT_EQ(applied.version(), 3);

  // A controller with a history of its own is refused, with the reason.
  ASSERT_TRUE(controllers().Start(2, /*ha=*/false).ok());
  status = ApplyOnceUp(2, 7, &applied);
  ASSERT_TRUE(status.ok()) << status.error_message();
  controllers().Kill(2);
  ASSERT_TRUE(controllers().Start(2).ok());
  absl::StatusOr<int> code = controllers().process(2)->Wait(std::chrono::seconds(30));
  ASSERT_TRUE(code.ok()) << "a controller with its own history joined";
  EXPECT_NE(*code, 0);
  EXPECT_THAT(ReadAll(controllers().Log(2)), HasSubstr("history of its own"));
}

}  // namespace
}  // namespace bamctl
