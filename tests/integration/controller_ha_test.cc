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
#include "tests/integration/zookeeper_servers.h"
#include "tests/util/loopback_subnet.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

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
    ha_path_ =
        absl::StrCat("/bamctl/", ::testing::UnitTest::GetInstance()->current_test_info()->name());
    for (int i = 0; i < kControllers; ++i) {
      addresses_.push_back(
          absl::StrCat(testing::ProcessLoopbackSubnet().Address(254 - i), ":7443"));
    }
    processes_.resize(kControllers);
    seed_ = testing::ReadSourceFile("examples/seed-cluster.yaml");
  }
  void TearDown() override {
    processes_.clear();
    if (!HasFailure() && !dir_.empty()) fs::remove_all(dir_);  // else kept for its logs
  }

  fs::path Db(int i) const { return dir_ / absl::StrCat("controller", i, ".db"); }
  fs::path Log(int i) const { return dir_ / absl::StrCat("controller", i, ".log"); }

  // Starts controller `i`: HA unless `ha` is false (standalone on its db).
  absl::Status StartController(int i, bool ha = true) {
    std::vector<std::string> argv = {Env("BAMCTL_CONTROLLER_BIN"), "--listen=" + addresses_[i],
                                     "--insecure_plaintext",       "--db=" + Db(i).string(),
                                     "--metrics_listen=",          "--keepalive_time_ms=500",
                                     "--keepalive_timeout_ms=1000"};
    if (ha) {
      argv.push_back("--ha_zookeeper=" + zk_->ConnectString());
      argv.push_back("--ha_path=" + ha_path_);
      argv.push_back("--advertise=" + addresses_[i]);
      argv.push_back(absl::StrCat("--ha_session_timeout_ms=", kSessionTimeoutMs));
    }
    // Appends: a restarted controller's log follows its earlier one.
    std::ofstream(Log(i), std::ios::app) << "---- start\n";
    absl::StatusOr<std::unique_ptr<testing::ChildProcess>> child = testing::ChildProcess::Start(
        argv, {}, dir_.string(), (dir_ / absl::StrCat("controller", i, ".out")).string());
    if (!child.ok()) return child.status();
    processes_[i] = *std::move(child);
    return absl::OkStatus();
  }

  std::unique_ptr<v1::ClusterService::Stub> Stub(int i) {
    return v1::ClusterService::NewStub(
        grpc::CreateChannel(addresses_[i], grpc::InsecureChannelCredentials()));
  }

  // GetControllers of controller `i`, or its error.
  absl::StatusOr<v1::GetControllersResponse> Info(int i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    v1::GetControllersResponse response;
    grpc::Status status = Stub(i)->GetControllers(&context, {}, &response);
    if (!status.ok()) return absl::UnavailableError(status.error_message());
    return response;
  }

  // The controller that serves as the leader, once exactly one of those
  // running does; -1 after `timeout`.
  int AwaitLeader(std::chrono::milliseconds timeout = kWait) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      std::vector<int> serving;
      for (int i = 0; i < kControllers; ++i) {
        if (processes_[i] == nullptr) continue;
        absl::StatusOr<v1::GetControllersResponse> info = Info(i);
        if (info.ok() && info->self().serving()) serving.push_back(i);
      }
      if (serving.size() == 1) return serving[0];
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }

  // Applies the seed spec with `change` in a comment: a new version.
  grpc::Status Apply(int i, int change, v1::ApplyResponse* response) {
    v1::ApplyRequest request;
    request.set_spec_text(absl::StrCat(seed_, "\n# change ", change, "\n"));
    request.set_file_name("seed.yaml");
    request.set_author("ha-test");
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return Stub(i)->ApplyDesiredState(&context, request, response);
  }

  // "version hash created" per version, oldest first: what must be equal
  // on every controller.
  absl::StatusOr<std::vector<std::string>> Versions(int i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::ListVersionsRequest request;
    request.set_limit(10000);
    v1::ListVersionsResponse response;
    grpc::Status status = Stub(i)->ListVersions(&context, request, &response);
    if (!status.ok()) return absl::UnavailableError(status.error_message());
    std::vector<std::string> out;
    for (auto v = response.versions().rbegin(); v != response.versions().rend(); ++v) {
      out.push_back(absl::StrCat(v->version(), " ", v->content_hash(), " ", v->created_ms()));
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
        args, {{"USER", "ha-test"}, {"BAMCTL_CONTROLLER", absl::StrJoin(addresses_, ",")}},
        dir_.string(), log.string());
    if (!child.ok()) return {-1, child.status().ToString()};
    absl::StatusOr<int> code = (*child)->Wait(std::chrono::seconds(60));
    std::ifstream in(log);
    std::ostringstream text;
    text << in.rdbuf();
    return {code.ok() ? *code : -1, text.str()};
  }

  static fs::path* zk_dir_;
  static testing::ZooKeeperServers* zk_;
  fs::path dir_;
  std::string ha_path_;
  std::string seed_;
  std::vector<std::string> addresses_;
  std::vector<std::unique_ptr<testing::ChildProcess>> processes_;
  int runs_ = 0;
};

