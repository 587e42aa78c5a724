#ifndef BAMCTL_CONTROLLER_CLUSTER_DESIRED_STATE_H_
#define BAMCTL_CONTROLLER_CLUSTER_DESIRED_STATE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "controller/store/store.h"
#include "proto/controller.pb.h"

namespace bamctl {

// Rolls out what a new version leaves restart pending (the rollout
// engine). DesiredState decides when; this interface keeps the cluster
// layer free of the engine, which depends on it.
class PendingRollouts {
 public:
  virtual ~PendingRollouts() = default;
  // Stores a waiting auto-rollout of `version`: once every agent holds it,
  // a rolling restart of each service it left restart pending. Returns the
  // operation's id.
  virtual absl::StatusOr<int64_t> RequestPendingRollout(int64_t version,
                                                        const std::string& author) = 0;
};

// The controller's desired-state operations over the Store, with no RPC in
// sight: apply (validate, compile, version), diff, rollback, status. The
// gRPC service is a thin adapter over this; tests drive it directly.
class DesiredState {
 public:
  // Called after a new version is stored (outside any lock), so connected
  // agents can be sent their new plans.
  using VersionListener = std::function<void(int64_t version)>;

  explicit DesiredState(Store* store) : store_(store) {}
  void SetVersionListener(VersionListener listener) { listener_ = std::move(listener); }
  // Where Apply asks for auto-rollouts; none (nullptr, the default): apply
  // never asks. Not owned; set before serving.
  void SetPendingRollouts(PendingRollouts* rollouts) { rollouts_ = rollouts; }

  // Validates and compiles `request.spec_text`; unless dry_run, stores it as
  // a new version. An invalid spec is InvalidArgument whose message lists
  // every diagnostic exactly as offline `bamctl desired-state validate`
  // prints them; nothing is stored then. A new version (not a dry run, not
  // unchanged) is rolled out when the request asks (`rollout`) or its spec
  // sets auto_rolling_restart: the response names the waiting auto-rollout
  // (rollout_operation). Should that request fail, the version is stored
  // all the same and the error says so.
  absl::StatusOr<v1::ApplyResponse> Apply(const v1::ApplyRequest& request);

  absl::StatusOr<v1::ApplyResponse> Rollback(const v1::RollbackRequest& request);

  // The spec text diff and, per node, the rendered files that would change
  // (secrets redacted), of `request.spec_text` against the current version.
  absl::StatusOr<v1::DiffResponse> Diff(const v1::DiffRequest& request);

  absl::StatusOr<v1::GetDesiredStateResponse> Get(int64_t version);

  // Per node of the current plan: connection, desired vs. applied version,
  // role health, and whether it has converged.
  absl::StatusOr<v1::GetStatusResponse> Status();

  // The current version and its plans, with each plan's hash, and the
  // controller's epoch, which every plan sent carries.
  struct Current {
    int64_t epoch = 0;
    int64_t version = 0;
    std::vector<v1::NodePlan> plans;
    // The version's one host list, never null (empty when the spec does not
    // manage hosts files). Immutable: every plan push to a node that
    // manages its hosts file refers to it instead of copying it.
    std::shared_ptr<const v1::HostList> hosts = std::make_shared<const v1::HostList>();
    std::vector<std::string> hashes;  // PlanHash(plans[i], HostsDigest(*hosts))
    // The spec's disruption budget: hosts with a role down at once.
    int max_nodes_disrupted = 1;
    std::map<std::string, size_t> by_node;
    // `hosts` when plans[i] manages the hosts file, else nullptr: what a
    // push of plans[i] carries beside it.
    std::shared_ptr<const v1::HostList> HostsFor(const v1::NodePlan& plan) const {
      return plan.manage_hosts_file() ? hosts : nullptr;
    }
    // The plan of `node`, or nullptr.
    const v1::NodePlan* Find(const std::string& node) const;
  };
  // Cached in memory until the next apply or rollback: every agent hello
  // and status call reads it, and loading thousands of plans per hello
  // would make connecting N agents cost O(N^2).
  absl::StatusOr<std::shared_ptr<const Current>> CurrentPlans();

  // What an agent says it holds (the epoch and version of its plan, from its
  // hello). When that is a plan this controller cannot have sent, an epoch
  // above its own or its own epoch with a version above its newest (the
  // controller was restored from an older backup, or runs on a new
  // database), the controller takes the cluster back: it moves to an epoch
  // above both, stored with a "take-back" event naming `node` before any
  // plan carries it, and calls the version listener so that connected
  // agents get the current plans (if any) in the new epoch. Returns whether
  // it took the cluster back. Calls are serialised: of agents saying hello
  // at once, the first moves the epoch and the others compare with it.
  absl::StatusOr<bool> ObserveAgent(const std::string& node, int64_t held_epoch,
                                    int64_t held_version);

  // Forgets the cached plans: the store got a version or an epoch that did
  // not come through this class (an HA replica applying the log).
  void Invalidate();

 private:
  // The stored text of `version`; "" for version 0 (nothing applied yet).
  absl::StatusOr<std::string> SpecText(int64_t version);

  Store* store_;
  VersionListener listener_;
  PendingRollouts* rollouts_ = nullptr;
  absl::Mutex take_back_mu_;  // one take-back decision at a time
  absl::Mutex cache_mu_;
  std::shared_ptr<const Current> cache_ ABSL_GUARDED_BY(cache_mu_);
};

// SHA-256 (hex) of a host list's serialized bytes; computed once per
// version, whatever the number of nodes.
std::string HostsDigest(const v1::HostList& hosts);

// What agents report back as the plan they hold: SHA-256 of the plan's
// serialized bytes, and of `hosts_digest` too when the plan manages the
// hosts file (so a changed host list reaches every such node). A plan that
// does not manage it hashes as it always has.
std::string PlanHash(const v1::NodePlan& plan, absl::string_view hosts_digest);

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_CLUSTER_DESIRED_STATE_H_
