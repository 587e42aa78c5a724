// LeaderElection against a real ZooKeeper server: one leader among three
// candidates, the next in line takes over when it leaves, every follower
// learns the new leader, and a candidate whose node vanishes stands again.
#include "controller/ha/election.h"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/integration/zookeeper_servers.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using Role = ElectionView::Role;

constexpr std::chrono::seconds kWait(20);

// The sequence number ending a candidate's node name.
int Sequence(const std::string& candidate) {
  return candidate.size() < 10 ? -1 : std::stoi(candidate.substr(candidate.size() - 10));
}

class ElectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string missing = testing::ZooKeeperServers::Missing(); !missing.empty()) {
      GTEST_SKIP() << missing;
    }
    dir_ = testing::MakeTempDir("election");
    absl::StatusOr<std::unique_ptr<testing::ZooKeeperServers>> servers =
        testing::ZooKeeperServers::Start(dir_, 1);
    ASSERT_TRUE(servers.ok()) << servers.status();
    servers_ = *std::move(servers);
    absl::Status serving = servers_->AwaitServing(std::chrono::seconds(60));
    ASSERT_TRUE(serving.ok()) << serving << "; log in " << dir_;
  }
  void TearDown() override {
    elections_.clear();
    servers_.reset();
    if (!dir_.empty() && !HasFailure()) fs::remove_all(dir_);
  }

  LeaderElection& Stand(const std::string& address) {
    LeaderElection::Options options;
    options.zookeeper.servers = servers_->ConnectString();
    options.zookeeper.session_timeout = std::chrono::milliseconds(3000);
    options.path = "/bamctl/test/election";
    options.advertise = address;
    options.retry = std::chrono::milliseconds(200);
    elections_.push_back(std::make_unique<LeaderElection>(options, nullptr));
    elections_.back()->Start();
    return *elections_.back();
  }

  // Waits until every running election agrees on `leader`.
  void AwaitLeader(const std::string& leader) {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    std::string seen;
    while (std::chrono::steady_clock::now() < deadline) {
      seen.clear();
      bool agreed = true;
      for (const auto& e : elections_) {
        if (e == nullptr) continue;
        ElectionView v = e->view();
        absl::StrAppend(&seen, ElectionRoleName(v.role), "(", v.leader, ") ");
        agreed = agreed && v.leader == leader && v.role != Role::kCandidate;
      }
      if (agreed) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "no agreement on leader " << leader << ": " << seen;
  }

  fs::path dir_;
  std::unique_ptr<testing::ZooKeeperServers> servers_;
  std::vector<std::unique_ptr<LeaderElection>> elections_;
};

TEST_F(ElectionTest, OneLeadsTheOthersFollowAndTheNextTakesOver) {
  LeaderElection& a = Stand("a:1");
  ASSERT_EQ(a.AwaitDecided(kWait).role, Role::kLeader);
  // Each stands once the one before has its node: the order is theirs.
  LeaderElection& b = Stand("b:1");
  ASSERT_EQ(b.AwaitDecided(kWait).role, Role::kFollower);
  LeaderElection& c = Stand("c:1");
  AwaitLeader("a:1");
  EXPECT_EQ(b.view().role, Role::kFollower);
  EXPECT_EQ(c.view().role, Role::kFollower);
  EXPECT_FALSE(a.view().candidate.empty());
  EXPECT_LT(Sequence(a.view().candidate), Sequence(b.view().candidate));
  EXPECT_LT(Sequence(b.view().candidate), Sequence(c.view().candidate));
  absl::StatusOr<std::vector<std::string>> candidates = c.Candidates();
  ASSERT_TRUE(candidates.ok()) << candidates.status();
  EXPECT_EQ(*candidates, (std::vector<std::string>{"a:1", "b:1", "c:1"})) << "leader first";

  // The leader leaves: the next in line leads; the third follows it.
  elections_[0].reset();
  AwaitLeader("b:1");
  EXPECT_EQ(b.view().role, Role::kLeader);
  EXPECT_EQ(c.view().role, Role::kFollower);
  EXPECT_GE(c.view().changes, 2) << "a, then b";

  // A follower leaving changes nothing for the leader.
  elections_[2].reset();
  LeaderElection& d = Stand("d:1");
  AwaitLeader("b:1");
  EXPECT_EQ(d.view().role, Role::kFollower);
}

TEST_F(ElectionTest, ACandidateWhoseNodeVanishesStandsAgain) {
  LeaderElection& a = Stand("a:1");
  ASSERT_EQ(a.AwaitDecided(kWait).role, Role::kLeader);
  LeaderElection& b = Stand("b:1");
  AwaitLeader("a:1");
  const std::string lost = a.view().candidate;

  // Deleted by hand, as an expired session's node is: a loses the lead.
  ZkOptions options;
  options.servers = servers_->ConnectString();
  absl::StatusOr<std::unique_ptr<ZkClient>> admin = ZkClient::Connect(options, kWait);
  ASSERT_TRUE(admin.ok()) << admin.status();
  ASSERT_TRUE((*admin)->Delete(lost).ok());
  AwaitLeader("b:1");
  EXPECT_EQ(b.view().role, Role::kLeader);
  EXPECT_EQ(a.view().role, Role::kFollower);
  EXPECT_NE(a.view().candidate, lost);
  EXPECT_GT(Sequence(a.view().candidate), Sequence(b.view().candidate)) << "a stands behind b now";
}

}  // namespace
}  // namespace bamctl
