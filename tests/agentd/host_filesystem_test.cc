// The real host filesystem under file sync, against a temp root: the
// attacks of issue 13 are refused and nothing outside the plan's roots is
// created, changed or chowned.
#include "agentd/hostfs/host_filesystem.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "agentd/hostfs/secret_files.h"
#include "agentd/reconciler/file_sync.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class HostFilesystemTest : public ::testing::Test {
 protected:
  HostFilesystemTest()
      : root_(fs::canonical(testing::MakeTempDir("host_fs_")).string()),
        fs_(DefaultOwnedRoots(root_)) {
    fs::create_directories(root_ + "/etc");
    std::ofstream(root_ + "/etc/shadow") << "root:x\n";
    chmod((root_ + "/etc/shadow").c_str(), 0600);
    plan_.name = "zookeeper";
    // "nobody" is a real user; as root the files are handed to it.
    plan_.files = {{root_ + "/opt/zk/conf/zoo.cfg", "tickTime=2000\n", 0644, "nobody", false}};
    plan_.directories = {{root_ + "/srv/zk/data", "nobody", 0700}};
  }
  ~HostFilesystemTest() override { fs::remove_all(root_); }

  uid_t OwnerOf(const std::string& path) const {
    struct stat st {};
    EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
    return st.st_uid;
  }

  std::string root_;
  RealHostFilesystem fs_;
  std::vector<std::string> notices_;
  FileSync sync_{&fs_, [this](std::string n) { notices_.push_back(std::move(n)); }};
  ServicePlan plan_;
};

TEST_F(HostFilesystemTest, APlanIsWrittenAndHandedToItsUser) {
  sync_.SyncDirectoriesAndRemovals(plan_);
  ASSERT_TRUE(sync_.SyncFiles({plan_}).ok());
  EXPECT_THAT(notices_, IsEmpty());
  EXPECT_TRUE(fs::is_directory(root_ + "/srv/zk/data"));
  EXPECT_TRUE(fs::is_regular_file(root_ + "/opt/zk/conf/zoo.cfg"));
  if (geteuid() == 0) {
    EXPECT_EQ(OwnerOf(root_ + "/srv/zk/data"), 65534u);
    EXPECT_EQ(OwnerOf(root_ + "/opt/zk/conf/zoo.cfg"), 65534u);
  }
}

TEST_F(HostFilesystemTest, AnExistingSystemDirectoryIsNeverHandedToTheRole) {
  if (geteuid() != 0) GTEST_SKIP() << "chown needs root";
  plan_.directories = {{root_ + "/etc", "nobody", 0700}};  // zookeeper.data_dir: /etc
  sync_.SyncDirectoriesAndRemovals(plan_);
  EXPECT_EQ(OwnerOf(root_ + "/etc"), 0u);
  ASSERT_EQ(notices_.size(), 1u);
  EXPECT_THAT(notices_[0], HasSubstr("refused to chown " + root_ + "/etc"));
}

TEST_F(HostFilesystemTest, ASymlinkedConfigFileIsRefusedAndItsTargetUntouched) {
  fs::create_directories(root_ + "/opt/zk/conf");
  fs::create_symlink(root_ + "/etc/shadow", root_ + "/opt/zk/conf/zoo.cfg");
  absl::Status s = sync_.SyncFiles({plan_});
  EXPECT_THAT(std::string(s.message()), HasSubstr("symbolic link"));
  std::ifstream in(root_ + "/etc/shadow");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "root:x\n");
  EXPECT_EQ(OwnerOf(root_ + "/etc/shadow"), geteuid());
  struct stat st {};
  ASSERT_EQ(stat((root_ + "/etc/shadow").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(HostFilesystemTest, ASymlinkedDataDirIsNotChowned) {
  fs::create_directories(root_ + "/srv/zk");
  fs::create_directory_symlink(root_ + "/etc", root_ + "/srv/zk/data");
  sync_.SyncDirectoriesAndRemovals(plan_);
  EXPECT_EQ(OwnerOf(root_ + "/etc"), geteuid());
  EXPECT_TRUE(fs::is_symlink(root_ + "/srv/zk/data"));
  EXPECT_FALSE(notices_.empty());
}

TEST_F(HostFilesystemTest, NothingIsWrittenOutsideTheRootsOrThroughDotDot) {
  plan_.files = {{root_ + "/opt/zk/../../etc/passwd", "x\n", 0644, "nobody", false}};
  absl::Status s = sync_.SyncFiles({plan_});
  EXPECT_THAT(std::string(s.message()), HasSubstr("not normalized"));
  plan_.files = {{root_ + "/etc/passwd", "x\n", 0644, "nobody", false}};
  s = sync_.SyncFiles({plan_});
  EXPECT_THAT(std::string(s.message()), HasSubstr("plans own only paths below"));
  EXPECT_FALSE(fs::exists(root_ + "/etc/passwd"));
  EXPECT_FALSE(fs::exists(root_ + "/opt"));
}

TEST_F(HostFilesystemTest, SecretsAreReadUnderTheRootAndCapped) {
  SafeSecretSource secrets(root_);
  fs::create_directories(root_ + "/etc/bam");
  std::ofstream(root_ + "/etc/bam/pw") << "s3cret\n";
  absl::StatusOr<std::string> pw = secrets.Read("/etc/bam/pw");
  ASSERT_TRUE(pw.ok()) << pw.status();
  EXPECT_EQ(*pw, "s3cret");
  ASSERT_EQ(mkfifo((root_ + "/etc/bam/fifo").c_str(), 0600), 0);
  EXPECT_FALSE(secrets.Read("/etc/bam/fifo").ok());
  EXPECT_FALSE(secrets.Read("/../etc/bam/pw").ok());
  SafeSecretSource host("");
  pw = host.Read("/dev/zero");
  EXPECT_THAT(std::string(pw.status().message()), HasSubstr("not a regular file"));
}

}  // namespace
}  // namespace bamctl
