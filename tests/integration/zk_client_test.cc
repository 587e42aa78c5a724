// ZkClient against a real ZooKeeper server (Debian's jars, standalone):
// the calls, their errors, watches, ephemerals, multi-ops as fencing, and
// digest ACLs that keep other clients of the ensemble out.
#include "controller/ha/zk_client.h"

#include <zookeeper/zookeeper.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/zookeeper_servers.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr std::chrono::seconds kWait(20);

class ZkClientTest : public testing::ZooKeeperServerSuite {
 protected:
  void SetUp() override {
    ZooKeeperServerSuite::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // Each test under its own path.
    base_ = std::string("/") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  std::unique_ptr<ZkClient> Connect(const std::string& digest = "") {
    ZkOptions options;
    options.servers = servers().ConnectString();
    options.digest = digest;
    options.session_timeout = std::chrono::milliseconds(4000);
    absl::StatusOr<std::unique_ptr<ZkClient>> client = ZkClient::Connect(options, kWait);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  std::string base_;
};

TEST_F(ZkClientTest, CreateGetSetDeleteWithVersions) {
  std::unique_ptr<ZkClient> zk = Connect();
  ASSERT_NE(zk, nullptr);
  EXPECT_EQ(zk->state(), ZkSessionState::kConnected);
  EXPECT_NE(zk->session_id(), 0);
  ASSERT_TRUE(zk->EnsurePath(base_ + "/a/b").ok());
  ASSERT_TRUE(zk->EnsurePath(base_ + "/a/b").ok()) << "ensuring twice is fine";

  absl::StatusOr<std::string> made = zk->Create(base_ + "/a/b/n", "one", ZkCreateMode::kPersistent);
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ(*made, base_ + "/a/b/n");
  absl::StatusOr<ZkNode> node = zk->Get(base_ + "/a/b/n");
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ(node->data, "one");
  EXPECT_EQ(node->version, 0);
  EXPECT_EQ(node->ephemeral_owner, 0);

  ASSERT_TRUE(zk->Set(base_ + "/a/b/n", "two", 0).ok());
  absl::Status stale = zk->Set(base_ + "/a/b/n", "three", 0);
  EXPECT_EQ(stale.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(stale.message()),
              HasSubstr("ZooKeeper set " + base_ + "/a/b/n at " + servers().ConnectString() +
                        ": the node changed since it was read (version mismatch)"));
  EXPECT_EQ(zk->Get(base_ + "/a/b/n")->data, "two");

  absl::StatusOr<std::string> again = zk->Create(base_ + "/a/b/n", "", ZkCreateMode::kPersistent);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(zk->Delete(base_ + "/a/b/n", 1).ok());
  absl::StatusOr<ZkNode> gone = zk->Get(base_ + "/a/b/n");
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(gone.status().message()), HasSubstr("get " + base_ + "/a/b/n"));
  absl::StatusOr<std::optional<ZkNode>> exists = zk->Exists(base_ + "/a/b/n");
  ASSERT_TRUE(exists.ok());
  EXPECT_FALSE(exists->has_value());

  const std::string big(ZkClient::kMaxNodeBytes + 1, 'x');
  EXPECT_EQ(zk->Create(base_ + "/big", big, ZkCreateMode::kPersistent).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ZkClientTest, SequentialNodesAreOrderedAndEphemeralsEndWithTheirSession) {
  std::unique_ptr<ZkClient> watcher = Connect();
  std::unique_ptr<ZkClient> owner = Connect();
  ASSERT_NE(watcher, nullptr);
  ASSERT_NE(owner, nullptr);
  ASSERT_TRUE(owner->EnsurePath(base_).ok());
  std::vector<std::string> made;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<std::string> path =
        owner->Create(base_ + "/m-", "", ZkCreateMode::kEphemeralSequential);
    ASSERT_TRUE(path.ok()) << path.status();
    made.push_back(*path);
  }
  EXPECT_EQ(made[0], base_ + "/m-0000000000");
  EXPECT_LT(made[0], made[1]);
  EXPECT_LT(made[1], made[2]);
  absl::StatusOr<ZkNode> node = owner->Get(made[0]);
  ASSERT_TRUE(node.ok());
  EXPECT_EQ(node->ephemeral_owner, owner->session_id());

  absl::Notification gone;
  absl::StatusOr<std::optional<ZkNode>> exists =
      watcher->Exists(made[2], [&gone] { gone.Notify(); });
  ASSERT_TRUE(exists.ok() && exists->has_value());
  owner->Close();
  EXPECT_EQ(owner->state(), ZkSessionState::kClosed);
  EXPECT_TRUE(gone.WaitForNotificationWithTimeout(absl::FromChrono(kWait)));
  absl::StatusOr<std::vector<std::string>> left = watcher->Children(base_);
  ASSERT_TRUE(left.ok());
  EXPECT_THAT(*left, SizeIs(0));
  EXPECT_EQ(owner->Get(made[0]).status().code(), absl::StatusCode::kUnavailable)
      << "a closed client refuses calls";
}

TEST_F(ZkClientTest, WatchesFireOnceOnDataChildrenAndCreation) {
  std::unique_ptr<ZkClient> zk = Connect();
  ASSERT_NE(zk, nullptr);
  ASSERT_TRUE(zk->EnsurePath(base_ + "/kids").ok());
  std::atomic<int> data_fired{0};
  absl::Notification data_changed, kids_changed, created;
  ASSERT_TRUE(zk->Get(base_ + "/kids", [&] {
                  ++data_fired;
                  data_changed.Notify();
                }).ok());
  ASSERT_TRUE(zk->Children(base_ + "/kids", [&] { kids_changed.Notify(); }).ok());
  ASSERT_TRUE(zk->Exists(base_ + "/later", [&] { created.Notify(); }).ok());

  ASSERT_TRUE(zk->Set(base_ + "/kids", "x").ok());
  ASSERT_TRUE(zk->Set(base_ + "/kids", "y").ok());
  ASSERT_TRUE(zk->Create(base_ + "/kids/c", "", ZkCreateMode::kPersistent).ok());
  ASSERT_TRUE(zk->Create(base_ + "/later", "", ZkCreateMode::kPersistent).ok());
  EXPECT_TRUE(data_changed.WaitForNotificationWithTimeout(absl::FromChrono(kWait)));
  EXPECT_TRUE(kids_changed.WaitForNotificationWithTimeout(absl::FromChrono(kWait)));
  EXPECT_TRUE(created.WaitForNotificationWithTimeout(absl::FromChrono(kWait)));
  // A round trip after the second set: its event, if any, has arrived.
  ASSERT_TRUE(zk->Get(base_ + "/kids").ok());
  EXPECT_EQ(data_fired.load(), 1) << "a watch is one-shot";
}

TEST_F(ZkClientTest, MultiIsAllOrNothingAndACheckFencesIt) {
  std::unique_ptr<ZkClient> leader = Connect();
  ASSERT_NE(leader, nullptr);
  ASSERT_TRUE(leader->EnsurePath(base_ + "/log").ok());
  absl::StatusOr<std::string> lease =
      leader->Create(base_ + "/leader", "me", ZkCreateMode::kEphemeral);
  ASSERT_TRUE(lease.ok());

  absl::StatusOr<std::vector<std::string>> wrote =
      leader->Multi({ZkOp::Check(base_ + "/leader"),
                     ZkOp::Create(base_ + "/log/e-", "v1", ZkCreateMode::kPersistentSequential),
                     ZkOp::Set(base_ + "/log", "1")});
  ASSERT_TRUE(wrote.ok()) << wrote.status();
  EXPECT_THAT(*wrote, ElementsAre(base_ + "/leader", base_ + "/log/e-0000000000", base_ + "/log"));

  // Deposed: the lease is gone, so nothing of the write happens.
  ASSERT_TRUE(leader->Delete(base_ + "/leader").ok());
  absl::StatusOr<std::vector<std::string>> fenced =
      leader->Multi({ZkOp::Check(base_ + "/leader"),
                     ZkOp::Create(base_ + "/log/e-", "v2", ZkCreateMode::kPersistentSequential),
                     ZkOp::Set(base_ + "/log", "2")});
  ASSERT_FALSE(fenced.ok());
  EXPECT_EQ(fenced.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(fenced.status().message()),
              HasSubstr("multi (op 1 of 3: check) " + base_ + "/leader"));
  EXPECT_THAT(*leader->Children(base_ + "/log"), ElementsAre("e-0000000000"));
  EXPECT_EQ(leader->Get(base_ + "/log")->data, "1");

  // A version check: a write conditional on what was read.
  absl::StatusOr<std::vector<std::string>> stale =
      leader->Multi({ZkOp::Check(base_ + "/log", 0), ZkOp::Set(base_ + "/log", "3")});
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(leader->Get(base_ + "/log")->data, "1");
}

// A multi on a session the server has expired is refused, and refused
// cleanly: libzookeeper_mt 3.8 frees a path it does not own when handed
// one (a controller paused past its session died of a double free on
// waking). The session is expired the way the server does it for a client
// that was away too long: a second handle takes it over and closes it.
TEST_F(ZkClientTest, AMultiOnAnExpiredSessionIsRefusedWithNothingSent) {
  std::unique_ptr<ZkClient> paused = Connect();
  ASSERT_NE(paused, nullptr);
  ASSERT_TRUE(paused->EnsurePath(base_ + "/expired-log").ok());
  const ZkClient::SessionKey key = paused->session_key();
  ASSERT_NE(key.id, 0);
  clientid_t id{};
  id.client_id = key.id;
  ASSERT_EQ(key.password.size(), sizeof(id.passwd));
  std::memcpy(id.passwd, key.password.data(), sizeof(id.passwd));
  zhandle_t* other =
      zookeeper_init(servers().ConnectString().c_str(), nullptr, 10'000, &id, nullptr, 0);
  ASSERT_NE(other, nullptr);
  for (int i = 0; i < 100 && zoo_state(other) != ZOO_CONNECTED_STATE; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  zookeeper_close(other);  // ends the session at the server
  // The first handle learns it on its next exchange.
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (std::chrono::steady_clock::now() < deadline &&
         paused->state() != ZkSessionState::kExpired) {
    (void)paused->Exists(base_ + "/expired-log");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(paused->state(), ZkSessionState::kExpired);
  // Long paths, so that the strings live on the heap, where a second free
  // would abort the test.
  const std::string fence = base_ + "/expired-election/n_0000000000-with-a-long-name";
  absl::StatusOr<std::vector<std::string>> wrote =
      paused->Multi({ZkOp::Check(fence), ZkOp::Create(base_ + "/expired-log/e-with-a-long-name-",
                                                      "v", ZkCreateMode::kPersistentSequential)});
  ASSERT_FALSE(wrote.ok());
  EXPECT_EQ(wrote.status().code(), absl::StatusCode::kFailedPrecondition) << wrote.status();
  EXPECT_THAT(std::string(wrote.status().message()), HasSubstr("nothing was sent"));
}

TEST_F(ZkClientTest, DigestAclKeepsOtherClientsOut) {
  std::unique_ptr<ZkClient> owner = Connect("bamctl:s3cret");
  std::unique_ptr<ZkClient> anonymous = Connect();
  std::unique_ptr<ZkClient> guesser = Connect("bamctl:guess");
  ASSERT_NE(owner, nullptr);
  ASSERT_NE(anonymous, nullptr);
  ASSERT_NE(guesser, nullptr);
  ASSERT_TRUE(owner->EnsurePath(base_ + "/state").ok());
  ASSERT_TRUE(owner->Set(base_ + "/state", "mine").ok());

  for (ZkClient* other : {anonymous.get(), guesser.get()}) {
    absl::Status write = other->Set(base_ + "/state", "theirs");
    EXPECT_EQ(write.code(), absl::StatusCode::kPermissionDenied) << write;
    EXPECT_THAT(std::string(write.message()), HasSubstr("not allowed by the node's ACL"));
    EXPECT_EQ(other->Get(base_ + "/state").status().code(), absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(other->Delete(base_ + "/state").code(), absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(other->Create(base_ + "/state/x", "", ZkCreateMode::kPersistent).status().code(),
              absl::StatusCode::kPermissionDenied);
  }
  // The same credentials on another session are the same identity.
  std::unique_ptr<ZkClient> again = Connect("bamctl:s3cret");
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->Get(base_ + "/state")->data, "mine");
}

TEST_F(ZkClientTest, ConnectingToNoServerFailsInTimeNamingTheServers) {
  ZkOptions options;
  options.servers = "127.0.0.1:1";  // nothing listens on port 1
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<ZkClient>> client =
      ZkClient::Connect(options, std::chrono::milliseconds(1500));
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(client.status().message()),
              HasSubstr("no ZooKeeper server of 127.0.0.1:1 answered within 1500 ms"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, kWait);

  options.servers = "";
  EXPECT_EQ(ZkClient::Connect(options, kWait).status().code(), absl::StatusCode::kInvalidArgument);
  options.servers = "127.0.0.1:1";
  options.digest = "no-colon";
  EXPECT_THAT(std::string(ZkClient::Connect(options, kWait).status().message()),
              HasSubstr("USER:PASSWORD"));
}

}  // namespace
}  // namespace bamctl
