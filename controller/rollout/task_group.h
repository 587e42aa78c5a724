#ifndef BAMCTL_CONTROLLER_ROLLOUT_TASK_GROUP_H_
#define BAMCTL_CONTROLLER_ROLLOUT_TASK_GROUP_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "controller/rollout/planner.h"
#include "controller/rollout/zookeeper_sync.h"

namespace bamctl {

class ZkClient;

// Where BAM 2.x's clustered task server (ntask 4.0.x on Carbon's
// coordination component) keeps its analyzers: one ephemeral sequential
// member znode with no data per live analyzer; the lowest member (a string
// sort) leads and holds the scheduled Hive tasks.
inline constexpr char kHiveTaskGroupPath[] =
    "/org/wso2/carbon/tenants/-1234/org.wso2.carbon.coordination.core.sync.impl.ZKGroup/"
    "__CARBON_TASK_GROUP_HIVE_TASK";

// The group as read: members in leader-first order, each with the address
// its ZooKeeper session comes from.
struct TaskGroup {
  struct Member {
    std::string id;         // "node0000000003"
    int64_t session = 0;    // the member znode's ephemeralOwner
    std::string client_ip;  // from `cons`; "" when no server lists the session
  };
  std::vector<Member> members;
};

// Reads the task group of the analyzers whose coordination servers are
// `servers`. Tests pass a fake.
class TaskGroupSource {
 public:
  virtual ~TaskGroupSource() = default;
  virtual absl::StatusOr<TaskGroup> Read(const std::vector<ZooKeeperServer>& servers) = 0;
};

// The real source: the members and their sessions through the ZooKeeper C
// client (one session kept per ensemble, opened again when it fails), and
// each session's client address from the `cons` four-letter word of every
// server. ZooKeeper records no host for a member (BAM writes none); the
// session's address is how BAM's own data names the host. Thread-safe.
class ZooKeeperTaskGroups : public TaskGroupSource {
 public:
  explicit ZooKeeperTaskGroups(FourLetterWord four_letter_word);
  ~ZooKeeperTaskGroups() override;
  absl::StatusOr<TaskGroup> Read(const std::vector<ZooKeeperServer>& servers) override;

 private:
  FourLetterWord four_letter_word_;
  absl::Mutex mu_;
  std::string connected_to_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<ZkClient> client_ ABSL_GUARDED_BY(mu_);
};

// Marks in `instances` (BAM analyzers, with their node addresses) each
// one's member id and whether it holds the tasks, matching the members'
// client addresses to the instances' addresses (names resolved).
void AssignTaskGroup(const TaskGroup& group, std::vector<Instance>* instances);

// Session id -> client IP from a `cons` reply (" /10.0.0.5:40412[1](queued=0,
// ...,sid=0x1000...,...)"; an IPv6 client is printed without brackets).
std::map<int64_t, std::string> ParseCons(absl::string_view reply);

// ntask's member ids: "node" and ten digits.
bool IsTaskGroupMember(absl::string_view name);

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_ROLLOUT_TASK_GROUP_H_
