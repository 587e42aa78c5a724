#include "bamctl/output.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/controller.pb.h"

namespace bamctl {
namespace {

TEST(ToJsonTest, WritesInt64AsNumbersEnumsAsTextAndKeepsFieldOrder) {
  v1::RolloutStep step;
  step.set_index(2);
  step.set_state(v1::STEP_STATE_RESTARTING);
  step.set_started_ms(1700000000123);
  step.add_nodes("node3");
  step.set_message("say \"hi\"\n");
  (*step.mutable_old_pids())["node3"] = 4242;
  step.set_elapsed_ms(5'000'000'000);  // past 32 bits, still a number

  EXPECT_EQ(ToJson(step),
            "{\n"
            "  \"index\": 2,\n"
            "  \"nodes\": [\n"
            "    \"node3\"\n"
            "  ],\n"
            "  \"state\": \"restarting\",\n"
            "  \"started_ms\": 1700000000123,\n"
            "  \"finished_ms\": 0,\n"
            "  \"message\": \"say \\\"hi\\\"\\n\",\n"
            "  \"command_ids\": [],\n"
            "  \"old_pids\": {\n"
            "    \"node3\": 4242\n"
            "  },\n"
            "  \"elapsed_ms\": 5000000000,\n"
            "  \"service\": \"\",\n"
            "  \"role\": \"\"\n"
            "}\n");
}

TEST(ToJsonTest, LeavesOutUnsetOptionalAndMessageFields) {
  v1::ApplyRequest request;
  EXPECT_THAT(ToJson(request), ::testing::Not(::testing::HasSubstr("expected_version")));
  request.set_expected_version(0);
  EXPECT_THAT(ToJson(request), ::testing::HasSubstr("\"expected_version\": 0"));
}

}  // namespace
}  // namespace bamctl
