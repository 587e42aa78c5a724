#ifndef BAMCTL_AGENTD_PREFLIGHT_PREFLIGHT_H_
#define BAMCTL_AGENTD_PREFLIGHT_PREFLIGHT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/plan.pb.h"
#include "proto/status.pb.h"
#include "roles/driver/service_plan.h"

namespace bamctl {

// Checks of what a service needs from its host before it starts; the
// reconciler asks through this interface (HostPreflight on a host, a fake
// in tests).
class Preflight {
 public:
  virtual ~Preflight() = default;
  // Java, ports. A check with severity error keeps the service from
  // starting.
  virtual std::vector<v1::PreflightCheck> ForService(const v1::NodePlan& plan,
                                                     const ServicePlan& service) = 0;
  // Node-wide: memory for the heaps, clock offset to the controller.
  virtual std::vector<v1::PreflightCheck> ForNode(const v1::NodePlan& plan,
                                                  std::optional<int64_t> clock_offset_ms) = 0;
};

// Preflight checks: conditions a role needs from its host, reported by the
// agent before it starts the roles, so that "Java is missing" or "the port
// is taken" shows up in `bamctl status` rather than as a crash loop. Each
// returns a v1::PreflightCheck with name "java", "port", "clock" or
// "memory"; severity "error" means the service is not started.

// `<java_home>/bin/java` exists, is a regular file (after symlinks) and the
// agent may execute it.
v1::PreflightCheck CheckJava(absl::string_view service, const std::string& java_home);

// Whether `service` can bind TCP `address`:`port` (a numeric IPv4 or IPv6
// address). `held_by_service`: the service is already running and holds
// the port itself, so the port is not probed. The probe binds with
// SO_REUSEADDR, as the JVMs do, so connections in TIME_WAIT do not count;
// it never listens and closes the socket before returning.
v1::PreflightCheck CheckPortFree(absl::string_view service, absl::string_view address,
                                 uint32_t port, bool held_by_service);

// `offset_ms`: this node's clock minus the controller's, nullopt when not
// measured yet. More than `warn_ms` apart is a warning: Cassandra orders
// writes by timestamp and ZooKeeper and Hadoop leases assume close clocks.
v1::PreflightCheck CheckClockOffset(std::optional<int64_t> offset_ms, int64_t warn_ms = 500);

struct MemInfo {
  uint64_t total_kb = 0;
  uint64_t available_kb = 0;
};

// MemTotal and MemAvailable from /proc/meminfo text. MemTotal is required;
// without MemAvailable (kernels before 3.14) available is estimated as
// MemFree + Buffers + Cached.
absl::StatusOr<MemInfo> ParseMemInfo(absl::string_view proc_meminfo_text);
absl::StatusOr<MemInfo> ReadMemInfo(const std::string& path = "/proc/meminfo");

// Whether the node's configured JVM heaps (`total_heap_mb`, summed over its
// services) fit its memory. Never an error, only a warning: a JVM reserves
// its heap lazily, so it starts, but fails or swaps under load.
v1::PreflightCheck CheckMemory(uint64_t total_heap_mb, const MemInfo& mem);

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_PREFLIGHT_PREFLIGHT_H_
