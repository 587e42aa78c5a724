// safefs against a real temp dir: planted symlinks are never followed,
// FIFOs, devices, hard links and oversized files are never read as secrets,
// directories others can write are refused, and owners are set on the
// descriptor. Owner checks use the real user "nobody" when the test is root.
#include "agentd/hostfs/safe_fs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/test_util.h"

namespace bamctl::safefs {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class SafeFsTest : public ::testing::Test {
 protected:
  SafeFsTest() : dir_(fs::canonical(testing::MakeTempDir("safe_fs_"))) {
    // A root-only file the attacks aim at.
    victim_ = (dir_ / "victim").string();
    std::ofstream(victim_) << "root secret\n";
    chmod(victim_.c_str(), 0600);
  }
  ~SafeFsTest() override { fs::remove_all(dir_); }

  static std::string Slurp(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  static struct stat LStat(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
    return st;
  }
  std::string Path(const std::string& relative) const { return (dir_ / relative).string(); }

  fs::path dir_;
  std::string victim_;
};

TEST_F(SafeFsTest, PathsMustBeAbsoluteAndNormalized) {
  EXPECT_TRUE(CheckPath("/opt/bam/conf").ok());
  EXPECT_TRUE(CheckPath("/").ok());
  for (const char* bad :
       {"", "opt/bam", "/opt/../etc", "/opt/./bam", "/opt//bam", "/opt/bam/", "/opt/bam/.."}) {
    absl::Status s = CheckPath(bad);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << bad;
  }
  // Nothing is written outside through "..".
  absl::Status s = WriteFile(Path("opt/../escaped"), "x", 0644, std::nullopt);
  EXPECT_THAT(std::string(s.message()), HasSubstr("not normalized"));
  EXPECT_FALSE(fs::exists(dir_ / "escaped"));
  EXPECT_FALSE(fs::exists(dir_ / "opt"));
}

TEST_F(SafeFsTest, WritesAndReadsBackARegularFile) {
  ASSERT_TRUE(WriteFile(Path("opt/bam/conf/a.xml"), "<a/>", 0640, std::nullopt).ok());
  EXPECT_EQ(Slurp(Path("opt/bam/conf/a.xml")), "<a/>");
  EXPECT_EQ(LStat(Path("opt/bam/conf/a.xml")).st_mode & 07777, 0640u);
  absl::StatusOr<std::optional<std::string>> read = ReadFile(Path("opt/bam/conf/a.xml"), 100);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->value_or(""), "<a/>");
  read = ReadFile(Path("opt/bam/conf/missing.xml"), 100);
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->has_value());
  read = ReadFile(Path("nowhere/at/all"), 100);
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->has_value());
}

TEST_F(SafeFsTest, ASymlinkedConfigFileIsNeverReadAndIsReplacedNotFollowed) {
  fs::create_directories(dir_ / "conf");
  fs::create_symlink(victim_, dir_ / "conf/hadoop-env.sh");
  absl::StatusOr<std::optional<std::string>> read =
      ReadFile(Path("conf/hadoop-env.sh"), kMaxConfigBytes);
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(std::string(read.status().message()), HasSubstr("symbolic link"));
  ASSERT_TRUE(WriteFile(Path("conf/hadoop-env.sh"), "export X=1\n", 0644, std::nullopt).ok());
  EXPECT_FALSE(fs::is_symlink(dir_ / "conf/hadoop-env.sh"));
  EXPECT_EQ(Slurp(victim_), "root secret\n");
  EXPECT_EQ(LStat(victim_).st_mode & 07777, 0600u);
}

