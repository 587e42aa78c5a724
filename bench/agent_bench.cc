// bam-agentd's cost and its restart latency, on the seed's cluster run
// locally (tests/integration's LocalCluster: a real controller, five real
// agents, the real ZooKeeper ensemble, emulated Hadoop, Cassandra and BAM).
//
// 1. Idle cost: once converged, each agent's CPU time (utime + stime from
//    /proc) over --idle_seconds, as % of one core, and its RSS (VmRSS) and
//    peak RSS (VmHWM). Agents run with their default probe interval (2 s)
//    and resync (5 s).
// 2. Detection-to-restart latency: --kills times, kill -9 node4's Cassandra
//    emulator and time until its replacement process exists (found by the
//    agents' environment marker in /proc, polled every 1 ms; the poll
//    itself takes about a millisecond). The agents run with
//    --backoff_initial_ms=0, so this is detection (pidfd) + the reconcile
//    pass + fork/exec, without the backoff a real agent adds.
//
// Usage: agent_bench [--idle_seconds=60] [--kills=20]
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/integration/local_cluster.h"
#include "tests/util/test_util.h"

ABSL_FLAG(int, idle_seconds, 60, "window for the idle CPU measurement");
ABSL_FLAG(int, kills, 20, "kill -9 rounds for the restart latency");

