// The service lifecycle's edges: what the diagram in lifecycle.h draws is
// allowed, everything else is refused (and aborts through To()).
#include "agentd/reconciler/lifecycle.h"

#include <set>
#include <utility>

#include "gtest/gtest.h"

namespace bamctl {
namespace {

using S = ServiceState;

TEST(LifecycleTest, ExactlyTheDrawnEdgesAreAllowed) {
  const std::set<std::pair<S, S>> drawn = {
      {S::kNew, S::kInitializing},
      {S::kNew, S::kStarting},
      {S::kNew, S::kExited},
      {S::kExited, S::kInitializing},
      {S::kExited, S::kStarting},
      {S::kExited, S::kExited},
      {S::kInitializing, S::kInitializing},
      {S::kInitializing, S::kStarting},
      {S::kInitializing, S::kExited},
      {S::kStarting, S::kRunning},
      {S::kStarting, S::kExited},
      {S::kStarting, S::kStopping},
      {S::kStarting, S::kRestarting},
      {S::kRunning, S::kExited},
      {S::kRunning, S::kStopping},
      {S::kRunning, S::kRestarting},
      {S::kStopping, S::kExited},
      {S::kStopping, S::kStarting},
      {S::kStopping, S::kStopping},
      {S::kRestarting, S::kExited},
      {S::kRestarting, S::kStarting},
      {S::kRestarting, S::kStopping},
  };
  const S all[] = {S::kNew,      S::kInitializing, S::kStarting, S::kRunning,
                   S::kStopping, S::kRestarting,   S::kExited};
  for (S from : all) {
    for (S to : all) {
      EXPECT_EQ(Lifecycle::Allowed(from, to), drawn.count({from, to}) > 0)
          << ServiceStateName(from) << " -> " << ServiceStateName(to);
    }
  }
}

TEST(LifecycleTest, ARestartGoesThroughRestartingAndExited) {
  Lifecycle life;
  EXPECT_FALSE(life.HasProcess());
  life.To(S::kStarting);
  life.To(S::kRunning);
  EXPECT_TRUE(life.HasProcess());
  life.To(S::kRestarting);
  EXPECT_TRUE(life.Stopping());
  EXPECT_TRUE(life.HasProcess());
  life.To(S::kExited);
  EXPECT_FALSE(life.HasProcess());
  EXPECT_FALSE(life.Stopping());
}

TEST(LifecycleDeathTest, AnEdgeNotDrawnIsABug) {
  Lifecycle life;
  EXPECT_DEATH(life.To(S::kRunning), "no transition new -> running");
}

}  // namespace
}  // namespace bamctl
