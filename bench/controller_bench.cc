// Plan propagation and heartbeat cost of a real bam-controller process with
// N simulated agents, one gRPC stream each (callback API: no thread per
// agent on either side).
//
// For each N: start bam-controller on a fresh database, apply a spec of N
// nodes, connect N agents and wait until each holds its plan; then apply a
// change that alters every node's plan and measure, per agent, the time
// from the apply call to receiving the new plan. Then every agent sends a
// heartbeat per second for 10 s, and the controller's CPU time over that
// window is divided by the heartbeats sent. Reports percentiles, the
// controller's CPU seconds and peak RSS (VmHWM).
//
// Transports (--transports=, default plain1,tls):
//   plain     plaintext, 100 agent streams per channel (hosts multiplexed)
//   plain1    plaintext, one channel (connection) per agent
//   tls       mutual TLS as in production: a CA from pki init, the
//             controller on --tls_dir, and each agent its own node
//             certificate and so its own connection
//
// Usage: controller_bench --controller_bin=PATH [--agents=100,1000,5000]
//                         [--transports=plain1,tls]
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/client_callback.h"
#include "pki/certs.h"
#include "pki/pki_dir.h"
#include "proto/controller.grpc.pb.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string Spec(int nodes, int heap_mb) {
  std::string yaml = "name: bench\nnodes:\n";
  for (int i = 0; i < nodes; ++i) {
    absl::StrAppend(&yaml, "  - {name: n", i, ", address: 10.", i / 65536, ".", (i / 256) % 256,
                    ".", i % 256, ", roles: [datanode, tasktracker",
                    i == 0 ? ", namenode, jobtracker" : "", "]}\n");
  }
  absl::StrAppend(&yaml, "hadoop: {heap_mb: ", heap_mb, "}\n");
  return yaml;
}

// One simulated agent: hello, then record when each plan version arrives.
class Agent
    : public grpc::ClientBidiReactor<bamctl::v1::AgentMessage, bamctl::v1::ControllerMessage> {
 public:
  Agent(bamctl::v1::AgentService::Stub* stub, std::string node) : node_(std::move(node)) {
    stub->async()->Connect(&ctx_, this);
    hello_.mutable_hello()->set_node(node_);
    StartWrite(&hello_);
    StartRead(&in_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (in_.has_plan()) {
      version_ = in_.plan().version();
      received_ = Clock::now();
    }
    StartRead(&in_);
  }
  void OnWriteDone(bool ok) override { writing_ = false; }
  void OnDone(const grpc::Status&) override { done_ = true; }

  void Heartbeat() {
    if (writing_.exchange(true)) return;  // previous write still in flight
    beat_.mutable_heartbeat()->set_applied_version(version_);
    StartWrite(&beat_);
    ++beats_sent;
  }
  void Stop() { ctx_.TryCancel(); }

  std::atomic<int64_t> version_{0};
  std::atomic<Clock::time_point> received_{};
  std::atomic<bool> done_{false};
  std::atomic<int64_t> beats_sent{0};

 private:
  std::string node_;
  grpc::ClientContext ctx_;
  bamctl::v1::AgentMessage hello_;
  bamctl::v1::AgentMessage beat_;
  bamctl::v1::ControllerMessage in_;
  std::atomic<bool> writing_{true};  // the hello is in flight first
};

// utime+stime of `pid` in seconds, and its peak RSS in MiB.
std::pair<double, double> Usage(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  std::vector<std::string> fields = absl::StrSplit(line.substr(line.rfind(')') + 2), ' ');
  double ticks = std::stod(fields[11]) + std::stod(fields[12]);
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  double hwm_mb = 0;
  while (std::getline(status, line)) {
    if (absl::StartsWith(line, "VmHWM:")) hwm_mb = std::stod(line.substr(6)) / 1024.0;
  }
  return {ticks / static_cast<double>(sysconf(_SC_CLK_TCK)), hwm_mb};
}

double Percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
}

