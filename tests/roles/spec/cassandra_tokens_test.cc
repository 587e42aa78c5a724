#include "roles/spec/cassandra_tokens.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bamctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(CassandraTokensTest, ParsesShortAndQualifiedNames) {
  EXPECT_EQ(ParsePartitioner("RandomPartitioner"), Partitioner::kRandom);
  EXPECT_EQ(ParsePartitioner("org.apache.cassandra.dht.Murmur3Partitioner"), Partitioner::kMurmur3);
  EXPECT_EQ(ParsePartitioner("org.apache.cassandra.dht.ByteOrderedPartitioner"), std::nullopt);
  EXPECT_EQ(ParsePartitioner("randompartitioner"), std::nullopt);
}

TEST(CassandraTokensTest, RandomPartitionerGivesTheSeedTokens) {
  EXPECT_THAT(BalancedTokens(Partitioner::kRandom, 3),
              ElementsAre("0", "56713727820156410577229101238628035242",
                          "113427455640312821154458202477256070485"));
  EXPECT_THAT(BalancedTokens(Partitioner::kRandom, 1), ElementsAre("0"));
  // 2^127 / 4 = 2^125 exactly.
  EXPECT_THAT(BalancedTokens(Partitioner::kRandom, 4),
              ElementsAre("0", "42535295865117307932921825928971026432",
                          "85070591730234615865843651857942052864",
                          "127605887595351923798765477786913079296"));
}

TEST(CassandraTokensTest, Murmur3SpreadsOverTheSignedRange) {
  EXPECT_THAT(BalancedTokens(Partitioner::kMurmur3, 3),
              ElementsAre("-9223372036854775808", "-3074457345618258603", "3074457345618258602"));
  EXPECT_THAT(BalancedTokens(Partitioner::kMurmur3, 2), ElementsAre("-9223372036854775808", "0"));
  EXPECT_TRUE(BalancedTokens(Partitioner::kMurmur3, 0).empty());
}

TEST(CassandraTokensTest, CanonicalTokenChecksRange) {
  EXPECT_EQ(*CanonicalToken(Partitioner::kRandom, "0"), "0");
  EXPECT_EQ(*CanonicalToken(Partitioner::kRandom, "+007"), "7");
  EXPECT_EQ(*CanonicalToken(Partitioner::kRandom, "-0"), "0");
  EXPECT_EQ(*CanonicalToken(Partitioner::kRandom, "170141183460469231731687303715884105728"),
            "170141183460469231731687303715884105728");
  EXPECT_FALSE(
      CanonicalToken(Partitioner::kRandom, "170141183460469231731687303715884105729").ok());
  EXPECT_FALSE(CanonicalToken(Partitioner::kRandom, "-1").ok());
  EXPECT_FALSE(
      CanonicalToken(Partitioner::kRandom, "99999999999999999999999999999999999999999999").ok());

  EXPECT_EQ(*CanonicalToken(Partitioner::kMurmur3, "-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(*CanonicalToken(Partitioner::kMurmur3, "9223372036854775807"), "9223372036854775807");
  EXPECT_FALSE(CanonicalToken(Partitioner::kMurmur3, "9223372036854775808").ok());
  EXPECT_FALSE(CanonicalToken(Partitioner::kMurmur3, "-9223372036854775809").ok());
}

TEST(CassandraTokensTest, ErrorsNameTheRange) {
  auto bad = CanonicalToken(Partitioner::kMurmur3, "12x");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("not a decimal integer"));
  EXPECT_THAT(bad.status().message(),
              HasSubstr("-9223372036854775808 to 9223372036854775807 (-2^63 to 2^63-1)"));
  EXPECT_FALSE(CanonicalToken(Partitioner::kRandom, "").ok());
  EXPECT_FALSE(CanonicalToken(Partitioner::kRandom, "-").ok());
}

}  // namespace
}  // namespace bamctl
