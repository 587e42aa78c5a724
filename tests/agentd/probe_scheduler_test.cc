// The probe scheduler with a scripted probe function: each probe on its own
// schedule, a hung probe delaying nothing else, verdict changes waking the
// loop.
#include "agentd/probes/probe_scheduler.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace bamctl {
namespace {

using std::chrono::milliseconds;

Probe P(const std::string& host, uint32_t port) { return {Probe::Kind::kTcp, "p", host, port, ""}; }

// Polls `done` every ms of real time for up to 5 s; each poll moves the
// fake clock on by `step_ms`, so probes fall due without real waiting.
template <typename F>
bool Eventually(FakeClock& clock, F done, int64_t step_ms = 10) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    clock.AdvanceMillis(step_ms);
    std::this_thread::sleep_for(milliseconds(1));
  }
  return false;
}

TEST(ProbeSchedulerTest, AHungProbeDelaysNoOtherAndVerdictChangesWake) {
  std::atomic<bool> healthy{true};
  std::atomic<int> wakes{0};
  absl::Notification release;
  FakeClock clock;
  ProbeScheduler::Options options;
  options.interval = milliseconds(10);
  ProbeScheduler scheduler(
      options, &clock,
      [&](const Probe& p, milliseconds) {
        if (p.host == "hung") release.WaitForNotificationWithTimeout(absl::Seconds(10));
        ProbeResult r;
        r.healthy = p.host == "hung" || healthy.load();
        r.reason = r.healthy ? "ok" : "refused";
        return r;
      },
      nullptr, [&] { ++wakes; });
  scheduler.SetTargets({{"svc:a", {P("hung", 1), P("fine", 2)}}});

  // The fine probe answers although the hung one never returns.
  ASSERT_TRUE(Eventually(clock, [&] {
    std::vector<std::optional<ProbeSample>> s = scheduler.Samples("svc:a");
    return s.size() == 2 && !s[0].has_value() && s[1].has_value();
  }));
  const int before = wakes.load();
  healthy = false;
  ASSERT_TRUE(Eventually(clock, [&] { return wakes.load() > before; }));  // a changed verdict
  EXPECT_FALSE(scheduler.Samples("svc:a")[1]->result.healthy);
  EXPECT_EQ(scheduler.Samples("svc:a")[1]->result.reason, "refused");

  // Replacing the targets does not wait for the hung probe either.
  const auto t0 = std::chrono::steady_clock::now();
  scheduler.SetTargets({{"svc:b", {P("fine", 3)}}});
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  EXPECT_TRUE(scheduler.Samples("svc:a").empty());
  ASSERT_TRUE(Eventually(clock, [&] {
    std::vector<std::optional<ProbeSample>> s = scheduler.Samples("svc:b");
    return s.size() == 1 && s[0].has_value();
  }));
  release.Notify();  // lets the retired thread end before the scheduler goes
}

TEST(ProbeSchedulerTest, ProbesRunOnTheClocksIntervalNotOnRealTime) {
  std::atomic<int> runs{0};
  FakeClock clock;
  ProbeScheduler::Options options;
  options.interval = milliseconds(1000);
  ProbeScheduler scheduler(
      options, &clock,
      [&](const Probe&, milliseconds) {
        ++runs;
        return ProbeResult{true, "ok", ""};
      },
      nullptr, nullptr);
  scheduler.SetTargets({{"svc:a", {P("a", 1)}}});
  ASSERT_TRUE(Eventually(
      clock, [&] { return runs.load() == 1; }, 0));
  std::this_thread::sleep_for(milliseconds(50));  // real time alone runs nothing more
  EXPECT_EQ(runs.load(), 1);
  clock.AdvanceMillis(999);
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(runs.load(), 1);
  clock.AdvanceMillis(1);
  ASSERT_TRUE(Eventually(
      clock, [&] { return runs.load() == 2; }, 0));
  // The sample is stamped with the monotonic time the probe began.
  EXPECT_EQ(scheduler.Samples("svc:a")[0]->at_ms, clock.MonotonicMillis());
}

TEST(ProbeSchedulerTest, ThreadsDoNotGrowWithTheProbes) {
  FakeClock clock;
  std::atomic<int> runs{0};
  ProbeScheduler scheduler(
      ProbeScheduler::Options(), &clock,
      [&](const Probe&, milliseconds) {
        ++runs;
        return ProbeResult{true, "ok", ""};
      },
      nullptr, nullptr);
  std::vector<Probe> many;
  for (uint32_t i = 0; i < 200; ++i) many.push_back(P("h", i + 1));
  scheduler.SetTargets({{"svc:many", many}});
  ASSERT_TRUE(Eventually(
      clock, [&] { return runs.load() >= 200; }, 0));
  int threads = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
    (void)entry;
    ++threads;
  }
  // The test's own thread plus the scheduler's two workers (and none per
  // probe); gtest adds none.
  EXPECT_LE(threads, 3);
}

TEST(ProbeSchedulerTest, UnchangedTargetsKeepTheirSamples) {
  // Every probe answers once and then hangs: a worker started anew for an
  // unchanged probe would hang before its first sample, so a sample that
  // is there after the change is the one from before it.
  std::mutex mu;
  std::map<std::string, int> runs;
  absl::Notification release;
  FakeClock clock;
  ProbeScheduler::Options options;
  options.interval = milliseconds(10);
  ProbeScheduler scheduler(
      options, &clock,
      [&](const Probe& p, milliseconds) {
        bool again = false;
        {
          std::lock_guard<std::mutex> lock(mu);
          again = ++runs[p.host] > 1;
        }
        if (again) release.WaitForNotificationWithTimeout(absl::Seconds(10));
        return ProbeResult{true, p.host, ""};
      },
      nullptr, nullptr);
  scheduler.SetTargets({{"dep:zookeeper", {P("a", 1), P("b", 2)}}});
  ASSERT_TRUE(Eventually(clock, [&] {
    std::vector<std::optional<ProbeSample>> s = scheduler.Samples("dep:zookeeper");
    return s.size() == 2 && s[0] && s[1];
  }));
  scheduler.SetTargets({{"dep:zookeeper", {P("a", 1), P("b", 2)}}, {"svc:x", {P("c", 3)}}});
  std::vector<std::optional<ProbeSample>> kept = scheduler.Samples("dep:zookeeper");
  ASSERT_EQ(kept.size(), 2u);
  ASSERT_TRUE(kept[0].has_value() && kept[1].has_value());  // not reset by the change
  EXPECT_EQ(kept[0]->result.reason, "a");
  EXPECT_EQ(kept[1]->result.reason, "b");
  release.Notify();
}

}  // namespace
}  // namespace bamctl
