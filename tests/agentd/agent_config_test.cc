#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "agentd/agent/config_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/test_util.h"

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

class ReadAgentConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("agent_config");
    chmod(dir_.c_str(), 0755);
    path_ = (dir_ / "agentd.conf").string();
    std::ofstream(path_) << "node = node1\n";
    chmod(path_.c_str(), 0644);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Error() {
    absl::StatusOr<std::optional<std::string>> text = ReadAgentConfig(path_);
    return text.ok() ? "read" : std::string(text.status().message());
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(ReadAgentConfigTest, ReadsAFileOnlyItsOwnerMayWrite) {
  absl::StatusOr<std::optional<std::string>> text = ReadAgentConfig(path_);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->value_or(""), "node = node1\n");
  text = ReadAgentConfig((dir_ / "absent.conf").string());
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_FALSE(text->has_value());
}

TEST_F(ReadAgentConfigTest, DevNullIsNoSettings) {
  absl::StatusOr<std::optional<std::string>> text = ReadAgentConfig("/dev/null");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->value_or("absent"), "");
}

TEST_F(ReadAgentConfigTest, RefusesAFileOthersMayWrite) {
  chmod(path_.c_str(), 0664);
  EXPECT_EQ(Error(), path_ +
                         ": the agent's settings file is writable by group or others (mode "
                         "0664); chmod go-w it");
}

TEST_F(ReadAgentConfigTest, RefusesADirectoryOthersMayWrite) {
  chmod(dir_.c_str(), 0777);
  EXPECT_EQ(Error(), dir_.string() +
                         ": the agent's settings file's directory is writable by group or others "
                         "(mode 0777); chmod go-w it");
}

TEST_F(ReadAgentConfigTest, RefusesAFileOfAnotherUser) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give the file away";
  ASSERT_EQ(chown(path_.c_str(), 65534, 65534), 0);
  EXPECT_THAT(Error(), HasSubstr("is owned by uid 65534; it must be owned by root"));
}

TEST_F(ReadAgentConfigTest, RefusesAFifoWithoutWaitingForAWriter) {
  std::filesystem::remove(path_);
  ASSERT_EQ(mkfifo(path_.c_str(), 0600), 0);
  EXPECT_EQ(Error(), path_ + ": the agent's settings file must be a regular file");
}

}  // namespace
}  // namespace bamctl
