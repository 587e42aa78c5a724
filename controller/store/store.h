#ifndef BAMCTL_CONTROLLER_STORE_STORE_H_
#define BAMCTL_CONTROLLER_STORE_STORE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "controller/store/sqlite.h"
#include "proto/controller.pb.h"
#include "proto/plan.pb.h"
#include "proto/replication.pb.h"
#include "proto/spec.pb.h"
#include "proto/status.pb.h"

namespace bamctl {

// Operations not finished: the engine advances them, and at most one of
// them restarts a given service.
inline constexpr v1::OperationState kActiveOperationStates[] = {
    v1::OPERATION_STATE_WAITING, v1::OPERATION_STATE_RUNNING, v1::OPERATION_STATE_PAUSED};

// One version of the desired state.
struct VersionRecord {
  int64_t version = 0;
  std::string spec_text;     // as the operator wrote it
  std::string content_hash;  // SHA-256 of spec_text
  std::string author;
  std::string comment;
  int64_t created_ms = 0;
  int64_t rollback_of = 0;  // the version this one restored, or 0
};

// A new version to store: the text, its effective spec and compiled plans.
struct CommitRequest {
  std::string spec_text;
  v1::ClusterSpec effective_spec;
  std::vector<v1::NodePlan> plans;
  // The version's host list (ClusterPlan.hosts), stored once per version.
  v1::HostList hosts;
  std::string author;
  std::string comment;
  // Optimistic concurrency: refuse unless the current version is this one.
  std::optional<int64_t> expected_version;
};

struct CommitResult {
  int64_t version = 0;
  bool unchanged = false;  // the text equals the current version's: nothing stored
};

// A node as the controller last saw it.
struct NodeRecord {
  std::string name;
  std::string agent_version;
  bool connected = false;
  int64_t last_seen_ms = 0;
  int64_t applied_version = 0;
  std::string applied_plan_hash;
  std::vector<v1::RoleStatus> roles;
  // The rest of its last report: preflight, notices, clock offset.
  v1::NodeReport report_extra;
  std::string metrics_address;  // from its agent's last hello; "" for none
};

struct EventRecord {
  int64_t id = 0;
  int64_t time_ms = 0;
  std::string kind;  // "apply", "rollback", "node-connected", ...
  std::string actor;
  std::string node;
  std::string message;
};

// The records as the API shows them (ClusterService, the web page).
v1::VersionInfo VersionInfoOf(const VersionRecord& record);
v1::Event EventOf(const EventRecord& record);

// The controller's durable state in one SQLite file: every spec version
// with its plans, nodes and their last reports, and an audit trail.
//
// WAL journal, synchronous=FULL (an acknowledged version survives a crash or
// power loss), foreign keys on, schema migrations applied at open. Exactly
// one Store may have a file open: a second process gets a clear error. Each
// write is one transaction, so a crash at any moment leaves the state before
// or after it. Thread-safe.
// OK when `report` can be recorded: it names its node, and each of its
// role statuses names a service, no service twice.
absl::Status ValidateReport(const v1::NodeReport& report);

// An enrolment token as stored: its hash, never the token.
struct NodeTokenRecord {
  std::string node;
  std::string created_by;
  int64_t created_ms = 0;
  int64_t expires_ms = 0;
  int64_t used_ms = 0;  // 0: not used
};

// What the controller keeps of its history; 0 in a limit: no limit.
struct RetentionPolicy {
  int64_t max_events = 0;        // the newest N events
  int64_t max_event_age_ms = 0;  // events younger than this
  int64_t max_versions = 0;      // the newest N versions, and those still in use
  // What one pass deletes at most (it is one transaction: the write lock is
  // held briefly); a backlog goes in later passes.
  int64_t events_per_pass = 10000;
  int64_t versions_per_pass = 100;
};

struct PruneResult {
  int64_t events = 0;
  int64_t versions = 0;
  bool more = false;  // a per-pass bound was reached: there may be more to prune
};

// Where a store in HA mode sends its replicated writes (controller/ha's
// Replica): Commit puts `write` in the cluster's commit log and returns once
// this store has applied it, with what applying it gave (or the error it
// gave, the same on every replica). Refuses when this controller may not
// write (a follower), naming the leader.
class WriteLog {
 public:
  virtual ~WriteLog() = default;
  virtual absl::StatusOr<v1::StoreWriteResult> Commit(v1::StoreWrite write) = 0;
};

// Where this database stands in a commit log (settings rows).
struct ReplicaState {
  int64_t db_id = 0;          // random, set when the database was made
  int64_t log_id = 0;         // the log it follows (its znode's czxid); 0: none
  int64_t applied_index = 0;  // the last entry of that log applied; 0: none
};

class Store {
 public:
  // Opens (creating when absent) the database at `path`. Refuses files that
  // are not SQLite, belong to another application, have a newer schema, are
  // corrupt, or are held by another controller, naming the file and why.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path, const Clock* clock);
  ~Store();

