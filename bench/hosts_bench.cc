// Issue 12 ("bounded resources"): a large spec with manage_hosts_file. For
// 1,000 and 4,000 nodes (by default) it measures, over repeats:
//   compile  LoadSpec + CompileTopology (what `bamctl plan` and every apply
//            run), percentiles;
//   dry-run  the controller's DesiredState::Apply with dry_run against a
//            store holding the same cluster (compile, plan hashes, changed
//            nodes), percentiles;
//   peak RSS of one dry run in a fresh child process (wait4's ru_maxrss),
//            so each size is measured alone;
//   plan     the compiled ClusterPlan's serialized size and host entries,
// and each figure's ratio against the smallest size (linear: ~4x for 4x).
// Issue 17: a restarting rollout step resolves its service every tick
// (250 ms), and a whole-cluster step resolves it over every node; it also
// measures TargetResolver::ResolveService("datanode") on that store cold
// (every node described, as each call was before descriptions were kept
// per version) and warm (kept), percentiles and their ratio.
//
// Usage: hosts_bench [--nodes=1000,4000] [--runs=R]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/timing.h"
#include "common/clock.h"
#include "controller/cluster/desired_state.h"
#include "controller/rollout/targets.h"
#include "controller/store/store.h"
#include "roles/spec/spec_loader.h"
#include "roles/topology/compiler.h"

