#include "agentd/state/state_file.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class StateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("state_file_test");
    path_ = (dir_ / "agent/state").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  static v1::AgentState Sample() {
    v1::AgentState s;
    s.set_plan_version(7);
    s.set_plan_hash("abc");
    s.mutable_plan()->set_node("node3");
    v1::ServiceState* zk = s.add_services();
    zk->set_name("zookeeper");
    zk->set_pid(4242);
    zk->set_start_ticks(99);
    return s;
  }

  void Corrupt(size_t offset, char byte) {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(offset));
    f.put(byte);
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(StateFileTest, MissingIsAFirstStartNotAProblem) {
  StateFile::Loaded loaded = StateFile(path_).Load();
  EXPECT_FALSE(loaded.problem.has_value());
  EXPECT_EQ(loaded.state.plan_version(), 0);
}

TEST_F(StateFileTest, RoundTripsWithMode0600) {
  StateFile file(path_);
  ASSERT_TRUE(file.Save(Sample()).ok());
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  StateFile::Loaded loaded = file.Load();
  EXPECT_FALSE(loaded.problem.has_value()) << *loaded.problem;
  EXPECT_EQ(loaded.state.plan_version(), 7);
  ASSERT_EQ(loaded.state.services_size(), 1);
  EXPECT_EQ(loaded.state.services(0).start_ticks(), 99u);
}

TEST_F(StateFileTest, TruncatedFileIsReportedAndIgnored) {
  StateFile file(path_);
  ASSERT_TRUE(file.Save(Sample()).ok());
  fs::resize_file(path_, fs::file_size(path_) - 5);
  StateFile::Loaded loaded = file.Load();
  ASSERT_TRUE(loaded.problem.has_value());
  EXPECT_THAT(*loaded.problem, HasSubstr("damaged (checksum mismatch)"));
  EXPECT_EQ(loaded.state.services_size(), 0);

  fs::resize_file(path_, 30);
  EXPECT_THAT(*file.Load().problem, HasSubstr("truncated"));
  fs::resize_file(path_, 0);
  EXPECT_THAT(*file.Load().problem, HasSubstr("unknown format"));
}

TEST_F(StateFileTest, FlippedByteIsCaught) {
  StateFile file(path_);
  ASSERT_TRUE(file.Save(Sample()).ok());
  Corrupt(fs::file_size(path_) - 3, '\x7f');
  StateFile::Loaded loaded = file.Load();
  ASSERT_TRUE(loaded.problem.has_value());
  EXPECT_THAT(*loaded.problem, HasSubstr(path_));
}

TEST_F(StateFileTest, ForeignFileIsReported) {
  fs::create_directories(fs::path(path_).parent_path());
  std::ofstream(path_) << "{\"json\": true}\n";
  EXPECT_THAT(*StateFile(path_).Load().problem, HasSubstr("unknown format"));
}

}  // namespace
}  // namespace bamctl
