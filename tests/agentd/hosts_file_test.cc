#include "agentd/hosts/hosts_file.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr absl::string_view kStockHosts =
    "127.0.0.1\tlocalhost\n"
    "127.0.1.1\tnode1.example.com\tnode1\n"
    "\n"
    "# The following lines are desirable for IPv6 capable hosts\n"
    "::1     localhost ip6-localhost ip6-loopback\n"
    "ff02::1 ip6-allnodes\n"
    "ff02::2 ip6-allrouters\n";

constexpr absl::string_view kBegin =
    "# BEGIN bamctl cluster bam-prod (managed by bam-agentd; edits here are overwritten)\n";
constexpr absl::string_view kEnd = "# END bamctl cluster bam-prod\n";

v1::HostEntry Entry(absl::string_view name, absl::string_view address) {
  v1::HostEntry e;
  e.set_name(std::string(name));
  e.set_address(std::string(address));
  return e;
}

std::vector<v1::HostEntry> ThreeNodes() {
  return {Entry("node1", "10.0.0.1"), Entry("node2", "10.0.0.2"), Entry("node3", "10.0.0.3")};
}

std::string Block(absl::string_view lines) { return absl::StrCat(kBegin, lines, kEnd); }

TEST(UpdateHostsBlockTest, AppendsToStockHostsKeepingEveryLine) {
  EXPECT_EQ(
      UpdateHostsBlock(kStockHosts, "bam-prod", ThreeNodes()),
      absl::StrCat(kStockHosts, Block("10.0.0.1\tnode1\n10.0.0.2\tnode2\n10.0.0.3\tnode3\n")));
}

TEST(UpdateHostsBlockTest, EmptyFileGetsJustTheBlock) {
  EXPECT_EQ(UpdateHostsBlock("", "bam-prod", {Entry("node1", "10.0.0.1")}),
            Block("10.0.0.1\tnode1\n"));
}

TEST(UpdateHostsBlockTest, LastLineWithoutNewlineGetsOne) {
  EXPECT_EQ(UpdateHostsBlock("127.0.0.1 localhost", "bam-prod", {Entry("node1", "10.0.0.1")}),
            absl::StrCat("127.0.0.1 localhost\n", Block("10.0.0.1\tnode1\n")));
}

TEST(UpdateHostsBlockTest, ReplacesExistingBlockInPlace) {
  const std::string before = absl::StrCat("127.0.0.1 localhost\n", Block("10.0.0.1\tnode1\n"),
                                          "192.168.1.5 printer # added by hand\n");
  EXPECT_EQ(UpdateHostsBlock(before, "bam-prod",
                             {Entry("node1", "10.0.0.11"), Entry("node2", "10.0.0.2")}),
            absl::StrCat("127.0.0.1 localhost\n", Block("10.0.0.11\tnode1\n10.0.0.2\tnode2\n"),
                         "192.168.1.5 printer # added by hand\n"));
}

TEST(UpdateHostsBlockTest, ReplacesBlockWhoseEndLacksNewline) {
  const std::string before = absl::StrCat("127.0.0.1 localhost\n", kBegin,
                                          "10.0.0.1\tnode1\n# END bamctl cluster bam-prod");
  EXPECT_EQ(UpdateHostsBlock(before, "bam-prod", {Entry("node1", "10.0.0.9")}),
            absl::StrCat("127.0.0.1 localhost\n", Block("10.0.0.9\tnode1\n")));
}

TEST(UpdateHostsBlockTest, UnchangedEntriesGiveIdenticalText) {
  const std::string once = UpdateHostsBlock(kStockHosts, "bam-prod", ThreeNodes());
  EXPECT_EQ(UpdateHostsBlock(once, "bam-prod", ThreeNodes()), once);
}

TEST(UpdateHostsBlockTest, EmptyEntriesRemoveTheBlockAndRestoreTheFile) {
  const std::string with = UpdateHostsBlock(kStockHosts, "bam-prod", ThreeNodes());
  EXPECT_EQ(UpdateHostsBlock(with, "bam-prod", {}), kStockHosts);
}

TEST(UpdateHostsBlockTest, EmptyEntriesWithoutBlockChangeNothing) {
  EXPECT_EQ(UpdateHostsBlock(kStockHosts, "bam-prod", {}), kStockHosts);
  EXPECT_EQ(UpdateHostsBlock("no newline", "bam-prod", {}), "no newline");
}

