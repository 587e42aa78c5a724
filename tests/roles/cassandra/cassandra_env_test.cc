#include "roles/cassandra/cassandra_env.h"

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

using ::testing::HasSubstr;

constexpr char kFile[] = "/opt/cassandra/conf/cassandra-env.sh";

TEST(CassandraEnvTest, SetsTheThreeLinesOfTheStockFileAndKeepsEveryOtherByte) {
  const std::string stock =
      testing::ReadSourceFile("roles/stock/apache-cassandra/cassandra-env.sh");
  absl::StatusOr<std::string> patched = PatchCassandraEnv(kFile, stock, 2048, 7299);
  ASSERT_TRUE(patched.ok()) << patched.status();
  const std::vector<std::string> before = absl::StrSplit(stock, '\n');
  const std::vector<std::string> after = absl::StrSplit(*patched, '\n');
  ASSERT_EQ(before.size(), after.size());
  std::vector<std::string> changed;
  for (size_t i = 0; i < before.size(); ++i) {
    if (before[i] != after[i]) changed.push_back(before[i] + " -> " + after[i]);
  }
  EXPECT_THAT(changed, ::testing::ElementsAre("#MAX_HEAP_SIZE=\"4G\" -> MAX_HEAP_SIZE=\"2048M\"",
                                              "#HEAP_NEWSIZE=\"800M\" -> HEAP_NEWSIZE=\"512M\"",
                                              "JMX_PORT=\"7199\" -> JMX_PORT=\"7299\""));
  // The computed sizes inside calculate_heap_sizes() stay, and so do the
  // trailing spaces of the jmxremote lines.
  EXPECT_THAT(*patched, HasSubstr("\n    MAX_HEAP_SIZE=\"${max_heap_size_in_mb}M\"\n"));
  EXPECT_THAT(*patched,
              HasSubstr("JVM_OPTS=\"$JVM_OPTS -Dcom.sun.management.jmxremote.port=$JMX_PORT\" \n"));
  // Idempotent.
  EXPECT_EQ(*PatchCassandraEnv(kFile, *patched, 2048, 7299), *patched);
}

TEST(CassandraEnvTest, KeepsLineEndingsAndSetsEveryStartingAssignment) {
  const std::string text =
      "MAX_HEAP_SIZE=\"1G\"\r\n#MAX_HEAP_SIZE=\"4G\"\r\n#HEAP_NEWSIZE=100M\r\nJMX_PORT=7199";
  absl::StatusOr<std::string> patched = PatchCassandraEnv(kFile, text, 1024, 7199);
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ(*patched,
            "MAX_HEAP_SIZE=\"1024M\"\r\nMAX_HEAP_SIZE=\"1024M\"\r\nHEAP_NEWSIZE=\"256M\"\r\n"
            "JMX_PORT=\"7199\"");
}

TEST(CassandraEnvTest, AFileWithoutALineItOwnsIsRefusedByName) {
  absl::StatusOr<std::string> patched =
      PatchCassandraEnv(kFile, "#MAX_HEAP_SIZE=\"4G\"\n#HEAP_NEWSIZE=\"800M\"\n", 1024, 7199);
  ASSERT_FALSE(patched.ok());
  EXPECT_EQ(patched.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(patched.status().message()),
              HasSubstr(std::string(kFile) + ": no line starts with JMX_PORT="));
  // Indented (inside a function) does not count.
  EXPECT_FALSE(
      PatchCassandraEnv(kFile, "  JMX_PORT=1\nMAX_HEAP_SIZE=1\nHEAP_NEWSIZE=1\n", 1024, 7199).ok());
  EXPECT_THAT(std::string(PatchCassandraEnv(kFile, "JMX_PORT=1\n", 3, 7199).status().message()),
              HasSubstr("no young generation"));
}

}  // namespace
}  // namespace bamctl