bool WaitAll(const std::vector<std::unique_ptr<Agent>>& agents, int64_t version, int seconds) {
  const auto until = Clock::now() + std::chrono::seconds(seconds);
  while (Clock::now() < until) {
    bool all = std::all_of(agents.begin(), agents.end(),
                           [&](const auto& a) { return a->version_.load() >= version; });
    if (all) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Credentials for `name` in `role` from `ca`; plaintext when `ca` is null.
std::shared_ptr<grpc::ChannelCredentials> Credentials(const bamctl::CertificateAuthority* ca,
                                                      const std::string& name,
                                                      bamctl::PeerRole role) {
  if (ca == nullptr) return grpc::InsecureChannelCredentials();
  absl::StatusOr<bamctl::KeyAndCertificate> cert = ca->Issue(name, role, absl::Hours(2));
  if (!cert.ok()) {
    std::fprintf(stderr, "issue %s: %s\n", name.c_str(), cert.status().ToString().c_str());
    std::exit(1);
  }
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ca->cert_pem();
  options.pem_cert_chain = cert->cert_pem;
  options.pem_private_key = cert->key_pem;
  return grpc::SslCredentials(options);
}

int RunOne(const std::string& bin, int n, int port, const std::string& transport) {
  const fs::path dir = fs::temp_directory_path() / absl::StrCat("controller_bench_", n);
  fs::remove_all(dir);
  fs::create_directories(dir);
  const bool tls = transport == "tls";
  const int per_channel = transport == "plain" ? 100 : 1;
  std::unique_ptr<bamctl::CertificateAuthority> ca;
  if (tls) {
    const std::string pki = (dir / "pki").string();
    absl::Status init = bamctl::InitPkiDir(pki, "bench", {"127.0.0.1"}, port).status();
    absl::StatusOr<bamctl::CertificateAuthority> loaded =
        init.ok() ? bamctl::CertificateAuthority::Load(ReadText(dir / "pki/ca.crt"),
                                                       ReadText(dir / "pki/ca.key"))
                  : absl::StatusOr<bamctl::CertificateAuthority>(init);
    if (!loaded.ok()) {
      std::fprintf(stderr, "pki: %s\n", loaded.status().ToString().c_str());
      return 1;
    }
    ca = std::make_unique<bamctl::CertificateAuthority>(*std::move(loaded));
  }
  std::fflush(stdout);  // the child must not inherit unflushed output
  pid_t pid = fork();
  if (pid == 0) {
    if (freopen((dir / "controller.log").c_str(), "w", stdout) == nullptr ||
        freopen((dir / "controller.log").c_str(), "a", stderr) == nullptr) {
      _exit(127);
    }
    const std::string listen = absl::StrCat("--listen=127.0.0.1:", port);
    const std::string db = "--db=" + (dir / "c.db").string();
    const std::string security =
        tls ? "--tls_dir=" + (dir / "pki").string() : std::string("--insecure_plaintext");
    execl(bin.c_str(), bin.c_str(), listen.c_str(), db.c_str(),
          "--metrics_listen=", security.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  auto cleanup = [&] {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    fs::remove_all(dir);
  };
  const std::string target = absl::StrCat("127.0.0.1:", port);
  auto channel =
      grpc::CreateChannel(target, Credentials(ca.get(), "admin", bamctl::PeerRole::kOperator));
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(20))) {
    std::fprintf(stderr, "controller did not start\n");
    cleanup();
    return 1;
  }
  auto cluster = bamctl::v1::ClusterService::NewStub(channel);
  auto apply = [&](int heap) {
    grpc::ClientContext ctx;
    bamctl::v1::ApplyRequest request;
    request.set_spec_text(Spec(n, heap));
    bamctl::v1::ApplyResponse response;
    grpc::Status s = cluster->ApplyDesiredState(&ctx, request, &response);
    return s.ok() ? response.version() : -1;
  };
  if (apply(1000) != 1) {
    std::fprintf(stderr, "first apply failed\n");
    cleanup();
    return 1;
  }
  // Agents spread over channels of `per_channel` streams; with TLS each has
  // its own certificate, so its own channel, as separate hosts would. They
  // connect in waves of kWave, and one whose stream ends before its plan
  // redials on a fresh channel, as bam-agentd does with its backoff: 5,000
  // handshakes at once on the two cores the controller shares with them
  // otherwise time out and never come back.
  constexpr int kWave = 250;
  std::vector<std::unique_ptr<bamctl::v1::AgentService::Stub>> stubs;
  int channel_key = 0;
  auto new_stub = [&](const std::string& cert_name) {
    grpc::ChannelArguments args;
    args.SetInt("bench.channel", channel_key++);  // a distinct channel, not a shared one
    stubs.push_back(bamctl::v1::AgentService::NewStub(grpc::CreateCustomChannel(
        target, Credentials(ca.get(), cert_name, bamctl::PeerRole::kNode), args)));
    return stubs.back().get();
  };
  std::vector<std::unique_ptr<Agent>> agents(n);
  std::vector<std::unique_ptr<Agent>> ended;  // redialled; kept until the run ends
  int redials = 0;
  bamctl::v1::AgentService::Stub* stub = nullptr;
  for (int first = 0; first < n; first += kWave) {
    const int last = std::min(n, first + kWave);
    for (int i = first; i < last; ++i) {
      if (i % per_channel == 0) stub = new_stub(absl::StrCat("n", i));
      agents[i] = std::make_unique<Agent>(stub, absl::StrCat("n", i));
    }
    const auto until = Clock::now() + std::chrono::seconds(60);
    for (bool all = false; !all;) {
      all = true;
      for (int i = first; i < last; ++i) {
        if (agents[i]->version_.load() >= 1) continue;
        all = false;
        if (agents[i]->done_.load()) {
          ended.push_back(std::move(agents[i]));
          const std::string node = absl::StrCat("n", i);
          agents[i] = std::make_unique<Agent>(new_stub(node), node);
          ++redials;
        }
      }
      if (!all && Clock::now() > until) {
        std::fprintf(stderr, "agents %d-%d did not all get version 1 within 60 s\n", first,
                     last - 1);
        cleanup();
        return 1;
      }
      if (!all) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  if (redials > 0) {
    std::fprintf(stderr, "%s %d agents: %d redials\n", transport.c_str(), n, redials);
  }
  // Propagation of a change to every node.
  const auto t0 = Clock::now();
  const int64_t v2 = apply(1200);
  const bool all = WaitAll(agents, v2, 120);
  std::vector<double> ms;
  for (const auto& a : agents) {
    if (a->version_.load() >= v2) {
      ms.push_back(std::chrono::duration<double, std::milli>(a->received_.load() - t0).count());
    }
  }
  // Heartbeats: one per agent per second for 10 s.
  auto [cpu_before, unused] = Usage(pid);
  int64_t beats = 0;
  for (int second = 0; second < 10; ++second) {
    const auto tick = Clock::now();
    for (auto& a : agents) a->Heartbeat();
    std::this_thread::sleep_until(tick + std::chrono::seconds(1));
  }
  for (const auto& a : agents) beats += a->beats_sent.load();
  auto [cpu_after, rss_mb] = Usage(pid);
  std::printf("%-6s  %6d  %s  %9.1f %9.1f %9.1f %9.1f  %8.2f  %10.1f  %8.1f\n", transport.c_str(),
              n, all ? "all" : "NOT", Percentile(ms, 0.5), Percentile(ms, 0.9),
              Percentile(ms, 0.99), Percentile(ms, 1.0), cpu_after,
              beats > 0 ? 1e6 * (cpu_after - cpu_before) / static_cast<double>(beats) : 0, rss_mb);
  for (auto& a : agents) a->Stop();
  const auto until = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < until && !std::all_of(agents.begin(), agents.end(),
                                              [](const auto& a) { return a->done_.load(); })) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  cleanup();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string bin;
  std::vector<int> sizes = {100, 1000, 5000};
  std::vector<std::string> transports = {"plain1", "tls"};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (absl::StartsWith(arg, "--controller_bin=")) bin = arg.substr(17);
    if (absl::StartsWith(arg, "--transports=")) {
      transports = absl::StrSplit(arg.substr(13), ',');
      for (const std::string& t : transports) {
        if (t != "plain" && t != "plain1" && t != "tls") {
          std::fprintf(stderr, "--transports: \"%s\" is not plain, plain1 or tls\n", t.c_str());
          return 2;
        }
      }
    }
    if (absl::StartsWith(arg, "--agents=")) {
      sizes.clear();
      for (absl::string_view s : absl::StrSplit(arg.substr(9), ',')) {
        int n;
        if (absl::SimpleAtoi(s, &n)) sizes.push_back(n);
      }
    }
  }
  if (bin.empty()) {
    std::fprintf(stderr, "usage: controller_bench --controller_bin=PATH [--agents=100,1000]\n");
    return 2;
  }
  std::printf(
      "transport  agents  got  p50 ms    p90 ms    p99 ms    max ms   cpu s   us/heartbeat  "
      "rss MiB\n");
  int port = 27443;
  for (const std::string& transport : transports) {
    for (int n : sizes) {
      if (RunOne(bin, n, port++, transport) != 0) return 1;
    }
  }
  return 0;
}
