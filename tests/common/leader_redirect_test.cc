#include "common/leader_redirect.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bamctl {
namespace {

TEST(LeaderRedirectTest, TheLeaderARefusalNamesIsReadBack) {
  absl::Status refusal = NotLeaderError("10.0.0.1:7443", "10.0.0.2:7443");
  EXPECT_EQ(refusal.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(LeaderNamedIn(refusal.message()), "10.0.0.2:7443");
  // As gRPC clients see it, after a prefix of their own.
  EXPECT_EQ(LeaderNamedIn(absl::StrCat("stream: ", refusal.message())), "10.0.0.2:7443");
}

TEST(LeaderRedirectTest, NoLeaderKnownNamesNone) {
  for (const char* leader : {"", "10.0.0.1:7443"}) {
    absl::Status refusal = NotLeaderError("10.0.0.1:7443", leader);
    EXPECT_EQ(refusal.code(), absl::StatusCode::kUnavailable);
    EXPECT_THAT(refusal.message(), ::testing::HasSubstr("no leader serves yet"));
    EXPECT_EQ(LeaderNamedIn(refusal.message()), "");
  }
  EXPECT_EQ(LeaderNamedIn("connection refused"), "");
}

}  // namespace
}  // namespace bamctl
