#include "tests/emulators/gossip.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/net_util.h"

namespace bamctl::emulator {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr absl::string_view kHeader = "GOSSIP ";
// Cassandra's PHI_FACTOR: 1 / ln(10).
constexpr double kPhiFactor = 0.434;
constexpr size_t kKeptIntervals = 16;
// A push to a peer that does not answer must not hold up the daemon's loop.
constexpr std::chrono::milliseconds kPushTimeout{200};

}  // namespace

Gossip::Gossip(DaemonPlan::Gossip config, Logger* log) : config_(std::move(config)), log_(log) {}

void Gossip::Start() {
  // Cassandra's generation is the start time in seconds; milliseconds here,
  // since an emulated node can stop and start again within one second.
  self_.generation = absl::ToUnixMillis(absl::Now());
  self_.heartbeat = 0;
  self_.shutdown = false;
  self_.alive = true;
  running_ = true;
  next_round_ = SteadyClock::now();
  Tick();
}

void Gossip::Tick() {
  const SteadyClock::time_point now = SteadyClock::now();
  if (!running_ || now < next_round_) return;
  next_round_ = now + std::chrono::milliseconds(config_.interval_ms);
  ++self_.heartbeat;
  Push(Message());
  for (auto& [address, s] : peers_) {
    if (s.alive && Phi(s, now) > config_.phi_convict_threshold) {
      s.alive = false;
      log_->Info(absl::StrCat("InetAddress /", address, " is now DOWN"));
    }
  }
}

void Gossip::Receive(absl::string_view message) {
  if (!running_ || message.empty()) return;
  std::vector<absl::string_view> lines = absl::StrSplit(message, '\n', absl::SkipEmpty());
  if (lines.empty() || !absl::ConsumePrefix(&lines[0], kHeader)) return;
  if (lines[0] != config_.cluster_name) {
    log_->Warn(absl::StrCat("ClusterName mismatch from ",
                            lines.size() > 1 ? lines[1].substr(0, lines[1].find(' ')) : "?", " ",
                            lines[0], "!=", config_.cluster_name));
    return;
  }
  const SteadyClock::time_point now = SteadyClock::now();
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<absl::string_view> f = absl::StrSplit(lines[i], ' ');
    int64_t generation = 0;
    int64_t heartbeat = 0;
    if (f.size() != 4 || !absl::SimpleAtoi(f[1], &generation) ||
        !absl::SimpleAtoi(f[2], &heartbeat) || (f[3] != "NORMAL" && f[3] != "shutdown")) {
      continue;
    }
    const std::string address(f[0]);
    if (address == config_.address) continue;
    auto [it, fresh] = peers_.try_emplace(address);
    State& s = it->second;
    const bool restarted = !fresh && generation > s.generation;
    if (!fresh && !restarted && !(generation == s.generation && heartbeat > s.heartbeat)) {
      continue;  // not newer than what this node knows
    }
    if (restarted) {
      s.intervals_ms.clear();
    } else if (!fresh) {
      s.intervals_ms.push_back(std::chrono::duration<double, std::milli>(now - s.updated).count());
      if (s.intervals_ms.size() > kKeptIntervals) s.intervals_ms.pop_front();
    }
    s.generation = generation;
    s.heartbeat = heartbeat;
    s.updated = now;
    s.shutdown = f[3] == "shutdown";
    if (fresh) log_->Info(absl::StrCat("Node /", address, " is now part of the cluster"));
    if (s.shutdown && s.alive) {
      s.alive = false;
      log_->Info(absl::StrCat("InetAddress /", address, " is now DOWN (announced shutdown)"));
    } else if (!s.shutdown && !s.alive) {
      s.alive = true;
      log_->Info(restarted ? absl::StrCat("Node /", address, " has restarted, now UP")
                           : absl::StrCat("InetAddress /", address, " is now UP"));
    }
  }
}

void Gossip::Stop() {
  if (!running_) return;
  self_.shutdown = true;
  ++self_.heartbeat;
  Push(Message());
  running_ = false;
}

std::string Gossip::StatusLines() const {
  std::string lines = absl::StrCat(config_.address, running_ ? " U" : " D", " N\n");
  for (const auto& [address, s] : peers_) {
    absl::StrAppend(&lines, address, s.alive ? " U" : " D", " N\n");
  }
  return lines;
}

std::string Gossip::Message() const {
  std::string message = absl::StrCat(kHeader, config_.cluster_name, "\n");
  auto line = [&](const std::string& address, const State& s) {
    absl::StrAppend(&message, address, " ", s.generation, " ", s.heartbeat, " ",
                    s.shutdown ? "shutdown" : "NORMAL", "\n");
  };
  line(config_.address, self_);  // the sender first
  for (const auto& [address, s] : peers_) line(address, s);
  return message;
}

void Gossip::Push(const std::string& message) {
  std::set<std::string> targets(config_.seeds.begin(), config_.seeds.end());
  for (const auto& [address, s] : peers_) targets.insert(address);
  targets.erase(config_.address);
  for (const std::string& target : targets) {
    // A peer that is down refuses or times out; the next round tries again.
    TcpSend(target, config_.port, message, kPushTimeout).IgnoreError();
  }
}

double Gossip::Phi(const State& s, SteadyClock::time_point now) const {
  double mean = config_.interval_ms;
  if (!s.intervals_ms.empty()) {
    double sum = 0;
    for (double v : s.intervals_ms) sum += v;
    mean = sum / static_cast<double>(s.intervals_ms.size());
  }
  const double elapsed = std::chrono::duration<double, std::milli>(now - s.updated).count();
  return kPhiFactor * elapsed / std::max(mean, 1.0);
}

}  // namespace bamctl::emulator
