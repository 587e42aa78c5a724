#ifndef BAMCTL_CONTROLLER_HA_ELECTION_H_
#define BAMCTL_CONTROLLER_HA_ELECTION_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "controller/ha/zk_client.h"

namespace bamctl {

// What one controller knows of the election.
struct ElectionView {
  enum class Role { kCandidate, kLeader, kFollower };
  Role role = Role::kCandidate;
  // The leader's advertised address ("host:port"), "" while unknown; this
  // controller's own when it leads.
  std::string leader;
  // This controller's candidate node ("<path>/n_0000000007"), "" between
  // sessions. A write is fenced by a Check of it: when the session that
  // made it ends, the node goes and every such write fails.
  std::string candidate;
  // Leadership changes this controller has seen (for /metrics).
  int64_t changes = 0;
};
const char* ElectionRoleName(ElectionView::Role role);

// Leader election on ZooKeeper, the recipe of its documentation: each
// candidate makes an ephemeral sequential node under `path`; the lowest
// leads; every other watches only the node just below its own, so a
// leader's end wakes one candidate, not all of them (no herd). A session
// that expires is replaced by a new one, which stands again (behind the
// others). Owns a thread; callbacks never run on ZooKeeper's.
class LeaderElection {
 public:
  struct Options {
    ZkOptions zookeeper;
    std::string path;       // e.g. /bamctl/<cluster>/election
    std::string advertise;  // this controller's address for the others
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds retry{1'000};  // after a failed step
  };
  // Called on this class's thread whenever the view changes.
  using Listener = std::function<void(const ElectionView&)>;

  LeaderElection(Options options, Listener listener);
  ~LeaderElection();  // leaves the election (the node goes at once)
  LeaderElection(const LeaderElection&) = delete;
  LeaderElection& operator=(const LeaderElection&) = delete;

  void Start();
  void Stop();
  ElectionView view() const;
  // Waits up to `timeout` for this controller to lead or follow a known
  // leader; the view then.
  ElectionView AwaitDecided(std::chrono::milliseconds timeout) const;
  // The advertised addresses of the candidates now, in election order (the
  // leader first).
  absl::StatusOr<std::vector<std::string>> Candidates() const;
  // The session candidates and fenced writes use; null between sessions.
  // Shared: a session being replaced stays valid for a caller holding it.
  std::shared_ptr<ZkClient> client() const;

 private:
  void Loop();
  // One step: joins when not a candidate yet, then decides and sets the
  // watch; false when it should be retried after a pause.
  bool Step();
  void Wake();
  void Publish(ElectionView view);

  const Options options_;
  const Listener listener_;
  mutable absl::Mutex mu_;
  ElectionView view_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<ZkClient> client_ ABSL_GUARDED_BY(mu_);
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_HA_ELECTION_H_
