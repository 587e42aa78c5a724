#include "roles/stock/stock.h"

#include <filesystem>

#include "gtest/gtest.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

constexpr const char* kFiles[] = {
    "wso2-bam/carbon.xml",
    "wso2-bam/cassandra-component.xml",
    "wso2-bam/cassandra.yaml",
    "wso2-bam/data-bridge-config.xml",
    "wso2-bam/hector-config.xml",
    "wso2-bam/tasks-config.das-clustering-template.xml",
    "wso2-bam/zoo.cfg",
    "wso2-carbon-kernel/master-datasources.xml",
    "wso2-carbon-kernel/registry.xml",
};

TEST(StockTest, EmbeddedCopiesAreTheFilesByteForByte) {
  for (const char* name : kFiles) {
    std::optional<absl::string_view> embedded = StockFile(name);
    ASSERT_TRUE(embedded.has_value()) << name;
    EXPECT_EQ(*embedded, testing::ReadSourceFile(std::string("roles/stock/") + name)) << name;
  }
  EXPECT_FALSE(StockFile("wso2-bam/nope.xml").has_value());
}

// The repository's copies must stay the untouched files the project was
// given; checked where that shared folder sits next to the checkout.
TEST(StockTest, CopiesMatchTheSharedFixturesWhenPresent) {
  const std::filesystem::path shared = testing::SourceDir() / "../shared/stock";
  if (!std::filesystem::exists(shared)) GTEST_SKIP() << "no ../shared/stock next to the checkout";
  for (const char* name : kFiles) {
    EXPECT_EQ(testing::ReadSourceFile(std::string("../shared/stock/") + name),
              testing::ReadSourceFile(std::string("roles/stock/") + name))
        << name;
  }
}

}  // namespace
}  // namespace bamctl
