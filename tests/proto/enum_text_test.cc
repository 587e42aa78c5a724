#include "proto/enum_text.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/controller.pb.h"
#include "proto/status.pb.h"

namespace bamctl {
namespace {

using ::testing::ElementsAre;

TEST(EnumTextTest, DropsTheEnumsPrefixAndUsesDashes) {
  EXPECT_EQ(EnumText(v1::PHASE_CRASH_LOOP), "crash-loop");
  EXPECT_EQ(EnumText(v1::PHASE_RUNNING), "running");
  EXPECT_EQ(EnumText(v1::HEALTH_UNKNOWN), "unknown");
  EXPECT_EQ(EnumText(v1::OPERATION_STATE_SUCCEEDED), "succeeded");
  EXPECT_EQ(EnumText(v1::OPERATION_KIND_AUTO_ROLLOUT), "auto-rollout");
  EXPECT_EQ(EnumText(v1::STEP_STATE_RESTARTING), "restarting");
  EXPECT_EQ(EnumText(v1::SEVERITY_ERROR), "error");
}

TEST(EnumTextTest, ANumberThisBuildDoesNotKnowIsSaidSo) {
  EXPECT_EQ(EnumText(static_cast<v1::Phase>(99)), "unknown-99");
}

TEST(EnumTextTest, ParsesTheTextBack) {
  for (v1::Phase phase : EnumValues<v1::Phase>()) {
    EXPECT_EQ(EnumFromText<v1::Phase>(EnumText(phase)), phase);
  }
  EXPECT_EQ(EnumFromText<v1::OperationAction>("pause"), v1::OPERATION_ACTION_PAUSE);
  EXPECT_EQ(EnumFromText<v1::OperationAction>("PAUSE"), std::nullopt);
  EXPECT_EQ(EnumFromText<v1::OperationAction>("OPERATION_ACTION_PAUSE"), std::nullopt);
  EXPECT_EQ(EnumFromText<v1::OperationAction>(""), std::nullopt);
}

TEST(EnumTextTest, ValuesSkipUnspecifiedButKeepAMeaningfulZero) {
  EXPECT_THAT(EnumValues<v1::OperationAction>(),
              ElementsAre(v1::OPERATION_ACTION_PAUSE, v1::OPERATION_ACTION_RESUME,
                          v1::OPERATION_ACTION_ABORT));
  EXPECT_THAT(EnumValues<v1::Health>(),
              ElementsAre(v1::HEALTH_UNKNOWN, v1::HEALTH_HEALTHY, v1::HEALTH_UNHEALTHY));
  EXPECT_EQ(EnumTexts<v1::CommandKind>(", "), "restart, preflight, peer-view");
  EXPECT_EQ(EnumValues<v1::Phase>().size(), 11u);
}

}  // namespace
}  // namespace bamctl
