// The ZooKeeper sync wait with four-letter words answered by the test.
#include "controller/rollout/zookeeper_sync.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bamctl {
namespace {

using ::testing::ElementsAre;

// Servers by host: what each answers to mntr and srvr; absent: no answer.
class FakeEnsemble {
 public:
  FourLetterWord Word() {
    return [this](const std::string& host, uint32_t port,
                  const std::string& word) -> absl::StatusOr<std::string> {
      asked.push_back(absl::StrCat(word, " ", host, ":", port));
      auto server = state.find(host);
      if (server == state.end()) return absl::UnavailableError("connection refused");
      if (word == "srvr") {
        return absl::StrCat(
            "Zookeeper version: 3.8.0\nLatency min/avg/max: 0/0/0\nMode: ", server->second, "\n");
      }
      return absl::StrCat("zk_version\t3.8.0\nzk_server_state\t", server->second,
                          "\nzk_synced_followers\t", server->second == "leader" ? synced : 0, "\n");
    };
  }
  std::map<std::string, std::string> state;  // host -> mode
  int synced = 2;
  std::vector<std::string> asked;
};

const std::map<std::string, ZooKeeperServer> kServers = {
    {"zk1", {"10.0.0.1", 2181}}, {"zk2", {"10.0.0.2", 2181}}, {"zk3", {"10.0.0.3", 2182}}};

TEST(ZooKeeperSyncTest, WholeWhenTheOneLeaderCountsEveryFollowerSynced) {
  FakeEnsemble fake;
  fake.state = {{"10.0.0.1", "follower"}, {"10.0.0.2", "leader"}, {"10.0.0.3", "follower"}};
  ZooKeeperEnsemble ensemble(fake.Word());
  EXPECT_TRUE(ensemble.Synced(kServers).ok());
  EXPECT_THAT(fake.asked,
              ElementsAre("mntr 10.0.0.1:2181", "mntr 10.0.0.2:2181", "mntr 10.0.0.3:2182"));

  fake.synced = 1;  // the restarted follower has not caught up yet
  absl::Status behind = ensemble.Synced(kServers);
  EXPECT_EQ(behind.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(behind.message(), "leader zk2 reports 1 of 2 followers synced");
}

TEST(ZooKeeperSyncTest, NoLeaderOrTwoAreNotWhole) {
  FakeEnsemble fake;
  ZooKeeperEnsemble ensemble(fake.Word());
  // The leader is the one restarting: nobody answers as leader.
  fake.state = {{"10.0.0.1", "follower"}, {"10.0.0.3", "follower"}};
  EXPECT_EQ(ensemble.Synced(kServers).message(), "the ensemble has 0 leaders");
  fake.state = {{"10.0.0.1", "leader"}, {"10.0.0.2", "leader"}, {"10.0.0.3", "follower"}};
  EXPECT_EQ(ensemble.Synced(kServers).message(), "the ensemble has 2 leaders");
  EXPECT_FALSE(ensemble.Synced({}).ok());
}

TEST(ZooKeeperSyncTest, ModeIsWhatTheServerReports) {
  FakeEnsemble fake;
  fake.state = {{"10.0.0.2", "leader"}};
  ZooKeeperEnsemble ensemble(fake.Word());
  EXPECT_EQ(ensemble.Mode({"10.0.0.2", 2181}), "leader");
  EXPECT_EQ(ensemble.Mode({"10.0.0.9", 2181}), "");  // no answer: unknown
  EXPECT_THAT(fake.asked, ElementsAre("srvr 10.0.0.2:2181", "srvr 10.0.0.9:2181"));
}

TEST(ZooKeeperSyncTest, ParsesMntrLines) {
  std::map<std::string, std::string> m =
      ParseMntr("zk_server_state\tleader\nzk_synced_followers\t4\n\nzk_odd\ta\tb\n");
  EXPECT_EQ(m["zk_server_state"], "leader");
  EXPECT_EQ(m["zk_synced_followers"], "4");
  EXPECT_EQ(m["zk_odd"], "a\tb");
  EXPECT_EQ(m.count(""), 0u);
}

}  // namespace
}  // namespace bamctl
