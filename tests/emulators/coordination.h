#ifndef BAMCTL_TESTS_EMULATORS_COORDINATION_H_
#define BAMCTL_TESTS_EMULATORS_COORDINATION_H_

#include <zookeeper/zookeeper.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tests/emulators/daemon.h"
#include "tests/emulators/products.h"

namespace bamctl::emulator {

// The ZooKeeper group BAM 2.x's clustered task server (ntask 4.0.x on
// Carbon's coordination component) keeps its analyzers in, by its own
// layout: every ancestor persistent and empty, then one EPHEMERAL_SEQUENTIAL
// member znode "node<10 digits>" with no data per live analyzer.
inline constexpr char kHiveTaskGroup[] =
    "/org/wso2/carbon/tenants/-1234/org.wso2.carbon.coordination.core.sync.impl.ZKGroup/"
    "__CARBON_TASK_GROUP_HIVE_TASK";

// An analyzer's place in that group, through the ZooKeeper C client.
// Start() opens the session; Poll() joins once it is connected (creates the
// member znode; the daemon gives the session a moment at activation, so
// that is before the server's ports open, as ntask does, when ZooKeeper
// answers; a server that cannot reach ZooKeeper still starts, logs it, and
// joins when it can), then reads the members: the lowest (a string sort)
// leads and holds every scheduled Hive
// task, so a member that becomes the leader logs the takeover and a
// "Task scheduled" line per task, as ntask's rescheduling of missing tasks
// does. An expired session is replaced and the group joined again with a
// new, higher member (no longer the leader), as DS-731's fix does. Close()
// ends the session, which removes the member at once; after a kill -9 it
// stays until the session expires.
//
// With a source address, each server is reached through a relay bound to
// that address, so the servers see the node's address as the client's
// (`cons`), as they would a real host's; on one machine every connection
// would otherwise come from 127.0.0.1.
class TaskCoordination {
 public:
  TaskCoordination(DaemonPlan::Coordination config, Logger* log);
  ~TaskCoordination();
  TaskCoordination(const TaskCoordination&) = delete;
  TaskCoordination& operator=(const TaskCoordination&) = delete;

  // Opens the session (without waiting for it); errors are local (a relay
  // that cannot bind, an unresolvable server).
  absl::Status Start();
  // True once the session is connected, waiting at most `timeout`.
  bool AwaitConnected(std::chrono::milliseconds timeout);
  // Joins when not a member yet, reads the group once, logs leadership
  // changes.
  void Poll();
  void Close();

 private:
  class Relay;
  absl::Status CreateMember();

  DaemonPlan::Coordination config_;
  Logger* log_;
  std::vector<std::unique_ptr<Relay>> relays_;
  std::vector<std::string> relay_hosts_;  // where the relays listen, per server
  zhandle_t* zh_ = nullptr;
  std::string member_;  // "node0000000003"; "" until joined
  bool leader_ = false;
  bool told_waiting_ = false;  // "cannot reach ZooKeeper" logged once per outage
};

}  // namespace bamctl::emulator

#endif  // BAMCTL_TESTS_EMULATORS_COORDINATION_H_
