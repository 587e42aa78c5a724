#include <string>
#include <vector>

#include "agentd/agent/config_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bamctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::vector<std::string> kNames = {"node", "controller", "state_dir"};

bool IsFlag(absl::string_view name) {
  for (const std::string& n : kNames) {
    if (n == name) return true;
  }
  return false;
}

TEST(AgentConfigTest, SettingsBecomeFlagsInFileOrder) {
  absl::StatusOr<std::vector<std::string>> args = ParseAgentConfig(
      "# the node\nnode = node1\n\n  --controller=10.0.0.1:7443  \nstate_dir= /var/lib/x\n",
      "agentd.conf", IsFlag, kNames);
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_THAT(*args,
              ElementsAre("--node=node1", "--controller=10.0.0.1:7443", "--state_dir=/var/lib/x"));
}

TEST(AgentConfigTest, UnknownSettingNamesFileLineAndTheValidOnes) {
  absl::StatusOr<std::vector<std::string>> args =
      ParseAgentConfig("node = a\nnod = b\n", "/etc/bam-agent/agentd.conf", IsFlag, kNames);
  ASSERT_FALSE(args.ok());
  EXPECT_THAT(std::string(args.status().message()),
              HasSubstr("/etc/bam-agent/agentd.conf:2: unknown setting \"nod\"; valid settings: "
                        "node, controller, state_dir"));
}

TEST(AgentConfigTest, ALineWithoutEqualsIsAnError) {
  absl::StatusOr<std::vector<std::string>> args =
      ParseAgentConfig("node node1\n", "agentd.conf", IsFlag, kNames);
  ASSERT_FALSE(args.ok());
  EXPECT_THAT(std::string(args.status().message()),
              HasSubstr("agentd.conf:1: expected `name = value`"));
}

}  // namespace
}  // namespace bamctl
