#include "controller/web/overview.h"

#include <map>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/escape.h"
#include "common/net_util.h"
#include "common/status_macros.h"
#include "common/text_diff.h"
#include "google/protobuf/util/json_util.h"
#include "proto/enum_text.h"
#include "roles/driver/endpoint.h"

namespace bamctl {
namespace {

constexpr int64_t kOverviewTtlMs = 400;    // a page's stream asks every 500 ms
constexpr int64_t kZooKeeperTtlMs = 2000;  // four-letter words to every server

std::string ProtoJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(message, &out, options).ok()) return "null";
  return out;
}

std::string Bool(bool b) { return b ? "true" : "false"; }

// A metrics address with a wildcard host replaced by `host` (the node's
// address, or the one the controller was reached at).
std::string ScrapeAddress(absl::string_view metrics_address, absl::string_view node_address) {
  const size_t colon = metrics_address.rfind(':');
  if (colon == absl::string_view::npos) return "";
  const absl::string_view host = metrics_address.substr(0, colon);
  const absl::string_view port = metrics_address.substr(colon + 1);
  if (IsWildcardHost(host)) return absl::StrCat(BracketedHost(node_address), ":", port);
  return std::string(metrics_address);
}

}  // namespace

bool Overview::Serving() {
  if (!sources_.controllers) return true;
  absl::StatusOr<v1::GetControllersResponse> info = sources_.controllers();
  return info.ok() && info->self().serving();
}

absl::StatusOr<std::string> Overview::Json() {
  // Held while building: streams that find the cache stale together wait
  // for one build and share it, instead of each building the same document.
  absl::MutexLock lock(&mu_);
  const int64_t now = sources_.clock->MonotonicMillis();
  if (cached_at_ms_ >= 0 && now - cached_at_ms_ < kOverviewTtlMs) return cached_;
  ASSIGN_OR_RETURN(cached_, Build());
  cached_at_ms_ = now;
  return cached_;
}

absl::StatusOr<std::string> Overview::Build() {
  std::string controller;
  if (sources_.controllers) {
    ASSIGN_OR_RETURN(v1::GetControllersResponse info, sources_.controllers());
    controller = absl::StrCat(
        "{\"address\":", JsonString(info.self().address()),
        ",\"role\":", JsonString(info.self().role()), ",\"serving\":", Bool(info.self().serving()),
        ",\"leader\":", JsonString(info.leader()), ",\"current_version\":\"",
        info.self().current_version(), "\",\"error\":", JsonString(info.self().error()), "}");
  } else {
    ASSIGN_OR_RETURN(const int64_t version, sources_.store->CurrentVersion());
    controller = absl::StrCat(
        "{\"address\":\"\",\"role\":\"standalone\",\"serving\":true,\"leader\":\"\","
        "\"current_version\":\"",
        version, "\",\"error\":\"\"}");
  }
  ASSIGN_OR_RETURN(const v1::GetStatusResponse status, sources_.state->Status());
  ASSIGN_OR_RETURN(const std::vector<v1::Operation> operations,
                   sources_.store->ListOperations(20, false));
  ASSIGN_OR_RETURN(const std::vector<EventRecord> events, sources_.store->ListEvents(100));
  ASSIGN_OR_RETURN(const std::shared_ptr<const DesiredState::Current> plans,
                   sources_.state->CurrentPlans());

  std::vector<std::string> ops;
  ops.reserve(operations.size());
  for (const v1::Operation& op : operations) ops.push_back(ProtoJson(op));
  std::vector<std::string> evs;
  evs.reserve(events.size());
  for (const EventRecord& e : events) evs.push_back(ProtoJson(EventOf(e)));

  // The Cassandra ring: each node's token, and whether its role is up.
  std::map<std::string, const v1::NodeStatus*> by_node;
  for (const v1::NodeStatus& n : status.nodes()) by_node[n.node()] = &n;
  std::string partitioner;
  std::vector<std::string> ring;
  for (const v1::NodePlan& plan : plans->plans) {
    if (!plan.has_cassandra()) continue;
    partitioner = plan.cassandra().partitioner();
    std::string state = "unknown";
    std::string phase;
    auto it = by_node.find(plan.node());
    if (it != by_node.end() && it->second->connected()) {
      state = "down";
      for (const v1::RoleStatus& r : it->second->roles()) {
        if (r.service() != "cassandra") continue;
        phase = EnumText(r.phase());
        if (r.phase() == v1::PHASE_RUNNING && r.health() == v1::HEALTH_HEALTHY) state = "up";
      }
    }
    ring.push_back(absl::StrCat("{\"node\":", JsonString(plan.node()),
                                ",\"address\":", JsonString(plan.cassandra().listen_address()),
                                ",\"token\":", JsonString(plan.cassandra().initial_token()),
                                ",\"state\":\"", state, "\",\"phase\":", JsonString(phase), "}"));
  }

  return absl::StrCat("{\"now_ms\":\"", sources_.clock->NowMillis(),
                      "\",\"controller\":", controller, ",\"status\":", ProtoJson(status),
                      ",\"operations\":[", absl::StrJoin(ops, ","), "],\"events\":[",
                      absl::StrJoin(evs, ","), "],\"zookeeper\":", ZooKeeperJson(*plans),
                      ",\"cassandra\":{\"partitioner\":", JsonString(partitioner), ",\"nodes\":[",
                      absl::StrJoin(ring, ","), "]}}");
}

