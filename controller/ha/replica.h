#ifndef BAMCTL_CONTROLLER_HA_REPLICA_H_
#define BAMCTL_CONTROLLER_HA_REPLICA_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "controller/ha/commit_log.h"
#include "controller/ha/election.h"
#include "controller/ha/zk_client.h"
#include "controller/store/store.h"

namespace bamctl {

struct ReplicaOptions {
  ZkOptions zookeeper;
  std::string ha_path;    // e.g. /bamctl/<cluster>: election, log and blobs under it
  std::string advertise;  // this controller's gRPC address for agents and bamctl
  std::chrono::milliseconds connect_timeout{10'000};
  // How often the log is read without a watch firing (a backstop: a watch
  // is lost with its session).
  std::chrono::milliseconds poll{1'000};
};

// One controller's place in an HA cluster (docs/ha.md). It stands in the
// leader election, applies the commit log in order to the local store
// (every controller, the leader too, is a replica), and is the store's
// WriteLog: while this controller leads, a write is appended to the log
// fenced by its election node, then applied. A new leader first appends a
// marker entry and applies the log up to it, so it has every committed
// write before it serves. Owns a thread.
class Replica : public WriteLog {
 public:
  struct Status {
    ElectionView::Role role = ElectionView::Role::kCandidate;
    bool serving = false;   // leads, and has applied the whole log
    std::string leader;     // the leader's address, "" while unknown
    std::string advertise;  // this controller's
    int64_t applied_index = 0;
    int64_t leadership_changes = 0;
    std::string error;  // why this replica stopped for good (Fail), else ""
  };
  // Called on the replica's thread when this controller starts serving as
  // the leader (true) or stops (false).
  using ServingListener = std::function<void(bool serving)>;
  // Called on the replica's thread after each entry is applied.
  using AppliedListener = std::function<void(int64_t index, const v1::StoreWrite& write)>;

  Replica(ReplicaOptions options, Store* store, const Clock* clock);
  ~Replica() override;
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  void SetListeners(ServingListener serving, AppliedListener applied);
  // Connects, makes the cluster's nodes, binds the store to this cluster's
  // log (refusing a database that follows another log, or has a history
  // of its own while the log has entries already), then stands for
  // election and starts applying. Errors name the ensemble and the path.
  absl::Status Start();
  void Stop();

  // WriteLog: Unavailable, naming the leader, unless this controller leads
  // and serves. A failed append is Unavailable too; when the connection was
  // lost during it, the write may have been committed, and the message says
  // so (the log, applied later, tells).
  absl::StatusOr<v1::StoreWriteResult> Commit(v1::StoreWrite write) override;

  Status status() const;
  // OK while this controller serves as the leader; else NotLeaderError
  // (common/leader_redirect.h), naming the leader when one is known.
  absl::Status MayServe() const;
  // The advertised addresses of the controllers standing in the election,
  // the leader first.
  absl::StatusOr<std::vector<std::string>> Members() const;

 private:
  void Loop();
  void Wake();
  // Applies the log from the next entry on, at most up to `until` (0: the
  // whole log); the result of entry `until` when it was applied here or
  // recently. Errors of the store (not of entries) stop at that entry.
  absl::StatusOr<v1::StoreWriteResult> ApplyUpTo(ZkClient& zk, int64_t until, bool watch)
      ABSL_LOCKS_EXCLUDED(apply_mu_);
  // As the new leader: the snapshot of a store with history into an empty
  // log, then the marker, applied.
  absl::Status TakeOver(ZkClient& zk, const std::string& fence);
  absl::StatusOr<int64_t> Append(ZkClient& zk, const std::string& fence,
                                 const v1::StoreWrite& write);
  void SetServing(bool serving);
  // Stops following the log for good and leaves the election (a candidate
  // that cannot serve must not lead); status() keeps the reason.
  void Fail(const absl::Status& status);

  const ReplicaOptions options_;
  Store* const store_;
  const Clock* const clock_;
  const CommitLog log_;
  std::unique_ptr<LeaderElection> election_;
  int64_t db_id_ = 0;  // set in Start

  ServingListener on_serving_;
  AppliedListener on_applied_;

  // One write at a time: a leader's writes go in the order it applies them.
  absl::Mutex write_mu_;
  // Applying the log, by the loop or by a write.
  absl::Mutex apply_mu_;
  std::map<int64_t, absl::StatusOr<v1::StoreWriteResult>> recent_ ABSL_GUARDED_BY(apply_mu_);

  mutable absl::Mutex mu_;
  bool serving_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  int64_t applied_ ABSL_GUARDED_BY(mu_) = 0;
  std::string error_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_HA_REPLICA_H_