namespace {

using bamctl::bench::Measure;
using bamctl::bench::Stats;

// A seed-shaped cluster of `nodes` nodes that manages hosts files: one
// Hadoop + BAM master, a secondary namenode + BAM node, three ZooKeeper +
// Cassandra nodes, and datanode + tasktracker workers.
std::string GenerateSpec(int nodes, absl::string_view tick = "2000") {
  std::string yaml = absl::StrCat(
      "name: bench\nmanage_hosts_file: true\nzookeeper:\n  tick_time_ms: ", tick, "\nnodes:\n");
  absl::StrAppend(&yaml,
                  "- {name: m1, address: 10.0.0.1, roles: [namenode, jobtracker, bam-receiver, "
                  "bam-analyzer, bam-dashboard]}\n"
                  "- {name: m2, address: 10.0.0.2, roles: [secondarynamenode, bam-receiver, "
                  "bam-dashboard]}\n");
  for (int i = 0; i < nodes - 2; ++i) {
    absl::StrAppend(&yaml, "- {name: w", i, ", address: 10.", 1 + i / 65536, ".", (i / 256) % 256,
                    ".", i % 256, ", roles: [", i < 3 ? "zookeeper, cassandra, " : "",
                    "datanode, tasktracker]}\n");
  }
  absl::StrAppend(&yaml,
                  "bam:\n  registry_datasource: {password_file: /etc/s/reg}\n"
                  "  summary_datasource: {password_file: /etc/s/bam}\n"
                  "mysql: {host: db}\n");
  return yaml;
}

// A store in a fresh directory holding `base` as version 1.
struct Controller {
  std::filesystem::path dir;
  std::unique_ptr<bamctl::Store> store;
  std::unique_ptr<bamctl::DesiredState> state;
};

bool OpenController(const std::string& base, Controller* out) {
  out->dir = std::filesystem::temp_directory_path() /
             absl::StrCat("hosts_bench.", getpid(), ".", rand());  // NOLINT: bench scratch
  std::filesystem::create_directories(out->dir);
  absl::StatusOr<std::unique_ptr<bamctl::Store>> store =
      bamctl::Store::Open((out->dir / "state.db").string(), bamctl::SystemClock::Get());
  if (!store.ok()) {
    std::fprintf(stderr, "store: %s\n", store.status().ToString().c_str());
    return false;
  }
  out->store = *std::move(store);
  out->state = std::make_unique<bamctl::DesiredState>(out->store.get());
  bamctl::v1::ApplyRequest apply;
  apply.set_spec_text(base);
  absl::StatusOr<bamctl::v1::ApplyResponse> applied = out->state->Apply(apply);
  if (!applied.ok()) {
    std::fprintf(stderr, "apply: %s\n", applied.status().ToString().c_str());
    return false;
  }
  return true;
}

// One dry run: what `bamctl desired-state apply --dry-run` costs the
// controller. Returns the number of changed nodes, or -1.
int DryRun(bamctl::DesiredState& state, const std::string& text) {
  bamctl::v1::ApplyRequest request;
  request.set_spec_text(text);
  request.set_dry_run(true);
  absl::StatusOr<bamctl::v1::ApplyResponse> response = state.Apply(request);
  return response.ok() ? response->changed_nodes_size() : -1;
}

// Peak RSS (KiB) of a child that opens a store holding `base` and dry-runs
// `changed` once; -1 on failure.
int64_t PeakRssKib(const std::string& base, const std::string& changed) {
  const pid_t pid = fork();
  if (pid == 0) {
    Controller c;
    const bool ok = OpenController(base, &c) && DryRun(*c.state, changed) >= 0;
    std::filesystem::remove_all(c.dir);
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  rusage usage{};
  if (pid < 0 || wait4(pid, &status, 0, &usage) != pid || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    return -1;
  }
  return usage.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes = {1000, 4000};
  int runs = 20;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (absl::StartsWith(arg, "--runs=")) (void)absl::SimpleAtoi(arg.substr(7), &runs);
    if (absl::StartsWith(arg, "--nodes=")) {
      sizes.clear();
      for (absl::string_view n : absl::StrSplit(arg.substr(8), ',')) {
        int v = 0;
        if (absl::SimpleAtoi(n, &v) && v >= 5) sizes.push_back(v);
      }
    }
  }
  std::printf("%6s %8s %8s %8s %10s %10s %10s %10s %10s %10s %10s\n", "nodes", "spec KB", "plan KB",
              "hosts", "compile50", "compile90", "compile99", "dryrun50", "dryrun90", "dryrun99",
              "peak MiB");
  double first_compile = 0;
  double first_dry = 0;
  double first_rss = 0;
  double first_plan = 0;
  int first_nodes = 0;
  for (int nodes : sizes) {
    const std::string base = GenerateSpec(nodes);
    const std::string changed = GenerateSpec(nodes, "3000");  // every ZooKeeper node changes
    bamctl::LoadedSpec loaded = bamctl::LoadSpec(base);
    if (!loaded.ok()) {
      std::fprintf(stderr, "generated spec invalid: %s\n",
                   bamctl::FormatDiagnostic("gen", loaded.diagnostics[0]).c_str());
      return 1;
    }
    absl::StatusOr<bamctl::v1::ClusterPlan> plan = bamctl::CompileTopology(loaded.spec);
    if (!plan.ok()) {
      std::fprintf(stderr, "compile: %s\n", plan.status().ToString().c_str());
      return 1;
    }
    int64_t host_entries = plan->hosts().entries_size();
    for (const bamctl::v1::NodePlan& n : plan->nodes()) host_entries += n.hosts_size();
    const double plan_kb = static_cast<double>(plan->ByteSizeLong()) / 1024;

    Stats compile = Measure(runs, [&] {
      bamctl::LoadedSpec l = bamctl::LoadSpec(base);
      (void)bamctl::CompileTopology(l.spec);
    });
    Controller c;
    if (!OpenController(base, &c)) return 1;
    if (DryRun(*c.state, changed) < 0) return 1;
    Stats dry = Measure(runs, [&] { DryRun(*c.state, changed); });
    absl::StatusOr<bamctl::v1::GetStatusResponse> status = c.state->Status();
    if (!status.ok()) return 1;
    Stats cold = Measure(runs, [&] {
      bamctl::TargetResolver fresh(c.state.get());
      (void)fresh.ResolveService("datanode", *status);
    });
    bamctl::TargetResolver kept(c.state.get());
    (void)kept.ResolveService("datanode", *status);
    Stats warm = Measure(runs, [&] { (void)kept.ResolveService("datanode", *status); });
    std::filesystem::remove_all(c.dir);
    const int64_t rss_kib = PeakRssKib(base, changed);
    const double rss_mib = static_cast<double>(rss_kib) / 1024;
    std::printf("%6d %8.1f %8.1f %8" PRId64 " %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f\n",
                nodes, static_cast<double>(base.size()) / 1024, plan_kb, host_entries,
                compile.p50_ms, compile.p90_ms, compile.p99_ms, dry.p50_ms, dry.p90_ms, dry.p99_ms,
                rss_mib);
    std::printf(
        "  resolve datanode per tick: cold p50 %.2f p90 %.2f p99 %.2f ms, kept p50 %.3f p90 %.3f "
        "p99 %.3f ms (%.0fx at p50)\n",
        cold.p50_ms, cold.p90_ms, cold.p99_ms, warm.p50_ms, warm.p90_ms, warm.p99_ms,
        cold.p50_ms / std::max(warm.p50_ms, 1e-6));
    if (first_nodes == 0) {
      first_nodes = nodes;
      first_compile = compile.p50_ms;
      first_dry = dry.p50_ms;
      first_rss = rss_mib;
      first_plan = plan_kb;
    } else {
      std::printf(
          "  %d vs %d nodes (%.1fx): compile p50 %.2fx, dry run p50 %.2fx, plan size %.2fx, "
          "peak RSS %.2fx\n",
          nodes, first_nodes, static_cast<double>(nodes) / first_nodes,
          compile.p50_ms / first_compile, dry.p50_ms / first_dry, plan_kb / first_plan,
          rss_mib / first_rss);
    }
  }
  return 0;
}
