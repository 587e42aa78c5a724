// CommitLog against a real ZooKeeper server: gap-free order, fenced
// appends, entries past a znode's size, and entries it cannot read.
#include "controller/ha/commit_log.h"

#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/zookeeper_servers.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr std::chrono::seconds kWait(20);

class CommitLogTest : public testing::ZooKeeperServerSuite {
 protected:
  void SetUp() override {
    ZooKeeperServerSuite::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ZkOptions options;
    options.servers = servers().ConnectString();
    absl::StatusOr<std::unique_ptr<ZkClient>> zk = ZkClient::Connect(options, kWait);
    ASSERT_TRUE(zk.ok()) << zk.status();
    zk_ = *std::move(zk);
    ha_ = std::string("/") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    log_ = std::make_unique<CommitLog>(ha_);
    ASSERT_TRUE(log_->Init(*zk_).ok());
    ASSERT_TRUE(log_->Init(*zk_).ok()) << "twice is fine";
    absl::StatusOr<std::string> fence = zk_->Create(ha_ + "/leader", "", ZkCreateMode::kEphemeral);
    ASSERT_TRUE(fence.ok()) << fence.status();
    fence_ = *fence;
  }

  std::unique_ptr<ZkClient> zk_;
  std::string ha_;
  std::string fence_;
  std::unique_ptr<CommitLog> log_;
};

TEST_F(CommitLogTest, AppendsAreReadInOrderFromAnyIndex) {
  for (const char* data : {"one", "two", "three"}) {
    absl::StatusOr<int64_t> index = log_->Append(*zk_, fence_, data);
    ASSERT_TRUE(index.ok()) << index.status();
  }
  absl::StatusOr<std::vector<LogEntry>> all = log_->Read(*zk_, 0, 100);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_THAT(*all, SizeIs(3));
  for (int i = 0; i < 3; ++i) EXPECT_EQ((*all)[i].index, i + 1) << "indexes count from 1";
  EXPECT_EQ((*all)[2].data, "three");

  absl::Notification appended;
  absl::StatusOr<std::vector<LogEntry>> tail = log_->Read(*zk_, 2, 10, [&] { appended.Notify(); });
  ASSERT_TRUE(tail.ok());
  ASSERT_THAT(*tail, SizeIs(2));
  EXPECT_EQ((*tail)[0].data, "two");
  EXPECT_THAT(*log_->Read(*zk_, 2, 1), SizeIs(1)) << "at most max";
  ASSERT_TRUE(log_->Append(*zk_, fence_, "").ok()) << "an empty entry is an entry";
  EXPECT_TRUE(appended.WaitForNotificationWithTimeout(absl::FromChrono(kWait)));
  EXPECT_EQ(log_->Read(*zk_, 4, 10)->at(0).data, "");
}

TEST_F(CommitLogTest, ADeposedLeaderCommitsNothing) {
  ASSERT_TRUE(log_->Append(*zk_, fence_, "before").ok());
  ASSERT_TRUE(zk_->Delete(fence_).ok());  // as when its session ends
  absl::StatusOr<int64_t> after = log_->Append(*zk_, fence_, "after");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(after.status().message()), HasSubstr("check) " + fence_));
  absl::StatusOr<std::vector<LogEntry>> all = log_->Read(*zk_, 0, 100);
  ASSERT_TRUE(all.ok());
  ASSERT_THAT(*all, SizeIs(1));
  EXPECT_EQ((*all)[0].data, "before");
}

TEST_F(CommitLogTest, EntriesLargerThanAZnodeAreCompressedOrChunked) {
  // A large spec compresses into one node.
  std::string spec;
  while (spec.size() < size_t{3} << 20) spec += "  - {name: node1, roles: [datanode]}\n";
  // Noise does not: it goes in chunks.
  std::mt19937 random(7);
  std::string noise((size_t{2} << 20) + 17, '\0');
  for (char& c : noise) c = static_cast<char>(random());
  ASSERT_TRUE(log_->Append(*zk_, fence_, spec).ok());
  ASSERT_TRUE(log_->Append(*zk_, fence_, noise).ok());
  absl::StatusOr<std::vector<LogEntry>> all = log_->Read(*zk_, 0, 100);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_THAT(*all, SizeIs(2));
  EXPECT_TRUE((*all)[0].data == spec);
  EXPECT_TRUE((*all)[1].data == noise);
  absl::StatusOr<std::vector<std::string>> chunks = zk_->Children(ha_ + "/blobs");
  ASSERT_TRUE(chunks.ok());
  EXPECT_THAT(*chunks, SizeIs(3)) << "2 MiB of noise in 900 KiB chunks";
}

TEST_F(CommitLogTest, AnEntryItCannotReadIsDataLossNamingIt) {
  ASSERT_TRUE(zk_->Create(log_->path() + "/e-", "Xjunk", ZkCreateMode::kPersistentSequential).ok());
  ASSERT_TRUE(
      zk_->Create(log_->path() + "/e-", "C10\n/elsewhere/b-1", ZkCreateMode::kPersistentSequential)
          .ok());
  absl::StatusOr<std::vector<LogEntry>> junk = log_->Read(*zk_, 0, 1);
  EXPECT_EQ(junk.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(junk.status().message()),
              HasSubstr(log_->path() + "/e-0000000000: not a log entry this controller writes"));
  absl::StatusOr<std::vector<LogEntry>> outside = log_->Read(*zk_, 2, 1);
  EXPECT_EQ(outside.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(outside.status().message()),
              HasSubstr("chunk /elsewhere/b-1 is not under " + ha_ + "/blobs"));
}

}  // namespace
}  // namespace bamctl
