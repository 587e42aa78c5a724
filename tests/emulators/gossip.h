#ifndef BAMCTL_TESTS_EMULATORS_GOSSIP_H_
#define BAMCTL_TESTS_EMULATORS_GOSSIP_H_

#include <chrono>
#include <deque>
#include <map>
#include <string>

#include "absl/strings/string_view.h"
#include "tests/emulators/daemon.h"
#include "tests/emulators/products.h"

namespace bamctl::emulator {

// Cassandra 1.2's gossip as far as `nodetool status` shows it, over the
// storage port. Each node keeps a state per endpoint (its generation: the
// start time in seconds; its heartbeat version, bumped every round; its
// status, NORMAL or shutdown). Every round (one second, as Gossiper's) it
// pushes every state it knows to every endpoint it knows and to its seeds,
// one connection each, without waiting for an answer: a newer generation
// or heartbeat replaces what a node knew. The failure detector is
// Cassandra's phi accrual: an endpoint whose heartbeat has not moved for
// phi_convict_threshold / 0.434 mean intervals (about 18 s at the default
// 8) is convicted DOWN; a shutdown announced by the endpoint (drain, a
// graceful stop) marks it DOWN at once; a newer heartbeat marks it UP. A
// kill -9 announces nothing. Single-threaded: the daemon's loop calls it.
class Gossip {
 public:
  Gossip(DaemonPlan::Gossip config, Logger* log);

  // Joins: a new generation, pushed to the seeds at once.
  void Start();
  // A round when one is due: the heartbeat, the pushes, the convictions.
  void Tick();
  // What a connection to the storage port sent (a push from a peer; a
  // probe that connects and closes sends nothing).
  void Receive(absl::string_view message);
  // Announces the shutdown to every endpoint it knows and stops gossiping
  // (StorageService.drain, and the shutdown hook of a graceful stop).
  void Stop();

  // The ring as this node sees it, for nodetool: "ADDRESS U|D N" per line,
  // this node first.
  std::string StatusLines() const;

 private:
  struct State {
    int64_t generation = 0;
    int64_t heartbeat = 0;
    bool shutdown = false;
    bool alive = false;
    std::chrono::steady_clock::time_point updated;
    std::deque<double> intervals_ms;  // between heartbeat updates, the last few
  };

  std::string Message() const;
  void Push(const std::string& message);
  double Phi(const State& s, std::chrono::steady_clock::time_point now) const;

  const DaemonPlan::Gossip config_;
  Logger* log_;
  State self_;
  std::map<std::string, State> peers_;  // by address
  bool running_ = false;
  std::chrono::steady_clock::time_point next_round_;
};

}  // namespace bamctl::emulator

#endif  // BAMCTL_TESTS_EMULATORS_GOSSIP_H_
