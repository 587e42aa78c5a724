#include "agentd/preflight/host_preflight.h"

#include <algorithm>

#include "agentd/preflight/preflight.h"

namespace bamctl {

std::vector<v1::PreflightCheck> HostPreflight::ForService(const v1::NodePlan& plan,
                                                          const ServicePlan& service) {
  std::vector<v1::PreflightCheck> checks;
  auto java = service.process.env.find("JAVA_HOME");
  if (java != service.process.env.end()) checks.push_back(CheckJava(service.name, java->second));
  // Claims name the role, or "bam" for the one server of the BAM roles.
  for (const v1::PortClaim& claim : plan.ports()) {
    const bool ours =
        claim.role() == service.name ||
        std::find(service.roles.begin(), service.roles.end(), claim.role()) != service.roles.end();
    if (!ours) continue;
    checks.push_back(CheckPortFree(service.name, plan.address(), claim.port(), false));
  }
  return checks;
}

std::vector<v1::PreflightCheck> HostPreflight::ForNode(const v1::NodePlan& plan,
                                                       std::optional<int64_t> clock_offset_ms) {
  std::vector<v1::PreflightCheck> checks;
  uint64_t heap_mb = 0;
  if (plan.has_hadoop()) {
    int daemons = 0;
    for (const std::string& role : plan.roles()) {
      if (role == "namenode" || role == "secondarynamenode" || role == "jobtracker" ||
          role == "datanode" || role == "tasktracker") {
        ++daemons;
      }
    }
    heap_mb += static_cast<uint64_t>(plan.hadoop().heap_mb()) * daemons;
  }
  if (plan.has_cassandra()) heap_mb += plan.cassandra().heap_mb();
  if (plan.has_bam()) heap_mb += plan.bam().heap_mb();
  if (absl::StatusOr<MemInfo> mem = ReadMemInfo(meminfo_path_); mem.ok()) {
    checks.push_back(CheckMemory(heap_mb, *mem));
  }
  // The report carries controller minus agent; the check wants ours minus theirs.
  std::optional<int64_t> ours_minus_theirs;
  if (clock_offset_ms) ours_minus_theirs = -*clock_offset_ms;
  checks.push_back(CheckClockOffset(ours_minus_theirs));
  return checks;
}

}  // namespace bamctl
