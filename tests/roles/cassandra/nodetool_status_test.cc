#include "roles/cassandra/nodetool_status.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bamctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// As Cassandra 1.2.13's NodeCmd.printClusterStatus prints it, two
// datacenters, with the note it adds when no keyspace is named.
constexpr char kTwoDatacenters[] =
    "Datacenter: datacenter1\n"
    "=======================\n"
    "Status=Up/Down\n"
    "|/ State=Normal/Leaving/Joining/Moving\n"
    "--  Address          Load       Tokens  Owns   Host ID                               Rack\n"
    "UN  198.18.0.1       36.37 KB   1       33.3%  8d5ed9f4-7764-4dbd-bad8-43fddce94b7c  rack1\n"
    "DN  198.18.0.2       ?          1       33.3%  d1f2a3b4-0000-4dbd-bad8-43fddce94b7c  rack1\n"
    "Datacenter: dc2\n"
    "===============\n"
    "Status=Up/Down\n"
    "|/ State=Normal/Leaving/Joining/Moving\n"
    "--  Address          Load       Tokens  Owns   Host ID                               Rack\n"
    "UJ  fd00::3          12 KB      1       33.3%  a1f2a3b4-0000-4dbd-bad8-43fddce94b7c  rack1\n"
    "\n"
    "Note: Ownership information does not include topology; for complete information, specify "
    "a keyspace\n";

TEST(NodetoolStatusTest, ReadsEveryMemberOfEveryDatacenter) {
  absl::StatusOr<std::vector<RingMember>> members = ParseNodetoolStatus(kTwoDatacenters);
  ASSERT_TRUE(members.ok()) << members.status();
  EXPECT_THAT(*members,
              ElementsAre(RingMember{"198.18.0.1", true, 'N'}, RingMember{"198.18.0.2", false, 'N'},
                          RingMember{"fd00::3", true, 'J'}));
  EXPECT_EQ(StatusCode((*members)[1]), "DN");
  EXPECT_EQ(StatusCode((*members)[2]), "UJ");
}

TEST(NodetoolStatusTest, AnEmptyRingIsARing) {
  absl::StatusOr<std::vector<RingMember>> members =
      ParseNodetoolStatus("Datacenter: datacenter1\n=======================\n");
  ASSERT_TRUE(members.ok()) << members.status();
  EXPECT_TRUE(members->empty());
}

TEST(NodetoolStatusTest, RefusesWhatIsNotItsOutputNamingTheLine) {
  // A failed connect prints an error, not a ring.
  absl::StatusOr<std::vector<RingMember>> refused =
      ParseNodetoolStatus("Failed to connect to '198.18.0.1:7199': Connection refused\n");
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("no \"Datacenter:\" line"));

  absl::StatusOr<std::vector<RingMember>> no_address =
      ParseNodetoolStatus("Datacenter: dc1\nUN  node1.example  36 KB\n");
  ASSERT_FALSE(no_address.ok());
  EXPECT_THAT(no_address.status().message(), HasSubstr("line 2"));
  EXPECT_THAT(no_address.status().message(), HasSubstr("does not name an address"));

  absl::StatusOr<std::vector<RingMember>> headless =
      ParseNodetoolStatus("UN  198.18.0.1  36 KB\nDatacenter: dc1\n");
  ASSERT_FALSE(headless.ok());
  EXPECT_THAT(headless.status().message(), HasSubstr("line 1"));
}

TEST(NodetoolStatusTest, SkipsLinesThatAreNotMembers) {
  // "UP" and "--" are not status codes; a warning mentioning UN is not a
  // member line either, since its first field is not a code.
  absl::StatusOr<std::vector<RingMember>> members = ParseNodetoolStatus(
      "WARN: UN 198.18.0.9 is not a member\nDatacenter: dc1\nUP  198.18.0.9\n--  Address\n"
      "UL  198.18.0.4  1 KB\n");
  ASSERT_TRUE(members.ok()) << members.status();
  EXPECT_THAT(*members, ElementsAre(RingMember{"198.18.0.4", true, 'L'}));
}

}  // namespace
}  // namespace bamctl
