// The host policy: a plan's paths must lie below the allowed roots, be
// normalized, its users must be allowed and never uid 0, and the hosts file
// only when the host allows it. Errors name service, field and value.
#include "agentd/reconciler/host_policy.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bamctl {
namespace {

using ::testing::HasSubstr;

class HostPolicyTest : public ::testing::Test {
 protected:
  HostPolicyTest() {
    policy_.allowed_paths = {"/r/opt", "/r/srv"};
    ServicePlan zk;
    zk.name = "zookeeper";
    zk.files = {{"/r/opt/zk/conf/zoo.cfg", "x", 0644, "zookeeper", false}};
    zk.directories = {{"/r/srv/zk/data", "zookeeper", 0700}};
    zk.remove_paths = {"/r/opt/zk/conf/*.tmp"};
    zk.process.user = "zookeeper";
    services_ = {zk};
  }
  std::string Check(bool hosts = false) const {
    auto uid_of = [](const std::string& user) -> std::optional<uid_t> {
      if (user == "root" || user == "toor") return 0;
      return 1000;
    };
    absl::Status s = CheckHostPolicy(policy_, hosts, services_, uid_of);
    return s.ok() ? "ok" : std::string(s.message());
  }

  HostPolicy policy_;
  std::vector<ServicePlan> services_;
};

TEST_F(HostPolicyTest, APlanWithinThePolicyPasses) { EXPECT_EQ(Check(), "ok"); }

TEST_F(HostPolicyTest, ADataDirOutsideTheAllowedPathsIsRefused) {
  services_[0].directories[0].path = "/r/etc";
  EXPECT_THAT(Check(), HasSubstr("zookeeper directory \"/r/etc\" is outside the host policy's "
                                 "allowed_paths (/r/opt, /r/srv)"));
  services_[0].directories[0].path = "/r/opt";  // the root itself is not below it
  EXPECT_THAT(Check(), HasSubstr("outside"));
  services_[0].directories[0].path = "/r/optional";  // a prefix, not a parent
  EXPECT_THAT(Check(), HasSubstr("outside"));
}

TEST_F(HostPolicyTest, DotDotPathsAreRefused) {
  services_[0].files[0].path = "/r/opt/zk/../../../etc/passwd";
  EXPECT_THAT(Check(), HasSubstr("zookeeper file: path"));
  EXPECT_THAT(Check(), HasSubstr("not normalized"));
  services_[0].files[0].path = "/r/opt/zk/conf/zoo.cfg";
  services_[0].remove_paths = {"/r/opt/../*"};
  EXPECT_THAT(Check(), HasSubstr("remove_paths"));
}

TEST_F(HostPolicyTest, RootIsNeverARoleUser) {
  services_[0].process.user = "toor";  // uid 0 under another name
  EXPECT_THAT(Check(), HasSubstr("process user \"toor\" is uid 0"));
  services_[0].process.user = "zookeeper";
  services_[0].files[0].owner = "root";
  EXPECT_THAT(Check(), HasSubstr("file owner \"root\""));
  policy_.allow_root_roles = true;
  EXPECT_EQ(Check(), "ok");
}

TEST_F(HostPolicyTest, AProcessNeverRunsAsTheAgentsOwnUser) {
  services_[0].process.user = "";
  EXPECT_THAT(Check(), HasSubstr("zookeeper process user \"\" is empty: roles never run as root"));
  services_[0].process.user = "zookeeper";
  services_[0].init_steps = {{"myid", {"/bin/true"}, "", "", {}}};
  EXPECT_THAT(Check(), HasSubstr("init step myid user \"\" is empty"));
  services_[0].init_steps[0].user = "zookeeper";
  services_[0].files[0].owner = "";  // the agent's own file: allowed
  EXPECT_EQ(Check(), "ok");
}

TEST_F(HostPolicyTest, AUserNameIsHeldToTheSpecsRule) {
  // getpwnam stops at the NUL: this would be root.
  services_[0].process.user = std::string("root\0x", 6);
  EXPECT_THAT(Check(), HasSubstr("process user \"root\\x00x\" contains \"\\x00\""));
  services_[0].process.user = "zoo keeper";
  EXPECT_THAT(Check(), HasSubstr("contains \" \""));
  services_[0].process.user = "0";
  EXPECT_THAT(Check(), HasSubstr("is uid 0 (root)"));
}

TEST_F(HostPolicyTest, OnlyTheListedRoleUsersWhenThereIsAList) {
  policy_.role_users = {"hadoop"};
  EXPECT_THAT(Check(), HasSubstr("\"zookeeper\" is not one of the host policy's role_users "
                                 "(hadoop)"));
  policy_.role_users = {"zookeeper"};
  EXPECT_EQ(Check(), "ok");
}

TEST_F(HostPolicyTest, TheHostsFileOnlyWhenTheHostAllows) {
  EXPECT_EQ(Check(true), "ok");
  policy_.hosts_file = false;
  EXPECT_THAT(Check(true), HasSubstr("forbids it"));
  EXPECT_EQ(Check(false), "ok");
}

}  // namespace
}  // namespace bamctl
