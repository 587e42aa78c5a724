#include "roles/render/node_renderer.h"

#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "roles/bam/bam_driver.h"
#include "roles/cassandra/cassandra_driver.h"
#include "roles/hadoop/hadoop_driver.h"
#include "roles/zookeeper/zookeeper_driver.h"

namespace bamctl {

namespace {

// Runs `fn` on every driver, in the order of a node's services.
template <typename Fn>
absl::Status ForEachDriver(Fn fn) {
  const ZooKeeperDriver zookeeper;
  const CassandraDriver cassandra;
  const HadoopDriver hadoop;
  const BamDriver bam;
  const RoleDriver* const drivers[] = {&zookeeper, &cassandra, &hadoop, &bam};
  for (const RoleDriver* driver : drivers) RETURN_IF_ERROR(fn(*driver));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<ServicePlan>> RenderNode(const v1::NodePlan& plan,
                                                    const RenderContext& ctx) {
  std::vector<ServicePlan> services;
  absl::Status done = ForEachDriver([&](const RoleDriver& driver) -> absl::Status {
    absl::StatusOr<std::vector<ServicePlan>> rendered = driver.Render(plan, ctx);
    if (!rendered.ok()) return rendered.status();
    for (ServicePlan& s : *rendered) services.push_back(std::move(s));
    return absl::OkStatus();
  });
  if (!done.ok()) return Annotate(done, absl::StrCat("node ", plan.node()));
  return services;
}

absl::StatusOr<std::vector<ServiceDescription>> DescribeNode(const v1::NodePlan& plan,
                                                             absl::string_view root) {
  std::vector<ServiceDescription> services;
  absl::Status done = ForEachDriver([&](const RoleDriver& driver) -> absl::Status {
    absl::StatusOr<std::vector<ServiceDescription>> described = driver.Describe(plan, root);
    if (!described.ok()) return described.status();
    for (ServiceDescription& s : *described) services.push_back(std::move(s));
    return absl::OkStatus();
  });
  if (!done.ok()) return Annotate(done, absl::StrCat("node ", plan.node()));
  return services;
}

absl::StatusOr<std::vector<ConfigFile>> NodeFiles(const std::vector<ServicePlan>& services) {
  std::map<std::string, const ConfigFile*> by_path;
  for (const ServicePlan& s : services) {
    for (const ConfigFile& f : s.files) {
      auto [it, fresh] = by_path.emplace(f.path, &f);
      if (!fresh && (it->second->content != f.content || it->second->mode != f.mode)) {
        return absl::InternalError(
            absl::StrCat("two services render ", f.path, " differently (", s.name, ")"));
      }
    }
  }
  std::vector<ConfigFile> files;
  files.reserve(by_path.size());
  for (const auto& [path, file] : by_path) files.push_back(*file);
  return files;
}

}  // namespace bamctl
