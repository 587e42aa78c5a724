#include "controller/server/agent_hub.h"

#include "absl/strings/str_cat.h"

namespace bamctl {

absl::Status AgentHub::Register(const std::string& node, AgentStream* stream) {
  absl::MutexLock lock(&mu_);
  auto [it, fresh] = streams_.emplace(node, Entry{stream, ""});
  if (!fresh) {
    return absl::AlreadyExistsError(absl::StrCat("node ", node, " is already connected from ",
                                                 it->second.stream->Peer(),
                                                 "; two agents cannot share a node name"));
  }
  return absl::OkStatus();
}

void AgentHub::Unregister(const std::string& node, AgentStream* stream) {
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(node);
  if (it != streams_.end() && it->second.stream == stream) streams_.erase(it);
}

bool AgentHub::OfferPlan(const std::string& node, int64_t epoch, int64_t version,
                         const v1::NodePlan& plan, std::shared_ptr<const v1::HostList> hosts,
                         const std::string& plan_hash) {
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(node);
  if (it == streams_.end() ||
      (it->second.held_hash == plan_hash && it->second.held_epoch == epoch)) {
    return false;
  }
  v1::ControllerMessage message;
  v1::PlanUpdate* update = message.mutable_plan();
  update->set_epoch(epoch);
  update->set_version(version);
  update->set_plan_hash(plan_hash);
  *update->mutable_plan() = plan;  // O(the node's roles); the host list is shared
  // Sent under the lock: Unregister waits for it, so the stream outlives
  // the call. Send only queues.
  it->second.stream->Send({std::move(message), std::move(hosts)});
  it->second.held_hash = plan_hash;  // assumed until the agent reports otherwise
  it->second.held_epoch = epoch;
  return true;
}

bool AgentHub::SendCommand(const std::string& node, const v1::Command& command) {
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(node);
  if (it == streams_.end()) return false;
  v1::ControllerMessage message;
  *message.mutable_command() = command;
  it->second.stream->Send({std::move(message), nullptr});
  return true;
}

void AgentHub::SetHeld(const std::string& node, int64_t epoch, const std::string& plan_hash) {
  absl::MutexLock lock(&mu_);
  if (auto it = streams_.find(node); it != streams_.end()) {
    it->second.held_hash = plan_hash;
    it->second.held_epoch = epoch;
  }
}

int AgentHub::connected() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(streams_.size());
}

bool AgentHub::IsConnected(const std::string& node) const {
  absl::MutexLock lock(&mu_);
  return streams_.contains(node);
}

}  // namespace bamctl
