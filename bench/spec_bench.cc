// Measures LoadSpec (parse + defaults + validate) and CompileTopology on
// generated clusters of growing size, and reports percentiles and how the
// cost per node grows. The controller runs both on every apply, so their
// scaling decides how large a cluster one apply can handle.
//
// Usage: spec_bench [--max_nodes=N] [--runs=R]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bench/timing.h"
#include "roles/spec/spec_loader.h"
#include "roles/topology/compiler.h"

namespace {

using bamctl::bench::Measure;
using bamctl::bench::Stats;

// A seed-shaped cluster: two BAM + Hadoop master nodes, three ZooKeeper
// servers, and `workers` datanode + tasktracker + Cassandra nodes.
std::string GenerateSpec(int workers) {
  std::string yaml = "name: bench\nnodes:\n";
  absl::StrAppend(&yaml,
                  "  - {name: m1, address: 10.0.0.1, roles: [namenode, jobtracker, bam-receiver, "
                  "bam-analyzer, bam-dashboard]}\n"
                  "  - {name: m2, address: 10.0.0.2, roles: [secondarynamenode, bam-receiver, "
                  "bam-analyzer, bam-dashboard]}\n");
  for (int i = 0; i < workers; ++i) {
    absl::StrAppend(&yaml, "  - {name: w", i, ", address: 10.", 1 + i / 65536, ".", (i / 256) % 256,
                    ".", i % 256, ", roles: [datanode, tasktracker, cassandra",
                    i < 3 ? ", zookeeper" : "", "]}\n");
  }
  absl::StrAppend(&yaml,
                  "bam:\n  registry_datasource: {password_file: /etc/s/reg}\n"
                  "  summary_datasource: {password_file: /etc/s/bam}\n"
                  "mysql: {host: db}\n");
  return yaml;
}

}  // namespace

int main(int argc, char** argv) {
  int max_nodes = 5000;
  int runs = 30;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (absl::StartsWith(arg, "--max_nodes=")) (void)absl::SimpleAtoi(arg.substr(12), &max_nodes);
    if (absl::StartsWith(arg, "--runs=")) (void)absl::SimpleAtoi(arg.substr(7), &runs);
  }
  std::printf("%7s %-8s %9s %9s %9s %12s %14s\n", "nodes", "op", "p50 ms", "p90 ms", "p99 ms",
              "us/node p50", "x per 10x n");
  double prev_load = 0;
  double prev_compile = 0;
  for (int nodes = 5; nodes <= max_nodes; nodes *= 10) {
    const std::string yaml = GenerateSpec(nodes - 2);
    bamctl::LoadedSpec loaded = bamctl::LoadSpec(yaml);
    if (!loaded.ok()) {
      std::fprintf(stderr, "generated spec invalid: %s\n",
                   bamctl::FormatDiagnostic("gen", loaded.diagnostics[0]).c_str());
      return 1;
    }
    const int n_runs = nodes >= 5000 ? std::max(3, runs / 10) : runs;
    Stats load = Measure(n_runs, [&] { bamctl::LoadSpec(yaml); });
    Stats compile = Measure(n_runs, [&] { (void)bamctl::CompileTopology(loaded.spec); });
    auto row = [&](const char* op, const Stats& s, double prev) {
      std::string ratio = prev > 0 ? absl::StrCat(s.p50_ms / prev) : "-";
      std::printf("%7d %-8s %9.3f %9.3f %9.3f %12.2f %14s\n", nodes, op, s.p50_ms, s.p90_ms,
                  s.p99_ms, 1000 * s.p50_ms / nodes, ratio.c_str());
    };
    row("load", load, prev_load);
    row("compile", compile, prev_compile);
    prev_load = load.p50_ms;
    prev_compile = compile.p50_ms;
  }
  return 0;
}
