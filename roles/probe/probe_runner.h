#ifndef BAMCTL_ROLES_PROBE_PROBE_RUNNER_H_
#define BAMCTL_ROLES_PROBE_PROBE_RUNNER_H_

#include <chrono>
#include <string>

#include "roles/driver/service_plan.h"

namespace bamctl {

// The outcome of one probe. `reason` says why in words a person can act on
// ("connect 10.0.0.3:2181: Connection refused", "HTTP 503 from /carbon/");
// `mode` is ZooKeeper's server mode (leader, follower, standalone) when the
// probe asked for it.
struct ProbeResult {
  bool healthy = false;
  std::string reason;
  std::string mode;
};

// Runs `probe` once, bounded by `timeout`. Never blocks longer; never
// throws. TCP: the port accepts a connection. HTTP: GET answers 2xx or 3xx.
// ZooKeeper: "ruok" answers "imok" and "srvr" reports a mode.
ProbeResult RunProbe(const Probe& probe, std::chrono::milliseconds timeout);

// The "Mode: ..." of a ZooKeeper srvr/stat reply, or "" when absent.
std::string ZooKeeperModeOf(const std::string& srvr_reply);

}  // namespace bamctl

#endif  // BAMCTL_ROLES_PROBE_PROBE_RUNNER_H_
