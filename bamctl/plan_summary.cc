#include "bamctl/plan_summary.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "roles/driver/endpoint.h"

namespace bamctl {
namespace {

void SummarizeNode(const v1::NodePlan& node, std::string* out) {
  absl::StrAppend(out, node.node(), " (", node.address(), "): ", absl::StrJoin(node.roles(), ", "),
                  "\n");
  if (node.has_hadoop()) {
    const v1::HadoopPlan& h = node.hadoop();
    absl::StrAppend(out, "  hadoop     fs.default.name=", Url("hdfs", h.namenode()),
                    " mapred.job.tracker=", HostPort(h.jobtracker()));
    if (!h.masters().empty()) absl::StrAppend(out, " masters=", absl::StrJoin(h.masters(), ","));
    if (!h.slaves().empty()) absl::StrAppend(out, " slaves=", absl::StrJoin(h.slaves(), ","));
    if (!h.job_submission_acl().empty()) {
      absl::StrAppend(out, " job.submission.acl=", h.job_submission_acl());
    }
    absl::StrAppend(out, "\n");
  }
  if (node.has_zookeeper()) {
    const v1::ZooKeeperPlan& z = node.zookeeper();
    std::vector<std::string> servers;
    for (const v1::ZooKeeperServer& s : z.servers()) {
      servers.push_back(absl::StrCat("server.", s.id(), "=", HostPort(s.host(), s.peer_port()), ":",
                                     s.election_port()));
    }
    absl::StrAppend(out, "  zookeeper  myid=", z.myid(), " ", absl::StrJoin(servers, " "), "\n");
  }
  if (node.has_cassandra()) {
    const v1::CassandraPlan& c = node.cassandra();
    absl::StrAppend(out, "  cassandra  initial_token=", c.initial_token(),
                    " seeds=", absl::StrJoin(c.seeds(), ","), " partitioner=", c.partitioner(),
                    "\n");
  }
  if (node.has_bam()) {
    const v1::BamPlan& b = node.bam();
    std::vector<std::string> parts;
    if (b.receiver()) parts.push_back("receiver");
    if (b.analyzer()) parts.push_back("analyzer");
    if (b.dashboard()) parts.push_back("dashboard");
    absl::StrAppend(out, "  bam        ", absl::StrJoin(parts, "+"), " https=", b.https_port());
    if (b.analyzer()) {
      absl::StrAppend(out, " toolbox-deployer=", b.keep_toolbox_deployer() ? "kept" : "removed");
    }
    absl::StrAppend(
        out, " cassandra=",
        absl::StrJoin(b.cassandra_nodes(), ",",
                      [](std::string* o, const v1::Endpoint& e) { o->append(HostPort(e)); }),
        "\n");
    for (const v1::DataSourcePlan& ds : b.datasources()) {
      absl::StrAppend(out, "             ", ds.name(), " ",
                      Url("jdbc:mysql", b.mysql(), absl::StrCat("/", ds.database())),
                      " user=", ds.username(), " password=<file ", ds.password_file(), ">\n");
    }
  }
}

}  // namespace

std::string SummarizePlan(const v1::ClusterPlan& plan) {
  std::string out =
      absl::StrCat("cluster ", plan.cluster_name(), ": ", plan.nodes_size(), " nodes\n");
  for (const v1::NodePlan& node : plan.nodes()) SummarizeNode(node, &out);
  return out;
}

}  // namespace bamctl