  // Stores a new version (spec, plans, audit event) in one transaction.
  // FailedPrecondition, naming both numbers, when expected_version is set
  // and is not the current version. A text equal to the current version's
  // stores nothing and returns that version with unchanged=true.
  absl::StatusOr<CommitResult> CommitVersion(const CommitRequest& request);

  // Stores a new version equal to `target` (its text, plans and host list), as one
  // transaction. NotFound for an unknown target, saying so when retention pruned it.
  absl::StatusOr<CommitResult> Rollback(int64_t target, const std::string& author,
                                        std::optional<int64_t> expected_version);

  // The newest version number; 0 before the first apply.
  absl::StatusOr<int64_t> CurrentVersion();

  // The controller's epoch: 1 in a new database, raised each time the
  // controller takes the cluster back from agents holding newer plans.
  // Plans carry it; agents order plans by (epoch, version).
  absl::StatusOr<int64_t> Epoch();
  // Stores `epoch` with a "take-back" event naming `node` and saying
  // `message`, in one transaction, so the epoch is durable before a plan
  // carries it. FailedPrecondition, naming both, unless `epoch` is greater
  // than the stored one (epochs never go back).
  absl::Status AdvanceEpoch(int64_t epoch, absl::string_view node, absl::string_view message);
  // GetVersion, GetEffectiveSpec and GetHosts: NotFound for a version not
  // stored; one that retention pruned says so and names the oldest kept.
  absl::StatusOr<VersionRecord> GetVersion(int64_t version);
  absl::StatusOr<v1::ClusterSpec> GetEffectiveSpec(int64_t version);
  // Newest first, at most `limit`.
  absl::StatusOr<std::vector<VersionRecord>> ListVersions(int limit);
  absl::StatusOr<std::vector<v1::NodePlan>> GetPlans(int64_t version);
  // The host list of `version` (empty unless its spec manages hosts files).
  absl::StatusOr<v1::HostList> GetHosts(int64_t version);

  // Records agent reports in one transaction (callers batch them): each valid report; one that is
  // malformed (ValidateReport) or fails to be written is refused alone, the others are recorded,
  // and the error names the refused ones.
  absl::Status RecordReports(const std::vector<v1::NodeReport>& reports);
  absl::Status SetConnected(const std::string& node, bool connected);
  // Where `node`'s agent serves /metrics, as its hello says (local, like
  // connections: not a write of the cluster's history).
  absl::Status SetMetricsAddress(const std::string& node, const std::string& address);
  // Marks every node disconnected (no event): at start, where no agent is
  // connected yet whatever a crash left recorded, and when an HA controller
  // stops leading (its agents go to the new leader).
  absl::Status DisconnectAll();
  // Sets last_seen of these nodes to now, in one transaction (heartbeats).
  absl::Status TouchNodes(const std::vector<std::string>& nodes);
  absl::StatusOr<std::vector<NodeRecord>> ListNodes();

  absl::StatusOr<std::vector<EventRecord>> ListEvents(int limit);

  // Rolling operations (v1::Operation), each write one transaction with an
  // audit event when `event` is given. Create assigns the id.
  absl::StatusOr<int64_t> CreateOperation(v1::Operation op, absl::string_view event);
  absl::Status UpdateOperation(const v1::Operation& op, absl::string_view event);
  absl::StatusOr<v1::Operation> GetOperation(int64_t id);
  // Newest first; with `active_only`, those in kActiveOperationStates.
  absl::StatusOr<std::vector<v1::Operation>> ListOperations(int limit, bool active_only);

  // Stores a one-time enrolment token for `node` by its hash, with an event.
  absl::Status AddNodeToken(const std::string& token_hash, const NodeTokenRecord& token);
  // Uses the token whose hash is `token_hash`, once: its node. NotFound for
  // an unknown token, FailedPrecondition for one used or expired already
  // (the message says which and when). Atomic: of two concurrent uses of a
  // token, one wins.
  absl::StatusOr<std::string> RedeemNodeToken(const std::string& token_hash);

  // Deletes, in one transaction, the events and versions beyond `policy`, at
  // most its per-pass bounds, with a "retention" event saying how many
  // (none when there was nothing to prune). Never prunes a version in use:
  // the current one, one a node reports holding (nodes.applied_version), one
  // an unfinished operation names. A pruned version's plans and host list
  // go with it; a kept version that restored it keeps its comment ("rollback
  // to version N") but its rollback_of becomes 0 (a reference to a row that
  // is gone). The events kept include the new retention event, so a pass
  // over a full log that gains nothing prunes nothing.
  absl::StatusOr<PruneResult> Prune(const RetentionPolicy& policy);