TEST_F(SafeFsTest, NothingIsWrittenThroughASymlinkedDirectory) {
  fs::create_directories(dir_ / "real");
  fs::create_directories(dir_ / "opt");
  fs::create_directory_symlink(dir_ / "real", dir_ / "opt/conf");
  absl::Status s = WriteFile(Path("opt/conf/a.xml"), "x", 0644, std::nullopt);
  EXPECT_TRUE(absl::IsPermissionDenied(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("opt/conf is a symbolic link"));
  EXPECT_TRUE(fs::is_empty(dir_ / "real"));
  EXPECT_FALSE(MakeDirs(Path("opt/conf/data"), 0700, std::nullopt).ok());
  EXPECT_TRUE(fs::is_empty(dir_ / "real"));
  EXPECT_FALSE(ReadFile(Path("opt/conf/a.xml"), 100).ok());
}

TEST_F(SafeFsTest, ChmodAndChownNeverFollowALinkOrTouchAHardLinkedFile) {
  fs::create_directories(dir_ / "data");
  const mode_t data_mode = LStat(Path("data")).st_mode;
  fs::create_directory_symlink(dir_ / "data", dir_ / "zkdata");
  fs::create_symlink(victim_, dir_ / "link");
  EXPECT_FALSE(Chmod(Path("zkdata"), 0777).ok());
  EXPECT_FALSE(Chmod(Path("link"), 0644).ok());
  fs::create_hard_link(victim_, dir_ / "hard");
  absl::Status s = Chmod(Path("hard"), 0644);
  EXPECT_THAT(std::string(s.message()), HasSubstr("hard links"));
  EXPECT_EQ(LStat(victim_).st_mode & 07777, 0600u);
  EXPECT_EQ(LStat(Path("data")).st_mode, data_mode);
  EXPECT_FALSE(Chown(Path("zkdata"), Owner{65534, 65534}).ok());
  EXPECT_EQ(LStat(Path("data")).st_uid, geteuid());
  EXPECT_EQ(LStat(victim_).st_uid, geteuid());
}

TEST_F(SafeFsTest, SecretsAreSmallRegularFilesOnly) {
  std::ofstream(Path("pw")) << "s3cret\n";
  absl::StatusOr<std::string> secret = ReadSecret(Path("pw"));
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(*secret, "s3cret\n");

  ASSERT_EQ(mkfifo(Path("fifo").c_str(), 0600), 0);
  secret = ReadSecret(Path("fifo"));  // would block forever without O_NONBLOCK
  EXPECT_THAT(std::string(secret.status().message()), HasSubstr("not a regular file"));

  secret = ReadSecret("/dev/zero");
  EXPECT_THAT(std::string(secret.status().message()), HasSubstr("not a regular file"));

  std::ofstream(Path("big")) << std::string(kMaxSecretBytes + 1, 'x');
  secret = ReadSecret(Path("big"));
  EXPECT_THAT(std::string(secret.status().message()), HasSubstr("more than the 65536"));

  fs::create_symlink(victim_, dir_ / "pw-link");
  secret = ReadSecret(Path("pw-link"));
  EXPECT_THAT(std::string(secret.status().message()), HasSubstr("symbolic link"));

  fs::create_hard_link(victim_, dir_ / "pw-hard");
  secret = ReadSecret(Path("pw-hard"));
  EXPECT_THAT(std::string(secret.status().message()), HasSubstr("hard links"));

  secret = ReadSecret(Path("none"));
  EXPECT_TRUE(absl::IsNotFound(secret.status()));
  EXPECT_THAT(std::string(secret.status().message()), HasSubstr("none does not exist"));
  secret = ReadSecret(Path("a/../pw"));
  EXPECT_TRUE(absl::IsInvalidArgument(secret.status()));
}

TEST_F(SafeFsTest, AWorldWritableDirectoryOnTheWayIsRefused) {
  fs::create_directories(dir_ / "open");
  chmod(Path("open").c_str(), 0777);
  absl::Status s = WriteFile(Path("open/conf/a.xml"), "x", 0644, std::nullopt);
  EXPECT_THAT(std::string(s.message()), HasSubstr("writable by everyone"));
  EXPECT_TRUE(fs::is_empty(dir_ / "open"));
  chmod(Path("open").c_str(), 01777);  // sticky, like /tmp: others cannot swap our entries
  EXPECT_TRUE(WriteFile(Path("open/conf/a.xml"), "x", 0644, std::nullopt).ok());
}

// As root, with the real user "nobody" as the role's user.
class SafeFsAsRootTest : public SafeFsTest {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "handing files to another user needs root";
    std::optional<Owner> nobody = LookUpOwner("nobody");
    if (!nobody) GTEST_SKIP() << "no user nobody";
    role_ = *nobody;
  }
  Owner role_;
};

TEST_F(SafeFsAsRootTest, FilesAndDirectoriesMadeAreHandedOnTheDescriptor) {
  ASSERT_TRUE(MakeDirs(Path("srv/zk/data"), 0700, role_).ok());
  struct stat st = LStat(Path("srv/zk/data"));
  EXPECT_EQ(st.st_uid, role_.uid);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(LStat(Path("srv/zk")).st_uid, 0u);  // parents stay root's
  ASSERT_TRUE(WriteFile(Path("srv/zk/data/pw"), "pw", 0600, role_).ok());
  st = LStat(Path("srv/zk/data/pw"));
  EXPECT_EQ(st.st_uid, role_.uid);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  // An existing directory is left as it is (never chowned by MakeDirs).
  fs::create_directories(dir_ / "etc");
  ASSERT_TRUE(MakeDirs(Path("etc"), 0700, role_).ok());
  EXPECT_EQ(LStat(Path("etc")).st_uid, 0u);
}

TEST_F(SafeFsAsRootTest, ADirectoryAnotherUserOwnsIsRefused) {
  fs::create_directories(dir_ / "opt/bam");
  ASSERT_EQ(chown(Path("opt/bam").c_str(), role_.uid, role_.gid), 0);
  // The role's own user may own it ...
  EXPECT_TRUE(WriteFile(Path("opt/bam/a.xml"), "x", 0644, role_).ok());
  // ... but not another role's: that user could swap what root writes.
  const Owner other{role_.uid + 1, role_.gid + 1};
  absl::Status s = WriteFile(Path("opt/bam/b.xml"), "x", 0644, other);
  EXPECT_THAT(std::string(s.message()), HasSubstr("is owned by uid"));
  EXPECT_FALSE(fs::exists(dir_ / "opt/bam/b.xml"));
  s = MakeDirs(Path("opt/bam/data"), 0700, other);
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(fs::exists(dir_ / "opt/bam/data"));
}

TEST_F(SafeFsAsRootTest, ASymlinkedDataDirIsNeverChowned) {
  fs::create_directories(dir_ / "rootdir");
  fs::create_directories(dir_ / "srv");
  fs::create_directory_symlink(dir_ / "rootdir", dir_ / "srv/zkdata");
  EXPECT_FALSE(Chown(Path("srv/zkdata"), role_).ok());
  EXPECT_FALSE(MakeDirs(Path("srv/zkdata"), 0700, role_).ok());
  EXPECT_EQ(LStat(Path("rootdir")).st_uid, 0u);
}

}  // namespace
}  // namespace bamctl::safefs