namespace {

namespace fs = std::filesystem;
using bamctl::testing::LocalCluster;
using SteadyClock = std::chrono::steady_clock;

struct ProcStat {
  double cpu_seconds = 0;
  int64_t rss_kib = 0;
  int64_t hwm_kib = 0;
  int64_t pss_kib = 0;      // proportional: shared pages divided among their users
  int64_t private_kib = 0;  // Private_Dirty: memory the agent alone holds
  int64_t threads = 0;
};

ProcStat Read(pid_t pid) {
  ProcStat out;
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  std::getline(stat, line);
  const size_t close = line.rfind(')');
  if (close != std::string::npos) {
    std::vector<std::string> f = absl::StrSplit(line.substr(close + 2), ' ');
    int64_t utime = 0;
    int64_t stime = 0;
    if (f.size() > 12 && absl::SimpleAtoi(f[11], &utime) && absl::SimpleAtoi(f[12], &stime)) {
      out.cpu_seconds =
          static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
  }
  for (const char* file : {"status", "smaps_rollup"}) {
    std::ifstream in(absl::StrCat("/proc/", pid, "/", file));
    while (std::getline(in, line)) {
      int64_t kib = 0;
      std::vector<std::string> f = absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
      if (f.size() >= 2 && absl::SimpleAtoi(f[1], &kib)) {
        if (f[0] == "VmRSS:") out.rss_kib = kib;
        if (f[0] == "VmHWM:") out.hwm_kib = kib;
        if (f[0] == "Pss:") out.pss_kib = kib;
        if (f[0] == "Private_Dirty:") out.private_kib = kib;
        if (f[0] == "Threads:") out.threads = kib;
      }
    }
  }
  return out;
}

// How many threads of each name the process runs (/proc/PID/task/*/comm):
// the agent names its own threads; gRPC and civetweb name theirs.
std::map<std::string, int> ThreadNames(pid_t pid) {
  std::map<std::string, int> out;
  std::error_code ec;
  for (const fs::directory_entry& task :
       fs::directory_iterator(absl::StrCat("/proc/", pid, "/task"), ec)) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name)) ++out[name];
  }
  return out;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(std::lround(p * static_cast<double>(v.size() - 1)))];
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  setenv("BAMCTL_CONTROLLER_BIN", BAMCTL_CONTROLLER_BIN, 0);
  setenv("BAMCTL_AGENTD_BIN", BAMCTL_AGENTD_BIN, 0);
  setenv("BAMCTL_EMULATOR_BIN", BAMCTL_EMULATOR_BIN, 0);
  setenv("BAMCTL_SOURCE_DIR", BAMCTL_SOURCE_DIR, 0);

  const fs::path dir = fs::temp_directory_path() / absl::StrCat("agent_bench_", getpid());
  fs::create_directories(dir);
  LocalCluster::Options options;
  options.address_base = "127.0.4";
  options.agent_flags = {"--backoff_initial_ms=0"};
  absl::StatusOr<std::unique_ptr<LocalCluster>> cluster = LocalCluster::Create(
      dir, bamctl::testing::ReadSourceFile("examples/seed-cluster.yaml"), options);
  if (!cluster.ok()) {
    std::fprintf(stderr, "%s\n", cluster.status().ToString().c_str());
    return 1;
  }
  LocalCluster& c = **cluster;
  if (absl::Status s = c.StartAgents(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  const auto t0 = SteadyClock::now();
  absl::StatusOr<bamctl::v1::GetStatusResponse> status = c.WaitConverged(std::chrono::minutes(3));
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.status().ToString().c_str());
    return 1;
  }
  std::printf("seed cluster converged %.1f s after the agents started\n\n",
              std::chrono::duration<double>(SteadyClock::now() - t0).count());

  // 1. Idle cost.
  const int idle = absl::GetFlag(FLAGS_idle_seconds);
  std::vector<ProcStat> before;
  for (const std::string& node : c.nodes()) before.push_back(Read(c.AgentPid(node)));
  std::this_thread::sleep_for(std::chrono::seconds(idle));
  std::printf(
      "idle over %d s   services  CPU %%core   RSS MiB   peak RSS MiB   PSS MiB   private MiB  "
      "threads\n",
      idle);
  for (size_t i = 0; i < c.nodes().size(); ++i) {
    const std::string& node = c.nodes()[i];
    ProcStat after = Read(c.AgentPid(node));
    const bamctl::v1::NodeStatus& ns = status->nodes(static_cast<int>(i));
    std::printf(
        "  %-14s %8d  %9.3f  %8.1f  %13.1f  %8.1f  %12.1f  %7lld\n", node.c_str(), ns.roles_size(),
        100.0 * (after.cpu_seconds - before[i].cpu_seconds) / idle,
        static_cast<double>(after.rss_kib) / 1024.0, static_cast<double>(after.hwm_kib) / 1024.0,
        static_cast<double>(after.pss_kib) / 1024.0,
        static_cast<double>(after.private_kib) / 1024.0, static_cast<long long>(after.threads));
  }
  // The busiest node's threads by name: which are the agent's own.
  size_t busiest = 0;
  for (size_t i = 0; i < c.nodes().size(); ++i) {
    if (status->nodes(static_cast<int>(i)).roles_size() >
        status->nodes(static_cast<int>(busiest)).roles_size()) {
      busiest = i;
    }
  }
  std::printf("\nthreads of %s's agent by name:\n", c.nodes()[busiest].c_str());
  for (const auto& [name, count] : ThreadNames(c.AgentPid(c.nodes()[busiest]))) {
    std::printf("  %-16s %d\n", name.c_str(), count);
  }

  // 2. Restart latency.
  const std::string marker = absl::StrCat("node4/cassandra@", c.StateDir("node4"));
  std::vector<double> ms;
  for (int round = 0; round < absl::GetFlag(FLAGS_kills); ++round) {
    std::vector<pid_t> pids = bamctl::testing::ProcessesWithMarker(marker);
    if (pids.size() != 1) {
      std::fprintf(stderr, "expected one Cassandra on node4, found %zu\n", pids.size());
      return 1;
    }
    const pid_t old = pids[0];
    kill(old, SIGKILL);
    const auto killed = SteadyClock::now();
    while (SteadyClock::now() - killed < std::chrono::seconds(10)) {
      pids = bamctl::testing::ProcessesWithMarker(marker);
      if (pids.size() == 1 && pids[0] != old) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ms.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - killed).count());
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let it bind again
  }
  std::printf("\nkill -9 to replacement process (node4 cassandra, %zu kills, no backoff):\n",
              ms.size());
  std::printf("  p50 %.1f ms   p90 %.1f ms   max %.1f ms\n", Percentile(ms, 0.5),
              Percentile(ms, 0.9), Percentile(ms, 1.0));
  cluster->reset();
  fs::remove_all(dir);
  return 0;
}
