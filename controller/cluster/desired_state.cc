#include "controller/cluster/desired_state.h"

#include <algorithm>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/hash.h"
#include "common/status_macros.h"
#include "common/text_diff.h"
#include "proto/enum_text.h"
#include "roles/driver/render_context.h"
#include "roles/render/node_renderer.h"
#include "roles/spec/spec_loader.h"
#include "roles/topology/compiler.h"

namespace bamctl {
namespace {

std::string FileName(const std::string& name) { return name.empty() ? "spec" : name; }

struct Loaded {
  LoadedSpec spec;
  v1::ClusterPlan plan;
};

// Validates and compiles; InvalidArgument carries every diagnostic.
absl::StatusOr<Loaded> LoadAndCompile(const std::string& text, const std::string& file) {
  Loaded out;
  out.spec = LoadSpec(text);
  if (!out.spec.ok()) {
    std::vector<std::string> lines;
    for (const Diagnostic& d : out.spec.diagnostics) lines.push_back(FormatDiagnostic(file, d));
    return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
  }
  ASSIGN_OR_RETURN(out.plan, CompileTopology(out.spec.spec));
  return out;
}

std::vector<std::string> Warnings(const LoadedSpec& spec, const std::string& file) {
  std::vector<std::string> out;
  for (const Diagnostic& d : spec.diagnostics) out.push_back(FormatDiagnostic(file, d));
  return out;
}

// node -> PlanHash: what the node is sent, its share of the host list
// included (hashed once, not once per node).
std::map<std::string, std::string> HashByNode(const std::vector<v1::NodePlan>& plans,
                                              const v1::HostList& hosts) {
  const std::string digest = HostsDigest(hosts);
  std::map<std::string, std::string> out;
  for (const v1::NodePlan& p : plans) out[p.node()] = PlanHash(p, digest);
  return out;
}

// Nodes whose plan (or, where it manages the hosts file, host list) is new,
// gone or different.
std::vector<std::string> ChangedNodes(const DesiredState::Current& before,
                                      const std::vector<v1::NodePlan>& after,
                                      const v1::HostList& after_hosts) {
  std::map<std::string, std::string> a;
  for (size_t i = 0; i < before.plans.size(); ++i) a[before.plans[i].node()] = before.hashes[i];
  std::map<std::string, std::string> b = HashByNode(after, after_hosts);
  std::vector<std::string> changed;
  for (const auto& [node, bytes] : b) {
    auto it = a.find(node);
    if (it == a.end() || it->second != bytes) changed.push_back(node);
  }
  for (const auto& [node, bytes] : a) {
    if (!b.contains(node)) changed.push_back(node);
  }
  return changed;
}

// path -> content of everything the agent would write for `plan`, rendered
// for display: secrets redacted, shipped files from the stock copies.
absl::StatusOr<std::map<std::string, std::string>> DisplayFiles(const v1::NodePlan& plan) {
  RedactingSecretSource secrets;
  RenderContext ctx;
  ctx.secrets = &secrets;
  ctx.fall_back_to_stock = true;
  ASSIGN_OR_RETURN(std::vector<ServicePlan> services, RenderNode(plan, ctx));
  ASSIGN_OR_RETURN(std::vector<ConfigFile> files, NodeFiles(services));
  std::map<std::string, std::string> out;
  for (ConfigFile& f : files) out[f.path] = std::move(f.content);
  return out;
}

}  // namespace

std::string HostsDigest(const v1::HostList& hosts) { return Sha256Hex(hosts.SerializeAsString()); }

std::string PlanHash(const v1::NodePlan& plan, absl::string_view hosts_digest) {
  std::string bytes = plan.SerializeAsString();
  if (plan.manage_hosts_file()) absl::StrAppend(&bytes, "\nhosts ", hosts_digest);
  return Sha256Hex(bytes);
}

const v1::NodePlan* DesiredState::Current::Find(const std::string& node) const {
  auto it = by_node.find(node);
  return it == by_node.end() ? nullptr : &plans[it->second];
}

absl::StatusOr<std::shared_ptr<const DesiredState::Current>> DesiredState::CurrentPlans() {
  absl::MutexLock lock(&cache_mu_);
  if (cache_ != nullptr) return cache_;
  auto current = std::make_shared<Current>();
  ASSIGN_OR_RETURN(current->epoch, store_->Epoch());
  ASSIGN_OR_RETURN(current->version, store_->CurrentVersion());
  if (current->version > 0) {
    ASSIGN_OR_RETURN(current->plans, store_->GetPlans(current->version));
    ASSIGN_OR_RETURN(v1::HostList hosts, store_->GetHosts(current->version));
    current->hosts = std::make_shared<const v1::HostList>(std::move(hosts));
    ASSIGN_OR_RETURN(v1::ClusterSpec spec, store_->GetEffectiveSpec(current->version));
    // A version stored before the budget existed has none: the default.
    if (spec.has_max_nodes_disrupted() && spec.max_nodes_disrupted() > 0) {
      current->max_nodes_disrupted = static_cast<int>(spec.max_nodes_disrupted());
    }
  }
  const std::string digest = HostsDigest(*current->hosts);
  for (size_t i = 0; i < current->plans.size(); ++i) {
    current->hashes.push_back(PlanHash(current->plans[i], digest));
    current->by_node[current->plans[i].node()] = i;
  }
  cache_ = std::move(current);
  return cache_;
}

absl::StatusOr<bool> DesiredState::ObserveAgent(const std::string& node, int64_t held_epoch,
                                                int64_t held_version) {
  int64_t version = 0;
  {
    absl::MutexLock lock(&take_back_mu_);
    ASSIGN_OR_RETURN(std::shared_ptr<const Current> current, CurrentPlans());
    const bool newer_epoch = held_epoch > current->epoch;
    const bool newer_version = held_epoch == current->epoch && held_version > current->version;
    if (!newer_epoch && !newer_version) return false;
    version = current->version;
    const int64_t next = std::max(current->epoch, held_epoch) + 1;
    const std::string ours =
        current->version == 0
            ? absl::StrCat("this controller has no version yet (epoch ", current->epoch, ")")
            : absl::StrCat("this controller's newest is version ", current->version, " of epoch ",
                           current->epoch);
    const std::string message = absl::StrCat(
        "node ", node, " holds version ", held_version, " of epoch ", held_epoch, ", but ", ours,
        " (restored from an older backup, or a new database?): the controller takes the cluster "
        "back in epoch ",
        next, "; agents replace what they hold with its plans",
        current->version == 0 ? " from the first apply on" : "");
    RETURN_IF_ERROR(Annotate(store_->AdvanceEpoch(next, node, message), "taking the cluster back"));
    Invalidate();
  }
  if (listener_) listener_(version);
  return true;
}

absl::StatusOr<std::string> DesiredState::SpecText(int64_t version) {
  if (version == 0) return std::string();
  ASSIGN_OR_RETURN(VersionRecord record, store_->GetVersion(version));
  return std::move(record.spec_text);
}

void DesiredState::Invalidate() {
  absl::MutexLock lock(&cache_mu_);
  cache_.reset();
}

absl::StatusOr<v1::ApplyResponse> DesiredState::Apply(const v1::ApplyRequest& request) {
  const std::string file = FileName(request.file_name());
  ASSIGN_OR_RETURN(Loaded loaded, LoadAndCompile(request.spec_text(), file));
  ASSIGN_OR_RETURN(std::shared_ptr<const Current> current_ptr, CurrentPlans());
  const Current& current = *current_ptr;
  ASSIGN_OR_RETURN(std::string current_text, SpecText(current.version));
  std::vector<v1::NodePlan> plans;
  plans.reserve(loaded.plan.nodes_size());
  for (v1::NodePlan& node : *loaded.plan.mutable_nodes()) plans.push_back(std::move(node));

  v1::ApplyResponse response;
  response.set_spec_diff(UnifiedDiff(current_text, request.spec_text(),
                                     absl::StrCat("version ", current.version), file));
  for (std::string& node : ChangedNodes(current, plans, loaded.plan.hosts())) {
    response.add_changed_nodes(node);
  }
  for (std::string& w : Warnings(loaded.spec, file)) response.add_warnings(w);

  if (request.dry_run()) {
    if (request.has_expected_version() && request.expected_version() != current.version) {
      return absl::FailedPreconditionError(
          absl::StrCat("the desired state changed: expected version ", request.expected_version(),
                       " but the current version is ", current.version));
    }
    response.set_dry_run(true);
    response.set_version(current.version);
    response.set_unchanged(request.spec_text() == current_text && current.version > 0);
    return response;
  }
  CommitRequest commit;
  commit.spec_text = request.spec_text();
  commit.effective_spec = loaded.spec.spec;
  commit.plans = std::move(plans);
  commit.hosts = std::move(*loaded.plan.mutable_hosts());
  commit.author = request.author();
  commit.comment = request.comment();
  if (request.has_expected_version()) commit.expected_version = request.expected_version();
  ASSIGN_OR_RETURN(CommitResult result, store_->CommitVersion(commit));
  response.set_version(result.version);
  response.set_unchanged(result.unchanged);
  if (result.unchanged) return response;
  Invalidate();
  if (listener_) listener_(result.version);
  if (rollouts_ != nullptr && (request.rollout() || loaded.spec.spec.auto_rolling_restart())) {
    ASSIGN_OR_RETURN(int64_t op,
                     Annotate(rollouts_->RequestPendingRollout(result.version, request.author()),
                              absl::StrCat("version ", result.version,
                                           " is stored, but its auto-rollout is not")));
    response.set_rollout_operation(op);
  }
  return response;
}

absl::StatusOr<v1::ApplyResponse> DesiredState::Rollback(const v1::RollbackRequest& request) {
  ASSIGN_OR_RETURN(std::shared_ptr<const Current> before_ptr, CurrentPlans());
  const Current& before = *before_ptr;
  ASSIGN_OR_RETURN(std::string before_text, SpecText(before.version));
  std::optional<int64_t> expected;
  if (request.has_expected_version()) expected = request.expected_version();
  ASSIGN_OR_RETURN(CommitResult result,
                   store_->Rollback(request.version(), request.author(), expected));
  ASSIGN_OR_RETURN(std::vector<v1::NodePlan> after, store_->GetPlans(result.version));
  ASSIGN_OR_RETURN(v1::HostList after_hosts, store_->GetHosts(result.version));
  ASSIGN_OR_RETURN(VersionRecord restored, store_->GetVersion(result.version));
  v1::ApplyResponse response;
  response.set_version(result.version);
  response.set_spec_diff(UnifiedDiff(before_text, restored.spec_text,
                                     absl::StrCat("version ", before.version),
                                     absl::StrCat("version ", request.version())));
  for (std::string& node : ChangedNodes(before, after, after_hosts)) {
    response.add_changed_nodes(node);
  }
  Invalidate();
  if (listener_) listener_(result.version);
  return response;
}

absl::StatusOr<v1::DiffResponse> DesiredState::Diff(const v1::DiffRequest& request) {
  const std::string file = FileName(request.file_name());
  ASSIGN_OR_RETURN(Loaded loaded, LoadAndCompile(request.spec_text(), file));
  ASSIGN_OR_RETURN(std::shared_ptr<const Current> current_ptr, CurrentPlans());
  const Current& current = *current_ptr;
  ASSIGN_OR_RETURN(std::string current_text, SpecText(current.version));
  v1::DiffResponse response;
  response.set_current_version(current.version);
  response.set_spec_diff(UnifiedDiff(current_text, request.spec_text(),
                                     absl::StrCat("version ", current.version), file));
  std::map<std::string, const v1::NodePlan*> old_plans;
  for (const v1::NodePlan& p : current.plans) old_plans[p.node()] = &p;
  std::map<std::string, const v1::NodePlan*> new_plans;
  for (const v1::NodePlan& p : loaded.plan.nodes()) new_plans[p.node()] = &p;
  std::map<std::string, bool> nodes;
  for (const auto& [n, p] : old_plans) nodes[n] = true;
  for (const auto& [n, p] : new_plans) nodes[n] = true;
  for (const auto& [node, unused] : nodes) {
    std::map<std::string, std::string> before;
    std::map<std::string, std::string> after;
    if (auto it = old_plans.find(node); it != old_plans.end()) {
      ASSIGN_OR_RETURN(before, DisplayFiles(*it->second));
    }
    if (auto it = new_plans.find(node); it != new_plans.end()) {
      ASSIGN_OR_RETURN(after, DisplayFiles(*it->second));
    }
    std::map<std::string, bool> paths;
    for (const auto& [p, c] : before) paths[p] = true;
    for (const auto& [p, c] : after) paths[p] = true;
    v1::NodeDiff node_diff;
    node_diff.set_node(node);
    for (const auto& [path, unused_path] : paths) {
      std::string diff =
          UnifiedDiff(before[path], after[path],
                      absl::StrCat(node, ":", path, " (version ", current.version, ")"),
                      absl::StrCat(node, ":", path, " (", file, ")"));
      if (diff.empty()) continue;
      v1::FileDiff* f = node_diff.add_files();
      f->set_path(path);
      f->set_diff(std::move(diff));
    }
    if (node_diff.files_size() > 0) *response.add_nodes() = std::move(node_diff);
  }
  return response;
}

absl::StatusOr<v1::GetDesiredStateResponse> DesiredState::Get(int64_t version) {
  if (version == 0) {
    ASSIGN_OR_RETURN(version, store_->CurrentVersion());
    if (version == 0) return absl::NotFoundError("no desired state has been applied yet");
  }
  ASSIGN_OR_RETURN(VersionRecord record, store_->GetVersion(version));
  ASSIGN_OR_RETURN(v1::ClusterSpec spec, store_->GetEffectiveSpec(version));
  v1::GetDesiredStateResponse response;
  response.set_version(record.version);
  response.set_spec_text(record.spec_text);
  *response.mutable_effective_spec() = std::move(spec);
  response.set_author(record.author);
  response.set_comment(record.comment);
  response.set_created_ms(record.created_ms);
  response.set_rollback_of(record.rollback_of);
  return response;
}

absl::StatusOr<v1::GetStatusResponse> DesiredState::Status() {
  ASSIGN_OR_RETURN(std::shared_ptr<const Current> current_ptr, CurrentPlans());
  const Current& current = *current_ptr;
  ASSIGN_OR_RETURN(std::vector<NodeRecord> records, store_->ListNodes());
  std::map<std::string, const NodeRecord*> by_name;
  for (const NodeRecord& r : records) by_name[r.name] = &r;
  v1::GetStatusResponse response;
  response.set_desired_version(current.version);
  response.set_epoch(current.epoch);
  bool all = current.version > 0;
  for (size_t i = 0; i < current.plans.size(); ++i) {
    const v1::NodePlan& plan = current.plans[i];
    v1::NodeStatus* status = response.add_nodes();
    status->set_node(plan.node());
    status->set_address(plan.address());
    status->set_desired_version(current.version);
    std::string reason = "no agent has connected";
    if (auto it = by_name.find(plan.node()); it != by_name.end()) {
      const NodeRecord& r = *it->second;
      status->set_connected(r.connected);
      status->set_last_seen_ms(r.last_seen_ms);
      status->set_agent_version(r.agent_version);
      status->set_applied_version(r.applied_version);
      status->set_applied_epoch(r.report_extra.applied_epoch());
      for (const v1::RoleStatus& role : r.roles) *status->add_roles() = role;
      *status->mutable_preflight() = r.report_extra.preflight();
      *status->mutable_notices() = r.report_extra.notices();
      status->set_clock_offset_ms(r.report_extra.clock_offset_ms());
      status->set_holds_desired_plan(r.applied_plan_hash == current.hashes[i]);
      reason.clear();
      if (!r.connected) {
        reason = "agent not connected";
      } else if (r.applied_plan_hash != current.hashes[i]) {
        reason =
            absl::StrCat("agent holds version ", r.applied_version, ", desired ", current.version);
      } else {
        for (const v1::RoleStatus& role : r.roles) {
          if (role.health() != v1::HEALTH_HEALTHY && reason.empty()) {
            reason = absl::StrCat(role.service(), " is ", EnumText(role.health()),
                                  role.reason().empty() ? "" : ": ", role.reason());
          }
        }
      }
    }
    const bool converged = reason.empty();
    status->set_reason(reason);
    status->set_converged(converged);
    all = all && converged;
  }
  response.set_converged(all);
  return response;
}

}  // namespace bamctl
