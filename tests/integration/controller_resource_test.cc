// The controller's memory against peers that misbehave, measured on a real
// bam-controller process (its RSS from /proc) over mutual TLS: a node whose
// stream never reads what the controller sends (behind a proxy that stops
// reading, since a gRPC client keeps reading for itself), and a node that sends
// 1,000 oversized command results. The bound this test states: the
// controller's RSS grows by less than 16 MiB over its level with the seed
// applied. Measured: under 1 MB for the stream that does not read (243 MB
// before the per-stream queue limit), about 3 MB for the results (28-38 MB
// while gRPC's BDP probing could widen a stream's receive window).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "gtest/gtest.h"
#include "proto/controller.grpc.pb.h"
#include "tests/integration/controller_process.h"
#include "tests/util/fake_agent_stream.h"
#include "tests/util/stall_proxy.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;

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
  // The node connects through a proxy that then stops reading what the
  // controller sends, as a stopped process would.
  testing::StallProxy proxy(controller_->address());
  // Its receive window is fixed at 4 KiB (no BDP probing to widen it):
  // what the controller can still write to it, about 250 answers, is then
  // far less than the heartbeats the controller's own window lets through
  // (about 7,000), so the rest must queue.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 4096);
  absl::StatusOr<std::unique_ptr<v1::AgentService::Stub>> stub =
      controller_->AgentStub("node1", proxy.address(), args);
  ASSERT_TRUE(stub.ok()) << stub.status();
  testing::FakeAgent agent(stub->get(), "node1");
  ASSERT_TRUE(agent.NextPlan().has_value());
  proxy.Hold();

  // Each heartbeat is answered. The answers fill the stream's window, then
  // queue at the controller until its per-stream limit drops the stream.
  // The agent's writes stall too once the controller's window updates stop
  // reaching it, so they run on their own thread.
  std::atomic<int> written{0};
  std::thread writer([&] {
    v1::AgentMessage beat;
    beat.mutable_heartbeat()->set_sent_ms(1);
    while (written < 400000 && agent.Write(beat)) ++written;
  });
  const std::string kDropped = "does not read its stream; dropped it";
  bool seen = false;
  for (int i = 0; i < 150 && !seen; ++i) {  // at most 15 s
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Sample();
    absl::StatusOr<std::optional<std::string>> log = ReadFileIfExists(controller_->log().string());
    seen = log.ok() && log->has_value() && absl::StrContains(**log, kDropped);
  }
  // Released, the agent reads what was held up to the controller's status,
  // and its stalled write fails with the stream.
  proxy.Release();
  agent.ReadToEnd();
  writer.join();
  ASSERT_NO_FATAL_FAILURE(Sample());
  EXPECT_TRUE(seen) << "the stream was not dropped within 15 s, after " << written
                    << " heartbeats; see " << controller_->log();
  grpc::Status dropped = agent.Close();
  EXPECT_EQ(dropped.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << dropped.error_message() << " after " << written << " heartbeats";
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
