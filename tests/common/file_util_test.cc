#include "common/file_util.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;

class FileUtilTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("file_util_test"); }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(FileUtilTest, WritesWithModeCreatingParents) {
  const fs::path path = dir_ / "a/b/secret.xml";
  ASSERT_TRUE(WriteFileAtomically(path.string(), "pw=1\n", 0600).ok());
  EXPECT_EQ(Slurp(path), "pw=1\n");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(FileUtilTest, EnsureFileModeCreatesNarrowsAndNeverFollowsALink) {
  auto mode = [](const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(lstat(p.c_str(), &st), 0);
    return st.st_mode & 0777;
  };
  const fs::path fresh = dir_ / "fresh.db";
  ASSERT_TRUE(EnsureFileMode(fresh.string(), 0600).ok());
  EXPECT_EQ(mode(fresh), 0600u);
  EXPECT_EQ(fs::file_size(fresh), 0u);

  const fs::path loose = dir_ / "loose.db";
  std::ofstream(loose) << "kept";
  fs::permissions(loose, fs::perms(0644));
  ASSERT_TRUE(EnsureFileMode(loose.string(), 0600).ok());
  EXPECT_EQ(mode(loose), 0600u);
  EXPECT_EQ(Slurp(loose), "kept");

  const fs::path link = dir_ / "link.db";
  fs::create_symlink(loose, link);
  absl::Status s = EnsureFileMode(link.string(), 0600);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("symlink"), std::string::npos) << s;
}

TEST_F(FileUtilTest, ReplacesAndLeavesNoTempFiles) {
  const fs::path path = dir_ / "f";
  ASSERT_TRUE(WriteFileAtomically(path.string(), "old", 0644).ok());
  ASSERT_TRUE(WriteFileAtomically(path.string(), "new", 0640).ok());
  EXPECT_EQ(Slurp(path), "new");
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, fs::perms(0640));
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST_F(FileUtilTest, FailsClearlyWhenAParentIsAFile) {
  std::ofstream(dir_ / "plain") << "x";
  absl::Status s = WriteFileAtomically((dir_ / "plain/child").string(), "y", 0644);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("plain"), absl::string_view::npos) << s;
}

TEST_F(FileUtilTest, ReadFileIfExists) {
  auto missing = ReadFileIfExists((dir_ / "none").string());
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  std::ofstream(dir_ / "present") << "data";
  auto present = ReadFileIfExists((dir_ / "present").string());
  ASSERT_TRUE(present.ok());
  EXPECT_EQ(**present, "data");
  EXPECT_FALSE(ReadFileIfExists(dir_.string()).ok());  // a directory
}

}  // namespace
}  // namespace bamctl
