// The controller's memory against peers that misbehave, measured on a real
// bam-controller process (its RSS from /proc) over mutual TLS: a node whose
// stream never reads what the controller sends, and a node that sends
// 1,000 oversized command results. The bound this test states: the
// controller's RSS grows by less than 16 MiB over its level with the seed
// applied. Measured: under 1 MB for the stream that does not read (243 MB
// before the per-stream queue limit), about 3 MB for the results (28-38 MB
// while gRPC's BDP probing could widen a stream's receive window).
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/controller.grpc.pb.h"
#include "tests/integration/controller_process.h"
#include "tests/util/fake_agent_stream.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr int64_t kRssBound = int64_t{16} << 20;

class ControllerResourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::ControllerBinary().empty()) GTEST_SKIP() << "BAMCTL_CONTROLLER_BIN not set";
    dir_ = testing::MakeTempDir("controller_resource");
    controller_ = std::make_unique<testing::ControllerProcess>(dir_);
    absl::Status started = controller_->Start();
    ASSERT_TRUE(started.ok()) << started;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::ApplyRequest apply;
    apply.set_spec_text(testing::ReadSourceFile("examples/seed-cluster.yaml"));
    v1::ApplyResponse applied;
    ASSERT_TRUE(controller_->cluster()->ApplyDesiredState(&ctx, apply, &applied).ok());
    absl::StatusOr<std::unique_ptr<v1::AgentService::Stub>> stub = controller_->AgentStub("node1");
    ASSERT_TRUE(stub.ok()) << stub.status();
    node1_ = *std::move(stub);
    // The baseline once a node has connected: TLS and the stream's
    // machinery are warm.
    {
      testing::FakeAgent warm(node1_.get(), "node1");
      ASSERT_TRUE(warm.NextPlan().has_value());
    }
    absl::StatusOr<int64_t> rss = controller_->RssBytes();
    ASSERT_TRUE(rss.ok()) << rss.status();
    baseline_ = *rss;
  }

  void TearDown() override {
    controller_.reset();
    if (!HasFailure() && !dir_.empty()) fs::remove_all(dir_);  // else kept for its log
  }

  // Samples the RSS into peak_.
  void Sample() {
    absl::StatusOr<int64_t> rss = controller_->RssBytes();
    ASSERT_TRUE(rss.ok()) << rss.status();
    peak_ = std::max(peak_, *rss);
  }

  fs::path dir_;
  std::unique_ptr<testing::ControllerProcess> controller_;
  std::unique_ptr<v1::AgentService::Stub> node1_;
  int64_t baseline_ = 0;
  int64_t peak_ = 0;
};

TEST_F(ControllerResourceTest, AStreamThatNeverReadsIsDroppedWithinTheBound) {
  testing::FakeAgent agent(node1_.get(), "node1");
  v1::AgentMessage beat;
  beat.mutable_heartbeat()->set_sent_ms(1);
  // Each heartbeat is answered and the answers are never read: once the
  // transport's windows are full they queue at the controller until its
  // per-stream limit drops the stream.
  int written = 0;
  while (written < 400000 && agent.Write(beat)) {
    if (++written % 5000 == 0) {
      ASSERT_NO_FATAL_FAILURE(Sample());
    }
  }
  ASSERT_NO_FATAL_FAILURE(Sample());
  grpc::Status dropped = agent.Close();
  // The controller's status comes behind the answers that were not read,
  // so the agent may see it or only the connection going away.
  EXPECT_TRUE(dropped.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ||
              dropped.error_code() == grpc::StatusCode::UNAVAILABLE)
      << dropped.error_message() << " after " << written << " heartbeats";
  absl::StatusOr<std::optional<std::string>> log = ReadFileIfExists(controller_->log().string());
  ASSERT_TRUE(log.ok() && log->has_value());
  EXPECT_THAT(**log, HasSubstr("does not read its stream; dropped it"));
  EXPECT_LT(peak_ - baseline_, kRssBound)
      << "RSS from " << baseline_ << " to " << peak_ << " bytes; see " << controller_->log();

  // The node may connect again.
  testing::FakeAgent again(node1_.get(), "node1");
  EXPECT_TRUE(again.NextPlan().has_value());
}

TEST_F(ControllerResourceTest, AThousandOversizedCommandResultsKeepNothingBig) {
  testing::FakeAgent agent(node1_.get(), "node1");
  ASSERT_TRUE(agent.NextPlan().has_value());
  // Results for commands never sent to node1, each a quarter MiB of text:
  // 250 MiB in all, refused one by one.
  v1::AgentMessage result;
  result.mutable_command_result()->set_ok(false);
  result.mutable_command_result()->set_message(std::string(256 << 10, 'x'));
  for (int i = 0; i < 1000; ++i) {
    result.mutable_command_result()->set_command_id(absl::StrCat("op-1-step-", i));
    ASSERT_TRUE(agent.Write(result)) << "the stream ended after " << i << " results";
    if (i % 100 == 0) {
      ASSERT_NO_FATAL_FAILURE(Sample());
    }
  }
  // Still served: a heartbeat after them is answered, so all were taken.
  v1::AgentMessage beat;
  beat.mutable_heartbeat()->set_sent_ms(1);
  ASSERT_TRUE(agent.Write(beat));
  EXPECT_TRUE(agent.Next(v1::ControllerMessage::kTime).has_value());
  ASSERT_NO_FATAL_FAILURE(Sample());
  EXPECT_LT(peak_ - baseline_, kRssBound)
      << "RSS from " << baseline_ << " to " << peak_ << " bytes; see " << controller_->log();
}

}  // namespace
}  // namespace bamctl
