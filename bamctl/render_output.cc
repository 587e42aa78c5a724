#include "bamctl/render_output.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "roles/driver/endpoint.h"

namespace bamctl {
namespace {

absl::string_view OrderName(RestartSafety::Order order) {
  switch (order) {
    case RestartSafety::Order::kAnyOrder:
      return "any order";
    case RestartSafety::Order::kFollowersBeforeLeader:
      return "followers before the leader";
    case RestartSafety::Order::kOneAtATimeDrainFirst:
      return "one at a time, drained first";
    case RestartSafety::Order::kStandbyBeforeActive:
      return "standby before the active task server";
    case RestartSafety::Order::kSingleInstanceDowntime:
      return "single instance: needs --allow-downtime";
  }
  return "unknown";
}

absl::string_view ProbeKind(Probe::Kind kind) {
  switch (kind) {
    case Probe::Kind::kTcp:
      return "tcp";
    case Probe::Kind::kHttp:
      return "http";
    case Probe::Kind::kZooKeeper:
      return "zookeeper ruok/srvr";
  }
  return "unknown";
}

std::string Env(const std::map<std::string, std::string>& env) {
  return absl::StrJoin(env, " ", absl::PairFormatter("="));
}

}  // namespace

std::string FormatRender(const std::vector<ServicePlan>& services,
                         const std::vector<ConfigFile>& files) {
  std::string out;
  for (const ServicePlan& s : services) {
    absl::StrAppend(&out, "# service ", s.name, " (roles: ", absl::StrJoin(s.roles, ", "), ")\n");
    absl::StrAppend(&out, "#   run as ", s.process.user.empty() ? "(agent user)" : s.process.user,
                    " in ", s.process.working_dir, ": ", absl::StrJoin(s.process.argv, " "), "\n");
    if (!s.process.env.empty()) absl::StrAppend(&out, "#   env: ", Env(s.process.env), "\n");
    if (s.process.nofile_limit > 0) {
      absl::StrAppend(&out, "#   limits: nofile ", s.process.nofile_limit, "\n");
    }
    absl::StrAppend(
        &out, "#   stop: ",
        s.process.stop_argv.empty() ? "SIGTERM" : absl::StrJoin(s.process.stop_argv, " "),
        ", SIGKILL after ", s.process.stop_timeout_seconds, "s\n");
    for (const InitStep& step : s.init_steps) {
      absl::StrAppend(&out, "#   init ", step.name, ": ", absl::StrJoin(step.argv, " "),
                      " (done when ", step.done_marker, " exists)\n");
    }
    for (const Probe& p : s.probes) {
      absl::StrAppend(&out, "#   probe ", p.name, ": ", ProbeKind(p.kind), " ",
                      HostPort(p.host, p.port), p.http_path,
                      p.http_unhealthy_text.empty() ? ""
                                                    : absl::StrCat(" (unhealthy while it says \"",
                                                                   p.http_unhealthy_text, "\")"),
                      "\n");
    }
    absl::StrAppend(&out, "#   restart: group ", s.restart.group, ", ", OrderName(s.restart.order),
                    ", at most ", s.restart.max_unavailable, " down");
    for (size_t i = 0; i < s.restart.pre_stop.size(); ++i) {
      absl::StrAppend(&out, i == 0 ? ", before stop: " : "; then ",
                      absl::StrJoin(s.restart.pre_stop[i], " "));
    }
    if (s.restart.pre_stop_required) {
      absl::StrAppend(&out, " (not stopped unless they succeed");
      for (size_t i = 0; i < s.restart.pre_stop_undo.size(); ++i) {
        absl::StrAppend(&out, i == 0 ? "; else " : "; then ",
                        absl::StrJoin(s.restart.pre_stop_undo[i], " "));
      }
      absl::StrAppend(&out, ")");
    }
    absl::StrAppend(&out, "\n");
    if (!s.depends_on.empty()) {
      absl::StrAppend(&out, "#   waits for: ",
                      absl::StrJoin(s.depends_on, ", ",
                                    [](std::string* o, const Dependency& d) {
                                      absl::StrAppend(o, d.service, " (", d.min_healthy, " of ",
                                                      d.probes.size(), ")");
                                    }),
                      "\n");
    }
    for (const std::string& path : s.remove_paths) {
      absl::StrAppend(&out, "#   removes: ", path, "\n");
    }
  }
  for (const ConfigFile& f : files) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", f.mode);
    absl::StrAppend(&out, "\n==> ", f.path, " (", mode, f.owner.empty() ? "" : " ", f.owner,
                    f.secret ? ", holds a secret" : "", ") <==\n", f.content);
    if (!f.content.empty() && f.content.back() != '\n') absl::StrAppend(&out, "\n");
  }
  return out;
}

}  // namespace bamctl
