// File sync through an in-memory filesystem: only what differs is written,
// a hand edit is restored and noticed, modes and owners are kept, removals
// happen, and a write that fails names its path.
#include "agentd/reconciler/file_sync.h"

#include <string>
#include <vector>

#include "agentd/testing/agent_fakes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bamctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class FileSyncTest : public ::testing::Test {
 protected:
  FileSyncTest() {
    plan_.name = "namenode";
    plan_.files = {{"/opt/hadoop/conf/core-site.xml", "<configuration/>\n", 0644, "hadoop", false},
                   {"/opt/hadoop/conf/secret.cnf", "password=pw\n", 0600, "hadoop", true}};
    plan_.directories = {{"/srv/hadoop/name", "hadoop", 0700}};
    plan_.remove_paths = {"/opt/hadoop/conf/*.tmp"};
  }

  testing::MemoryFilesystem fs_;
  std::vector<std::string> notices_;
  FileSync sync_{&fs_, [this](std::string n) { notices_.push_back(std::move(n)); }};
  ServicePlan plan_;
};

TEST_F(FileSyncTest, WritesOnlyWhatDiffers) {
  ASSERT_TRUE(sync_.SyncFiles({plan_}).ok());
  EXPECT_EQ(fs_.writes.size(), 2u);
  EXPECT_EQ(fs_.files["/opt/hadoop/conf/secret.cnf"].mode, 0600u);
  EXPECT_EQ(fs_.files["/opt/hadoop/conf/core-site.xml"].owner, "hadoop");
  ASSERT_TRUE(sync_.SyncFiles({plan_}).ok());
  EXPECT_EQ(fs_.writes.size(), 2u);  // nothing differed
  EXPECT_THAT(notices_, IsEmpty());
}

TEST_F(FileSyncTest, AHandEditIsRestoredAndNoticed) {
  ASSERT_TRUE(sync_.SyncFiles({plan_}).ok());
  fs_.files["/opt/hadoop/conf/core-site.xml"].content = "<configuration>edited</configuration>\n";
  ASSERT_TRUE(sync_.SyncFiles({plan_}).ok());
  EXPECT_EQ(fs_.files["/opt/hadoop/conf/core-site.xml"].content, "<configuration/>\n");
  EXPECT_THAT(notices_, ElementsAre("restored /opt/hadoop/conf/core-site.xml: it was edited by "
                                    "hand"));
}

TEST_F(FileSyncTest, AFileThatWasThereBeforeIsReplacedWithoutANotice) {
  fs_.files["/opt/hadoop/conf/core-site.xml"] = {"stock\n", 0644, "root"};
  ASSERT_TRUE(sync_.SyncFiles({plan_}).ok());
  EXPECT_EQ(fs_.files["/opt/hadoop/conf/core-site.xml"].content, "<configuration/>\n");
  EXPECT_THAT(notices_, IsEmpty());  // not ours before: patched, not restored
}

TEST_F(FileSyncTest, ASecretsModeIsRestoredEvenWhenItsContentIsRight) {
  ASSERT_TRUE(sync_.SyncFiles({plan_}).ok());
  fs_.files["/opt/hadoop/conf/secret.cnf"].mode = 0644;
  ASSERT_TRUE(sync_.SyncFiles({plan_}).ok());
  EXPECT_EQ(fs_.files["/opt/hadoop/conf/secret.cnf"].mode, 0600u);
  EXPECT_EQ(fs_.writes.size(), 2u);  // the mode, not the content
}

TEST_F(FileSyncTest, AWriteThatFailsNamesThePath) {
  fs_.unwritable.insert("/opt/hadoop/conf/secret.cnf");
  absl::Status s = sync_.SyncFiles({plan_});
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("/opt/hadoop/conf/secret.cnf"));
}

TEST_F(FileSyncTest, DirectoriesAreMadeAndHandedToTheirOwner) {
  sync_.SyncDirectoriesAndRemovals(plan_);
  ASSERT_TRUE(fs_.Stat("/srv/hadoop/name").has_value());
  EXPECT_TRUE(fs_.Stat("/srv/hadoop/name")->is_dir);
  EXPECT_EQ(fs_.dirs["/srv/hadoop/name"].mode, 0700u);
  EXPECT_EQ(fs_.dirs["/srv/hadoop/name"].owner, "hadoop");
  // Chowned back by hand: the role's user must own what it writes into.
  fs_.dirs["/srv/hadoop/name"].owner = "root";
  sync_.SyncDirectoriesAndRemovals(plan_);
  EXPECT_EQ(fs_.dirs["/srv/hadoop/name"].owner, "hadoop");
}

TEST_F(FileSyncTest, AnUnknownOwnerIsAWarningNotAStop) {
  plan_.directories.push_back({"/srv/other", "nobody-here", 0755});
  sync_.SyncDirectoriesAndRemovals(plan_);
  EXPECT_TRUE(fs_.Stat("/srv/hadoop/name").has_value());
  EXPECT_TRUE(fs_.Stat("/srv/other").has_value());
}

TEST_F(FileSyncTest, PathsThePlanForbidsAreRemoved) {
  fs_.files["/opt/hadoop/conf/a.tmp"] = {"x", 0644, ""};
  fs_.files["/opt/hadoop/conf/keep.xml"] = {"x", 0644, ""};
  sync_.SyncDirectoriesAndRemovals(plan_);
  EXPECT_EQ(fs_.files.count("/opt/hadoop/conf/a.tmp"), 0u);
  EXPECT_EQ(fs_.files.count("/opt/hadoop/conf/keep.xml"), 1u);
}

}  // namespace
}  // namespace bamctl
