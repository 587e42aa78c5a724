#ifndef BAMCTL_CONTROLLER_WEB_OVERVIEW_H_
#define BAMCTL_CONTROLLER_WEB_OVERVIEW_H_

// What the web page and Prometheus read from the controller, as JSON: the
// cluster overview (status, operations, events, the ZooKeeper ensemble and
// the Cassandra ring), a version with its diff, and the targets of
// Prometheus's HTTP service discovery. Protobuf messages are printed by
// protobuf's JSON printer (proto field names, enums by name, 64-bit
// integers as strings); docs/web.md has the shapes.

#include <cstdint>
#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "controller/cluster/desired_state.h"
#include "controller/rollout/zookeeper_sync.h"
#include "controller/store/store.h"
#include "proto/controller.grpc.pb.h"

namespace bamctl {

struct OverviewSources {
  DesiredState* state = nullptr;
  Store* store = nullptr;
  // This controller's place (HA); null: standalone.
  std::function<absl::StatusOr<v1::GetControllersResponse>()> controllers;
  // Asks ZooKeeper servers their mode; null: modes are not shown.
  FourLetterWord four_letter_word;
  const Clock* clock = nullptr;
  // This controller's /metrics ("host:port"; "" for none), for discovery;
  // a wildcard host stands for the host Prometheus reached the page at.
  std::string metrics_address;
};

// Builds the JSON documents; caches the overview for a moment, so that many
// open pages cost the store and the ZooKeeper servers one query per period.
class Overview {
 public:
  explicit Overview(OverviewSources sources) : sources_(std::move(sources)) {}

  // GET /api/overview (and each event of /api/stream).
  absl::StatusOr<std::string> Json();
  // GET /api/versions.
  absl::StatusOr<std::string> VersionsJson(int limit);
  // GET /api/version?v=N: the spec text and its diff against version N-1.
  absl::StatusOr<std::string> VersionJson(int64_t version);
  // GET /prometheus/targets: Prometheus's HTTP SD format, one group per
  // agent that said where it serves /metrics (with __meta_bamctl_node,
  // __meta_bamctl_roles as ",role,role,", __meta_bamctl_component "agent")
  // and one for this controller (component "controller"). `reached_host`:
  // the host the request was sent to (its Host field, without the port).
  absl::StatusOr<std::string> TargetsJson(absl::string_view reached_host);

  // Whether this controller serves (leads, or runs alone): node reports
  // reach only the leader, so only its answers are current.
  bool Serving();

 private:
  absl::StatusOr<std::string> Build() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string ZooKeeperJson(const DesiredState::Current& plans) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const OverviewSources sources_;
  absl::Mutex mu_;  // held through a build (Json)
  std::string cached_ ABSL_GUARDED_BY(mu_);
  int64_t cached_at_ms_ ABSL_GUARDED_BY(mu_) = -1;
  std::string zk_cached_ ABSL_GUARDED_BY(mu_);
  int64_t zk_cached_at_ms_ ABSL_GUARDED_BY(mu_) = -1;
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_WEB_OVERVIEW_H_