  // Appends an audit event on its own (changes above record theirs).
  absl::Status RecordEvent(absl::string_view kind, absl::string_view actor, absl::string_view node,
                           absl::string_view message);

  // The store's clock, which stamps everything it records.
  int64_t NowMillis() const { return clock_->NowMillis(); }

  // The schema version this binary writes.
  static int SchemaVersion();

  // Replication (controller/ha). The writes that make the cluster's history
  // (CommitVersion, Rollback, AdvanceEpoch, operations, tokens, RecordEvent)
  // are each one v1::StoreWrite. Without a write log they are applied here
  // at once; with one, they go through it and are applied when committed.
  // Node reports, connections and retention stay local to each controller.
  // Set before serving; `log` is not owned and must outlive the calls.
  void SetWriteLog(WriteLog* log) { write_log_.store(log); }

  // kDryRun applies in a transaction that is rolled back: the result a
  // commit would give, with nothing stored.
  enum class ApplyMode { kCommit, kDryRun };
  // Applies `write`, stamped with its time_ms, in one transaction. With
  // `index` > 0 it is that entry of the log this database follows: it must
  // be the one after applied_index, which becomes `index` in the same
  // transaction; an entry that fails as a request (a stale expected
  // version, a used token: the same on every replica) is recorded as
  // applied too, and its error returned. Errors of the database itself
  // (busy, I/O) record nothing, so the entry is applied again.
  absl::StatusOr<v1::StoreWriteResult> ApplyWrite(const v1::StoreWrite& write, int64_t index,
                                                  ApplyMode mode = ApplyMode::kCommit);
  absl::StatusOr<ReplicaState> GetReplicaState();
  // Makes this database follow log `log_id` from its start (applied 0).
  // FailedPrecondition when it follows another log already.
  absl::Status BindLog(int64_t log_id);
  // Whether anything was ever written that a snapshot would carry: a
  // version, an operation or a token.
  absl::StatusOr<bool> HasHistory();
  // The whole replicated state, for a bootstrap entry.
  absl::StatusOr<v1::StoreSnapshot> Snapshot();

 private:
  Store(std::unique_ptr<SqliteDb> db, int lock_fd, const Clock* clock)
      : db_(std::move(db)), lock_fd_(lock_fd), clock_(clock) {}

  absl::StatusOr<int64_t> CurrentVersionLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<v1::Operation>> ListOperationsLocked(int limit, bool active_only)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<int64_t> EpochLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RecordReportLocked(const v1::NodeReport& report, int64_t now, SqliteStmt& upsert,
                                  SqliteStmt& clear, SqliteStmt& role)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckExpected(std::optional<int64_t> expected) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<int64_t> InsertVersion(const std::string& text, const std::string& effective,
                                        const std::string& hosts, const std::string& author,
                                        const std::string& comment, int64_t rollback_of,
                                        int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // A replicated write: through the write log when there is one, else
  // applied at once, stamped now.
  absl::StatusOr<v1::StoreWriteResult> Write(v1::StoreWrite write);
  // Applies one write inside the caller's transaction.
  absl::StatusOr<v1::StoreWriteResult> ApplyLocked(const v1::StoreWrite& write)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<v1::StoreWriteResult> CommitLocked(const v1::CommitWrite& write, int64_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status AdvanceEpochLocked(const v1::EpochWrite& write, int64_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<int64_t> CreateOperationLocked(v1::Operation op, absl::string_view event,
                                                int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status UpdateOperationLocked(v1::Operation op, absl::string_view event, int64_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // With its "token" event stamped event_ms, unless that is 0 (a snapshot).
  absl::Status AddNodeTokenLocked(const v1::TokenWrite& token, int64_t used_ms, int64_t event_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::string> RedeemNodeTokenLocked(const std::string& token_hash, int64_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ImportSnapshotLocked(const v1::StoreSnapshot& snapshot)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<int64_t> SettingLocked(absl::string_view name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SetSettingLocked(absl::string_view name, int64_t value)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<bool> HasHistoryLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The NotFound error for `version`, which is not stored: pruned by
  // retention (versions are numbered from 1 without gaps, the current one
  // is never pruned, and nothing else deletes them) or never stored.
  absl::Status MissingVersionLocked(int64_t version) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // `appending`: the pass appends a retention event whatever this prunes.
  absl::StatusOr<int64_t> PruneEventsLocked(const RetentionPolicy& policy, bool appending)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<int64_t>> PruneVersionsLocked(const RetentionPolicy& policy)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status AppendEvent(absl::string_view kind, absl::string_view actor, absl::string_view node,
                           absl::string_view message, int64_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::unique_ptr<SqliteDb> db_ ABSL_GUARDED_BY(mu_);
  int lock_fd_;
  const Clock* clock_;
  std::atomic<WriteLog*> write_log_{nullptr};
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_STORE_STORE_H_