TEST(UpdateHostsBlockTest, OtherClustersBlocksAreUntouched) {
  const std::string other =
      "# BEGIN bamctl cluster bam-prod-2 (managed by bam-agentd; edits here are overwritten)\n"
      "10.1.0.1\tx1\n"
      "# END bamctl cluster bam-prod-2\n";
  const std::string before =
      absl::StrCat("127.0.0.1 localhost\n", other, Block("10.0.0.1\tnode1\n"), other);
  EXPECT_EQ(UpdateHostsBlock(before, "bam-prod", {Entry("node1", "10.0.0.2")}),
            absl::StrCat("127.0.0.1 localhost\n", other, Block("10.0.0.2\tnode1\n"), other));
  EXPECT_EQ(UpdateHostsBlock(before, "bam-prod", {}),
            absl::StrCat("127.0.0.1 localhost\n", other, other));
  // "bam" is a prefix of both names but owns neither block.
  EXPECT_EQ(UpdateHostsBlock(before, "bam", {}), before);
}

TEST(UpdateHostsBlockTest, DuplicateBlocksConvergeToOne) {
  const std::string before =
      absl::StrCat(Block("10.0.0.1\tnode1\n"), "10.9.9.9 other\n", Block("10.0.0.1\tnode1\n"));
  EXPECT_EQ(UpdateHostsBlock(before, "bam-prod", {Entry("node1", "10.0.0.1")}),
            absl::StrCat(Block("10.0.0.1\tnode1\n"), "10.9.9.9 other\n"));
}

TEST(UpdateHostsBlockTest, BlockWithoutEndRunsToTheEndOfTheFile) {
  const std::string damaged =
      absl::StrCat("127.0.0.1 localhost\n", kBegin, "10.0.0.1\tnode1\n10.0.0.2\tnode2");
  EXPECT_EQ(UpdateHostsBlock(damaged, "bam-prod", {Entry("node1", "10.0.0.7")}),
            absl::StrCat("127.0.0.1 localhost\n", Block("10.0.0.7\tnode1\n")));
  EXPECT_EQ(UpdateHostsBlock(damaged, "bam-prod", {}), "127.0.0.1 localhost\n");
}

TEST(UpdateHostsBlockTest, BlockWithoutEndStopsAtTheNextClustersBlock) {
  const std::string other =
      "# BEGIN bamctl cluster other (managed by bam-agentd; edits here are overwritten)\n"
      "10.1.0.1\tx1\n"
      "# END bamctl cluster other\n";
  const std::string damaged = absl::StrCat(kBegin, "10.0.0.1\tnode1\n", other);
  EXPECT_EQ(UpdateHostsBlock(damaged, "bam-prod", {Entry("node1", "10.0.0.7")}),
            absl::StrCat(Block("10.0.0.7\tnode1\n"), other));
}

class SyncHostsFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("hosts_file_test");
    path_ = (dir_ / "hosts").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(absl::string_view text, mode_t mode) {
    std::ofstream(path_, std::ios::binary) << text;
    ASSERT_EQ(chmod(path_.c_str(), mode), 0);
  }
  std::string Read() const {
    std::ifstream in(path_, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  mode_t Mode() const {
    struct stat st;
    EXPECT_EQ(stat(path_.c_str(), &st), 0);
    return st.st_mode & 07777;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(SyncHostsFileTest, WritesOnceThenIsIdempotent) {
  Write(kStockHosts, 0644);
  absl::StatusOr<bool> wrote = SyncHostsFile(path_, "bam-prod", ThreeNodes());
  ASSERT_TRUE(wrote.ok()) << wrote.status();
  EXPECT_TRUE(*wrote);
  const std::string after = Read();
  EXPECT_EQ(after, UpdateHostsBlock(kStockHosts, "bam-prod", ThreeNodes()));
  struct stat before_st;
  ASSERT_EQ(stat(path_.c_str(), &before_st), 0);

  wrote = SyncHostsFile(path_, "bam-prod", ThreeNodes());
  ASSERT_TRUE(wrote.ok()) << wrote.status();
  EXPECT_FALSE(*wrote);
  EXPECT_EQ(Read(), after);
  struct stat again_st;
  ASSERT_EQ(stat(path_.c_str(), &again_st), 0);
  EXPECT_EQ(again_st.st_ino, before_st.st_ino) << "an unchanged file must not be replaced";
}

TEST_F(SyncHostsFileTest, ReplacesChangedEntriesAndRemovesTheBlock) {
  Write(kStockHosts, 0644);
  ASSERT_TRUE(SyncHostsFile(path_, "bam-prod", ThreeNodes()).ok());
  std::vector<v1::HostEntry> changed = ThreeNodes();
  changed[1].set_address("10.0.0.22");
  absl::StatusOr<bool> wrote = SyncHostsFile(path_, "bam-prod", changed);
  ASSERT_TRUE(wrote.ok()) << wrote.status();
  EXPECT_TRUE(*wrote);
  EXPECT_THAT(Read(), HasSubstr("10.0.0.22\tnode2\n"));
  EXPECT_THAT(Read(), ::testing::Not(HasSubstr("10.0.0.2\tnode2\n")));

  wrote = SyncHostsFile(path_, "bam-prod", {});
  ASSERT_TRUE(wrote.ok()) << wrote.status();
  EXPECT_TRUE(*wrote);
  EXPECT_EQ(Read(), kStockHosts);
}

TEST_F(SyncHostsFileTest, PreservesTheFilesMode) {
  Write(kStockHosts, 0640);
  ASSERT_TRUE(SyncHostsFile(path_, "bam-prod", ThreeNodes()).ok());
  EXPECT_EQ(Mode(), 0640u);
}

TEST_F(SyncHostsFileTest, MissingFileIsCreated0644) {
  absl::StatusOr<bool> wrote = SyncHostsFile(path_, "bam-prod", ThreeNodes());
  ASSERT_TRUE(wrote.ok()) << wrote.status();
  EXPECT_TRUE(*wrote);
  EXPECT_EQ(Read(), UpdateHostsBlock("", "bam-prod", ThreeNodes()));
  EXPECT_EQ(Mode(), 0644u);
}

TEST_F(SyncHostsFileTest, MissingFileWithNoEntriesStaysMissing) {
  absl::StatusOr<bool> wrote = SyncHostsFile(path_, "bam-prod", {});
  ASSERT_TRUE(wrote.ok()) << wrote.status();
  EXPECT_FALSE(*wrote);
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(SyncHostsFileTest, WritesThroughASymlink) {
  const std::string target = (dir_ / "real-hosts").string();
  std::ofstream(target, std::ios::binary) << kStockHosts;
  fs::create_symlink(target, path_);
  ASSERT_TRUE(SyncHostsFile(path_, "bam-prod", ThreeNodes()).ok());
  EXPECT_TRUE(fs::is_symlink(path_));
  EXPECT_EQ(Read(), UpdateHostsBlock(kStockHosts, "bam-prod", ThreeNodes()));
}

TEST_F(SyncHostsFileTest, EntryThatIsNoHostsLineIsAnErrorNamingIt) {
  Write(kStockHosts, 0644);
  absl::StatusOr<bool> wrote =
      SyncHostsFile(path_, "bam-prod", {Entry("node1", "10.0.0.1"), Entry("node 2", "10.0.0.2")});
  ASSERT_FALSE(wrote.ok());
  EXPECT_THAT(wrote.status().message(), HasSubstr(path_));
  EXPECT_THAT(wrote.status().message(), HasSubstr("node 2"));
  EXPECT_EQ(Read(), kStockHosts);
}

TEST_F(SyncHostsFileTest, UnreadablePathIsAnErrorNamingIt) {
  fs::create_directory(path_);  // a directory where the file should be
  absl::StatusOr<bool> wrote = SyncHostsFile(path_, "bam-prod", ThreeNodes());
  ASSERT_FALSE(wrote.ok());
  EXPECT_THAT(wrote.status().message(), HasSubstr(path_));
}

// Where /etc/hosts is bind-mounted (a container's, `ip netns exec`'s), it
// cannot be replaced by rename (EBUSY): the file is rewritten in place,
// and what shows through the mount is the source file, updated. Runs in a
// child process with a mount namespace of its own; needs root.
TEST(SyncHostsFileMountTest, ABindMountedHostsFileIsRewrittenInPlace) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (a mount namespace and a bind mount)";
  const fs::path dir = testing::MakeTempDir("hosts_file_mount_test");
  const std::string source = (dir / "netns-hosts").string();
  const std::string target = (dir / "hosts").string();
  std::ofstream(source) << kStockHosts;
  std::ofstream(target) << "not what shows through the mount\n";
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child's verdict is its exit code: 0 wrote, 1 failed, 2 no mount.
    if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) ||
        mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      _exit(2);
    }
    absl::StatusOr<bool> wrote = SyncHostsFile(target, "bam-prod", ThreeNodes());
    if (!wrote.ok()) fprintf(stderr, "%s\n", wrote.status().ToString().c_str());
    _exit(wrote.ok() && *wrote ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 2) GTEST_SKIP() << "no mount namespace here";
  ASSERT_EQ(WEXITSTATUS(status), 0) << "SyncHostsFile failed on a bind-mounted file";
  std::ifstream in(source);
  std::ostringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), UpdateHostsBlock(kStockHosts, "bam-prod", ThreeNodes()));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace bamctl
