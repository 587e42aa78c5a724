// Reading the BAM analyzers' task group: `cons` replies as ZooKeeper 3.8
// prints them, and members matched to analyzers by their sessions'
// addresses.
#include "controller/rollout/task_group.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bamctl {
namespace {

using ::testing::Pair;
using ::testing::UnorderedElementsAre;

TEST(TaskGroupTest, ConsGivesEachSessionsClientAddress) {
  const char reply[] =
      " /10.0.0.1:52718[1](queued=0,recved=12,sent=12,sid=0x100009a9b1c0000,lop=PING,"
      "est=1700000000000,to=5000,lcxid=0x5,lzxid=0x2,lresp=1213,llat=0,minlat=0,avglat=1,"
      "maxlat=8)\n"
      " /0:0:0:0:0:0:0:1:40412[1](queued=0,recved=3,sent=3,sid=0x200009a9b1c0001,lop=GETC)\n"
      " /10.0.0.9:52720[0](queued=0,recved=1,sent=0)\n"  // the cons connection itself
      "\n";
  EXPECT_THAT(ParseCons(reply), UnorderedElementsAre(Pair(0x100009a9b1c0000, "10.0.0.1"),
                                                     Pair(0x200009a9b1c0001, "0:0:0:0:0:0:0:1")));
  EXPECT_TRUE(ParseCons("garbage\n /no-bracket sid=0x1\n").empty());
}

TEST(TaskGroupTest, MembersAreMatchedToAnalyzersByAddressTheFirstHoldsTheTasks) {
  TaskGroup group;
  group.members = {{"node0000000003", 7, "10.0.0.2"}, {"node0000000005", 9, "10.0.0.1"}};
  std::vector<Instance> analyzers(3);
  analyzers[0].node = "node1";
  analyzers[0].address = "10.0.0.1";
  analyzers[1].node = "node2";
  analyzers[1].address = "10.0.0.2";
  analyzers[2].node = "node6";
  analyzers[2].address = "10.0.0.6";
  analyzers[2].task_holder = true;  // stale: cleared
  AssignTaskGroup(group, &analyzers);
  EXPECT_EQ(analyzers[0].task_member, "node0000000005");
  EXPECT_FALSE(analyzers[0].task_holder);
  EXPECT_EQ(analyzers[1].task_member, "node0000000003");
  EXPECT_TRUE(analyzers[1].task_holder);
  EXPECT_EQ(analyzers[2].task_member, "");  // not a member
  EXPECT_FALSE(analyzers[2].task_holder);
}

TEST(TaskGroupTest, OnlyNtasksMemberNamesCount) {
  EXPECT_TRUE(IsTaskGroupMember("node0000000003"));
  EXPECT_FALSE(IsTaskGroupMember("__COMM__"));
  EXPECT_FALSE(IsTaskGroupMember("node000000003"));
  EXPECT_FALSE(IsTaskGroupMember("nodeX000000003"));
}

}  // namespace
}  // namespace bamctl