fs::path* ControllerHaTest::zk_dir_ = nullptr;
testing::ZooKeeperServers* ControllerHaTest::zk_ = nullptr;

TEST_F(ControllerHaTest, KillingTheLeaderHandsOverAndBamctlFollows) {
  for (int i = 0; i < kControllers; ++i) ASSERT_TRUE(StartController(i).ok());
  const int leader = AwaitLeader();
  ASSERT_GE(leader, 0) << "no leader; logs in " << dir_;

  std::ofstream(dir_ / "seed.yaml") << seed_;
  Result first = Bamctl({"desired-state", "apply", "-f", (dir_ / "seed.yaml").string()});
  ASSERT_EQ(first.code, 0) << first.output;
  EXPECT_THAT(first.output, HasSubstr("version 1"));
  // A follower refuses a write, naming the leader.
  const int follower = (leader + 1) % kControllers;
  v1::ApplyResponse refused;
  grpc::Status not_leader = Apply(follower, 1, &refused);
  EXPECT_EQ(not_leader.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(not_leader.error_message(), HasSubstr("the leader is " + addresses_[leader]));

  Result controllers = Bamctl({"controllers"});
  EXPECT_EQ(controllers.code, 0) << controllers.output;
  EXPECT_THAT(controllers.output, HasSubstr("leader"));
  EXPECT_THAT(controllers.output, HasSubstr("follower"));

  const auto killed = Clock::now();
  processes_[leader].reset();  // SIGKILL
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
  ASSERT_TRUE(StartController(leader).ok());
  absl::StatusOr<std::vector<std::string>> want = Versions(next);
  ASSERT_TRUE(want.ok()) << want.status();
  ASSERT_EQ(want->size(), 3u);
  for (int i = 0; i < kControllers; ++i) AwaitVersions(i, *want);
  absl::StatusOr<v1::GetControllersResponse> back = Info(leader);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->self().role(), "follower");
  EXPECT_EQ(back->leader(), addresses_[next]);
}