std::string Overview::ZooKeeperJson(const DesiredState::Current& plans) {
  const int64_t now = sources_.clock->MonotonicMillis();
  if (zk_cached_at_ms_ >= 0 && now - zk_cached_at_ms_ < kZooKeeperTtlMs) return zk_cached_;
  // Every ZooKeeper node's plan lists the whole ensemble; take the first.
  const v1::ZooKeeperPlan* ensemble = nullptr;
  for (const v1::NodePlan& plan : plans.plans) {
    if (plan.has_zookeeper()) {
      ensemble = &plan.zookeeper();
      break;
    }
  }
  std::vector<std::string> servers;
  if (ensemble != nullptr) {
    const ZooKeeperEnsemble zk(sources_.four_letter_word);
    for (const v1::ZooKeeperServer& s : ensemble->servers()) {
      std::string mode;
      std::string error;
      int64_t synced = 0;
      if (sources_.four_letter_word) {
        mode = zk.Mode(ZooKeeperServer{s.host(), s.client_port()});
        if (mode.empty()) error = "does not answer srvr";
        if (mode == "leader") {
          absl::StatusOr<std::string> mntr =
              sources_.four_letter_word(s.host(), s.client_port(), "mntr");
          if (mntr.ok()) {
            const std::map<std::string, std::string> values = ParseMntr(*mntr);
            auto it = values.find("zk_synced_followers");
            if (it != values.end()) synced = std::atoll(it->second.c_str());
          }
        }
      }
      servers.push_back(absl::StrCat(
          "{\"node\":", JsonString(s.node()), ",\"id\":", s.id(), ",\"address\":",
          JsonString(HostPort(s.host(), s.client_port())), ",\"mode\":", JsonString(mode),
          ",\"error\":", JsonString(error), ",\"synced_followers\":", synced, "}"));
    }
  }
  zk_cached_ = absl::StrCat("{\"servers\":[", absl::StrJoin(servers, ","), "]}");
  zk_cached_at_ms_ = now;
  return zk_cached_;
}

absl::StatusOr<std::string> Overview::VersionsJson(int limit) {
  ASSIGN_OR_RETURN(const std::vector<VersionRecord> versions, sources_.store->ListVersions(limit));
  v1::ListVersionsResponse response;
  for (const VersionRecord& v : versions) *response.add_versions() = VersionInfoOf(v);
  return ProtoJson(response);
}

absl::StatusOr<std::string> Overview::VersionJson(int64_t version) {
  ASSIGN_OR_RETURN(const v1::GetDesiredStateResponse current, sources_.state->Get(version));
  std::string before;
  if (version > 1) {
    // The one before may have been pruned: then the diff is against nothing.
    absl::StatusOr<v1::GetDesiredStateResponse> previous = sources_.state->Get(version - 1);
    if (previous.ok()) before = previous->spec_text();
  }
  const std::string diff =
      UnifiedDiff(before, current.spec_text(), absl::StrCat("version ", version - 1),
                  absl::StrCat("version ", version));
  return absl::StrCat("{\"version\":\"", current.version(),
                      "\",\"author\":", JsonString(current.author()),
                      ",\"comment\":", JsonString(current.comment()), ",\"created_ms\":\"",
                      current.created_ms(), "\",\"rollback_of\":\"", current.rollback_of(),
                      "\",\"spec_text\":", JsonString(current.spec_text()),
                      ",\"spec_diff\":", JsonString(diff), "}");
}

absl::StatusOr<std::string> Overview::TargetsJson(absl::string_view reached_host) {
  ASSIGN_OR_RETURN(const std::shared_ptr<const DesiredState::Current> plans,
                   sources_.state->CurrentPlans());
  ASSIGN_OR_RETURN(const std::vector<NodeRecord> nodes, sources_.store->ListNodes());
  std::map<std::string, std::string> metrics;
  for (const NodeRecord& n : nodes) metrics[n.name] = n.metrics_address;
  std::vector<std::string> groups;
  for (const v1::NodePlan& plan : plans->plans) {
    auto it = metrics.find(plan.node());
    if (it == metrics.end() || it->second.empty()) continue;  // never said where
    const std::string target = ScrapeAddress(it->second, plan.address());
    if (target.empty()) continue;
    groups.push_back(absl::StrCat(
        "{\"targets\":[", JsonString(target),
        "],\"labels\":{\"__meta_bamctl_component\":\"agent\","
        "\"__meta_bamctl_node\":",
        JsonString(plan.node()), ",\"__meta_bamctl_address\":", JsonString(plan.address()),
        ",\"__meta_bamctl_roles\":",
        JsonString(absl::StrCat(",", absl::StrJoin(plan.roles(), ","), ",")), "}}"));
  }
  if (!sources_.metrics_address.empty()) {
    std::string name = "controller";
    if (sources_.controllers) {
      absl::StatusOr<v1::GetControllersResponse> info = sources_.controllers();
      if (info.ok() && !info->self().address().empty()) name = info->self().address();
    }
    std::string target = sources_.metrics_address;
    if (!reached_host.empty()) target = ScrapeAddress(target, reached_host);
    groups.push_back(absl::StrCat("{\"targets\":[", JsonString(target),
                                  "],\"labels\":{\"__meta_bamctl_component\":\"controller\","
                                  "\"__meta_bamctl_controller\":",
                                  JsonString(name), "}}"));
  }
  return absl::StrCat("[", absl::StrJoin(groups, ","), "]");
}

}  // namespace bamctl
