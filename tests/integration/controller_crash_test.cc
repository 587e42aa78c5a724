// kill -9 of a real bam-controller process while it applies versions and
// takes agent reports: after a restart every acknowledged version is there,
// whole (text and plans), the database is intact, and agents reconnect.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "controller/store/store.h"
#include "gtest/gtest.h"
#include "proto/controller.grpc.pb.h"
#include "tests/integration/controller_process.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

TEST(ControllerCrashTest, KillDuringApplyLosesNoAcknowledgedVersion) {
  if (testing::ControllerBinary().empty()) GTEST_SKIP() << "BAMCTL_CONTROLLER_BIN not set";
  const fs::path dir = testing::MakeTempDir("controller_crash");
  const std::string seed = testing::ReadSourceFile("examples/seed-cluster.yaml");
  testing::ControllerProcess controller(dir);
  absl::Status started = controller.Start();
  ASSERT_TRUE(started.ok()) << started;
  absl::StatusOr<std::unique_ptr<v1::AgentService::Stub>> agents = controller.AgentStub("node3");
  ASSERT_TRUE(agents.ok()) << agents.status();

  // A stream of agent reports in the background, as from a live cluster.
  std::atomic<bool> stop{false};
  std::thread reporter([&] {
    while (!stop) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
      auto stream = (*agents)->Connect(&ctx);
      v1::AgentMessage hello;
      hello.mutable_hello()->set_node("node3");
      if (!stream->Write(hello)) continue;
      for (int i = 0; i < 50 && !stop; ++i) {
        v1::AgentMessage m;
        m.mutable_report()->set_node("node3");
        m.mutable_report()->set_applied_version(i);
        if (!stream->Write(m)) break;
      }
      stream->WritesDone();
      (void)stream->Finish();
    }
  });

  // Apply versions as fast as the controller acknowledges them and kill it
  // at a random moment in the middle.
  std::mt19937 rng(std::random_device{}());
  const auto kill_after = std::chrono::milliseconds(300 + rng() % 700);
  std::vector<int64_t> acknowledged;
  std::thread killer([&] {
    std::this_thread::sleep_for(kill_after);
    controller.Kill9();
  });
  const auto start = Clock::now();
  for (int i = 0; Clock::now() - start < std::chrono::seconds(10); ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    v1::ApplyRequest request;
    request.set_spec_text(seed + absl::StrCat("# revision ", i, "\n"));
    request.set_author("crash-test");
    v1::ApplyResponse response;
    if (!controller.cluster()->ApplyDesiredState(&ctx, request, &response).ok()) break;
    acknowledged.push_back(response.version());
  }
  killer.join();
  stop = true;
  reporter.join();
  ASSERT_FALSE(acknowledged.empty()) << "no apply finished before the kill";

  // The database, opened directly: intact, and every acknowledged version
  // present with its text and all five plans.
  {
    FakeClock clock;
    absl::StatusOr<std::unique_ptr<Store>> store =
        Store::Open((dir / "controller.db").string(), &clock);
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<int64_t> current = (*store)->CurrentVersion();
    ASSERT_TRUE(current.ok());
    EXPECT_GE(*current, acknowledged.back());
    for (int64_t v = 1; v <= *current; ++v) {
      absl::StatusOr<VersionRecord> record = (*store)->GetVersion(v);
      ASSERT_TRUE(record.ok()) << "version " << v << ": " << record.status();
      EXPECT_EQ(record->spec_text.substr(0, seed.size()), seed);
      absl::StatusOr<std::vector<v1::NodePlan>> plans = (*store)->GetPlans(v);
      ASSERT_TRUE(plans.ok());
      EXPECT_EQ(plans->size(), 5u) << "version " << v;
    }
  }

  // Restarted on the same database and port: serves the same history, and
  // an agent gets the newest plan.
  started = controller.Start();
  ASSERT_TRUE(started.ok()) << started;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::ListVersionsResponse versions;
  ASSERT_TRUE(controller.cluster()->ListVersions(&ctx, v1::ListVersionsRequest(), &versions).ok());
  ASSERT_GT(versions.versions_size(), 0);
  EXPECT_GE(versions.versions(0).version(), acknowledged.back());
  grpc::ClientContext agent_ctx;
  agent_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = (*agents)->Connect(&agent_ctx);
  v1::AgentMessage hello;
  hello.mutable_hello()->set_node("node3");  // the node its certificate names
  ASSERT_TRUE(stream->Write(hello));
  v1::ControllerMessage message;
  ASSERT_TRUE(stream->Read(&message));
  EXPECT_EQ(message.plan().version(), versions.versions(0).version());
  stream->WritesDone();
  controller.Kill9();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace bamctl