TEST_F(ControllerHaTest, ALeaderPausedPastItsSessionCommitsNothingAndFollows) {
  for (int i = 0; i < kControllers; ++i) ASSERT_TRUE(StartController(i).ok());
  const int leader = AwaitLeader();
  ASSERT_GE(leader, 0) << "no leader; logs in " << dir_;
  v1::ApplyResponse applied;
  ASSERT_TRUE(Apply(leader, 1, &applied).ok());

  ASSERT_EQ(kill(processes_[leader]->pid(), SIGSTOP), 0);
  // A write sent to the paused leader waits in its socket until it wakes.
  grpc::Status late;
  std::thread writer([&] {
    v1::ApplyResponse response;
    late = Apply(leader, 100, &response);
  });
  // The others elect a leader once the paused one's session expires.
  int next = -1;
  const auto deadline = Clock::now() + kWait;
  while (Clock::now() < deadline && next < 0) {
    for (int i = 0; i < kControllers; ++i) {
      if (i == leader) continue;
      absl::StatusOr<v1::GetControllersResponse> info = Info(i);
      if (info.ok() && info->self().serving()) next = i;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (next < 0) kill(processes_[leader]->pid(), SIGCONT);
  ASSERT_GE(next, 0) << "no new leader while the old one was paused; logs in " << dir_;
  ASSERT_TRUE(Apply(next, 2, &applied).ok());
  ASSERT_TRUE(Apply(next, 3, &applied).ok());
  EXPECT_EQ(applied.version(), 3);

  ASSERT_EQ(kill(processes_[leader]->pid(), SIGCONT), 0);
  writer.join();
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
  EXPECT_EQ(old->leader(), addresses_[next]);
}

TEST_F(ControllerHaTest, AControllerFromAnEmptyDiskCatchesUpAndCanLead) {
  for (int i = 0; i < kControllers; ++i) ASSERT_TRUE(StartController(i).ok());
  const int leader = AwaitLeader();
  ASSERT_GE(leader, 0) << "no leader; logs in " << dir_;
  v1::ApplyResponse applied;
  for (int change = 1; change <= 3; ++change) ASSERT_TRUE(Apply(leader, change, &applied).ok());
  absl::StatusOr<std::vector<std::string>> want = Versions(leader);
  ASSERT_TRUE(want.ok());

  const int fresh = (leader + 1) % kControllers;
  processes_[fresh].reset();
  for (const char* suffix : {"", "-wal", "-shm"}) {
    fs::remove(Db(fresh).string() + suffix);
  }
  ASSERT_TRUE(StartController(fresh).ok());
  AwaitVersions(fresh, *want);

  // The others go: the fresh one leads, with everything, and takes writes.
  for (int i = 0; i < kControllers; ++i) {
    if (i != fresh) processes_[i].reset();
  }
  ASSERT_EQ(AwaitLeader(), fresh) << "logs in " << dir_;
  ASSERT_TRUE(Apply(fresh, 4, &applied).ok());
  EXPECT_EQ(applied.version(), 4);
}

TEST_F(ControllerHaTest, AStandaloneControllersHistoryMovesIntoZooKeeper) {
  // Bootstrap: the first controller ran alone on its database.
  ASSERT_TRUE(StartController(0, /*ha=*/false).ok());
  v1::ApplyResponse applied;
  const auto deadline = Clock::now() + kWait;
  grpc::Status status;
  do {
    status = Apply(0, 1, &applied);
    if (!status.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (!status.ok() && Clock::now() < deadline);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(Apply(0, 2, &applied).ok());
  absl::StatusOr<std::vector<std::string>> want = Versions(0);
  ASSERT_TRUE(want.ok());
  ASSERT_EQ(want->size(), 2u);

  // Restarted with the HA flags, it leads and writes its history as the
  // log's first entry; a controller with an empty disk gets all of it.
  processes_[0].reset();
  ASSERT_TRUE(StartController(0).ok());
  ASSERT_EQ(AwaitLeader(), 0) << "logs in " << dir_;
  ASSERT_TRUE(StartController(1).ok());
  AwaitVersions(1, *want);
  ASSERT_TRUE(Apply(0, 3, &applied).ok());
  EXPECT_EQ(applied.version(), 3);

  // A controller with a history of its own is refused, with the reason.
  ASSERT_TRUE(StartController(2, /*ha=*/false).ok());
  const auto until = Clock::now() + kWait;
  do {
    status = Apply(2, 7, &applied);
    if (!status.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (!status.ok() && Clock::now() < until);
  ASSERT_TRUE(status.ok()) << status.error_message();
  processes_[2].reset();
  ASSERT_TRUE(StartController(2).ok());
  absl::StatusOr<int> code = processes_[2]->Wait(std::chrono::seconds(30));
  ASSERT_TRUE(code.ok()) << "a controller with its own history joined";
  EXPECT_NE(*code, 0);
  std::ifstream in(dir_ / "controller2.out");
  std::ostringstream text;
  text << in.rdbuf();
  EXPECT_THAT(text.str(), HasSubstr("history of its own"));
}

}  // namespace
}  // namespace bamctl
