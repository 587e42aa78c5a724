#ifndef BAMCTL_CONTROLLER_SERVER_AGENT_HUB_H_
#define BAMCTL_CONTROLLER_SERVER_AGENT_HUB_H_

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "controller/rollout/engine.h"
#include "proto/controller.pb.h"

namespace bamctl {

// A message for one agent. A plan update may leave its host list out and
// name the version's shared one instead: every push of a version then
// refers to one immutable list, however many agents are sent it.
struct OutgoingMessage {
  v1::ControllerMessage message;
  // When set, `message` is a plan update without hosts, and the stream
  // writes it as if its `plan.hosts` were `*plan_hosts`.
  std::shared_ptr<const v1::HostList> plan_hosts;
};

// The controller's end of one agent stream.
class AgentStream {
 public:
  virtual ~AgentStream() = default;
  // Queues a message; never blocks on the network. The stream keeps
  // `plan_hosts` alive (shared, never copied) until the message is written.
  virtual void Send(OutgoingMessage message) = 0;
  virtual std::string Peer() const = 0;
};

// The connected agents, one stream per node name, and the plan (epoch and
// hash) each is known to hold, so a plan is pushed only where it differs.
class AgentHub : public CommandSender {
 public:
  // AlreadyExists (naming the other peer) when `node` is connected already.
  absl::Status Register(const std::string& node, AgentStream* stream);
  // Removes `stream` if it is the node's current one.
  void Unregister(const std::string& node, AgentStream* stream);

  // Sends `plan` (of `version` in the controller's `epoch`) and `hosts` (the
  // version's shared host list, or nullptr when the plan does not manage the
  // hosts file) to the node's stream unless the agent is known to hold a
  // plan with the same hash in the same epoch (a new epoch is sent even for
  // an unchanged plan, so the agent holds it in that epoch). Returns whether
  // it was sent.
  bool OfferPlan(const std::string& node, int64_t epoch, int64_t version, const v1::NodePlan& plan,
                 std::shared_ptr<const v1::HostList> hosts, const std::string& plan_hash);
  bool SendCommand(const std::string& node, const v1::Command& command) override;
  // Records the plan (epoch, hash) the agent reports holding.
  void SetHeld(const std::string& node, int64_t epoch, const std::string& plan_hash);

  int connected() const;
  bool IsConnected(const std::string& node) const;

 private:
  struct Entry {
    AgentStream* stream;
    std::string held_hash;
    int64_t held_epoch = 0;
  };
  mutable absl::Mutex mu_;
  std::map<std::string, Entry> streams_ ABSL_GUARDED_BY(mu_);
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_SERVER_AGENT_HUB_H_
