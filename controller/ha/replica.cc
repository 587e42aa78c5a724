#include "controller/ha/replica.h"

#include <limits>
#include <random>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/leader_redirect.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace bamctl {
namespace {

// Entries read per ZooKeeper round trip while catching up.
constexpr int kReadBatch = 64;
// Results kept for writes whose entry the loop applied first.
constexpr size_t kRecentResults = 256;

std::string ElectionPath(const std::string& ha_path) { return ha_path + "/election"; }

// The cluster's log identity: a random number in `<ha_path>/id`, made by
// the first controller. A database bound to one log never follows another
// (say, after the ZooKeeper nodes were deleted and made again).
absl::StatusOr<int64_t> LogId(ZkClient& zk, const std::string& ha_path) {
  const std::string path = ha_path + "/id";
  std::mt19937_64 random(std::random_device{}());
  const int64_t proposed =
      std::uniform_int_distribution<int64_t>(1, std::numeric_limits<int64_t>::max())(random);
  absl::StatusOr<std::string> made =
      zk.Create(path, absl::StrCat(proposed), ZkCreateMode::kPersistent);
  if (!made.ok() && made.status().code() != absl::StatusCode::kAlreadyExists) return made.status();
  ASSIGN_OR_RETURN(ZkNode node, zk.Get(path));
  int64_t id = 0;
  if (!absl::SimpleAtoi(node.data, &id) || id <= 0) {
    return absl::DataLossError(absl::StrCat(path, " is not a bamctl log id: \"", node.data, "\""));
  }
  return id;
}

}  // namespace

Replica::Replica(ReplicaOptions options, Store* store, const Clock* clock)
    : options_(std::move(options)), store_(store), clock_(clock), log_(options_.ha_path) {}

Replica::~Replica() { Stop(); }

void Replica::SetListeners(ServingListener serving, AppliedListener applied) {
  on_serving_ = std::move(serving);
  on_applied_ = std::move(applied);
}

absl::Status Replica::Start() {
  const std::string where =
      absl::StrCat("ZooKeeper ", options_.zookeeper.servers, " at ", options_.ha_path);
  ASSIGN_OR_RETURN(
      std::unique_ptr<ZkClient> zk,
      Annotate(ZkClient::Connect(options_.zookeeper, options_.connect_timeout), where));
  RETURN_IF_ERROR(Annotate(zk->EnsurePath(ElectionPath(options_.ha_path)), where));
  RETURN_IF_ERROR(Annotate(log_.Init(*zk), where));
  ASSIGN_OR_RETURN(int64_t log_id, Annotate(LogId(*zk, options_.ha_path), where));
  ASSIGN_OR_RETURN(ReplicaState state, store_->GetReplicaState());
  if (state.log_id == 0) {
    ASSIGN_OR_RETURN(bool history, store_->HasHistory());
    ASSIGN_OR_RETURN(std::vector<LogEntry> first, Annotate(log_.Read(*zk, 1, 1), where));
    if (history && !first.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "this database has a history of its own (versions, operations or tokens) and the "
          "cluster's log at ",
          where,
          " has entries already: a controller joins an HA cluster with an empty --db; to move "
          "this history into ZooKeeper instead, start it against a new --ha_path"));
    }
  }
  RETURN_IF_ERROR(store_->BindLog(log_id));
  zk->Close();
  ASSIGN_OR_RETURN(state, store_->GetReplicaState());
  db_id_ = state.db_id;
  {
    absl::MutexLock lock(&mu_);
    applied_ = state.applied_index;
  }
  LeaderElection::Options election;
  election.zookeeper = options_.zookeeper;
  election.path = ElectionPath(options_.ha_path);
  election.advertise = options_.advertise;
  election.connect_timeout = options_.connect_timeout;
  election_ = std::make_unique<LeaderElection>(std::move(election),
                                               [this](const ElectionView&) { Wake(); });
  election_->Start();
  thread_ = std::thread([this] { Loop(); });
  spdlog::info("HA: standing for election at {} as {} (log applied to entry {})", where,
               options_.advertise, state.applied_index);
  return absl::OkStatus();
}

void Replica::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
  if (election_ != nullptr) election_->Stop();
}

void Replica::Wake() {
  absl::MutexLock lock(&mu_);
  wake_ = true;
}

absl::Status Replica::MayServe() const {
  Status now = status();
  return now.serving ? absl::OkStatus() : NotLeaderError(now.advertise, now.leader);
}

Replica::Status Replica::status() const {
  Status status;
  if (election_ != nullptr) {
    ElectionView view = election_->view();
    status.role = view.role;
    status.leader = view.leader;
    status.leadership_changes = view.changes;
  }
  status.advertise = options_.advertise;
  absl::MutexLock lock(&mu_);
  status.serving = serving_;
  status.applied_index = applied_;
  status.error = error_;
  return status;
}

absl::StatusOr<std::vector<std::string>> Replica::Members() const {
  if (election_ == nullptr) return absl::UnavailableError("not started");
  return election_->Candidates();
}

void Replica::SetServing(bool serving) {
  {
    absl::MutexLock lock(&mu_);
    if (serving_ == serving) return;
    serving_ = serving;
  }
  spdlog::info("HA: {}", serving ? "leading: this controller serves writes and agents"
                                 : "not leading: writes and agents go to the leader");
  if (on_serving_) on_serving_(serving);
}

void Replica::Fail(const absl::Status& status) {
  spdlog::critical("HA: this controller cannot go on: {}", status.ToString());
  {
    absl::MutexLock lock(&mu_);
    if (!error_.empty()) return;
    error_ = std::string(status.message());
    stop_ = true;
  }
  SetServing(false);
  // Out of the election: a candidate that cannot serve must not lead.
  election_->Stop();
}

void Replica::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(
                               +[](Replica* r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu_) {
                                 return r->wake_ || r->stop_;
                               },
                               this),
                           absl::FromChrono(options_.poll));
      if (stop_) break;
      wake_ = false;
    }
    const ElectionView view = election_->view();
    std::shared_ptr<ZkClient> zk = election_->client();
    if (view.role != ElectionView::Role::kLeader) SetServing(false);
    if (zk == nullptr || zk->state() != ZkSessionState::kConnected) continue;
    absl::StatusOr<v1::StoreWriteResult> applied = ApplyUpTo(*zk, 0, /*watch=*/true);
    if (!applied.ok()) {
      if (applied.status().code() == absl::StatusCode::kDataLoss) {
        Fail(applied.status());
        break;
      }
      spdlog::warn("HA: applying the log: {}", applied.status().ToString());
      continue;
    }
    bool serving;
    {
      absl::MutexLock lock(&mu_);
      serving = serving_;
    }
    if (view.role == ElectionView::Role::kLeader && !serving) {
      if (absl::Status s = TakeOver(*zk, view.candidate); !s.ok()) {
        if (s.code() == absl::StatusCode::kDataLoss) {
          Fail(s);
          break;
        }
        spdlog::warn("HA: taking over as leader: {}", s.ToString());
        continue;  // the election says again, or the next poll retries
      }
      SetServing(true);
    }
  }
  SetServing(false);
}

absl::StatusOr<int64_t> Replica::Append(ZkClient& zk, const std::string& fence,
                                        const v1::StoreWrite& write) {
  absl::StatusOr<int64_t> index = log_.Append(zk, fence, write.SerializeAsString());
  if (index.ok()) return index;
  Wake();  // the loop looks at the election again
  switch (index.status().code()) {
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
      return absl::UnavailableError(
          absl::StrCat("this controller lost its leadership before the write was committed "
                       "(nothing was committed): ",
                       index.status().message()));
    default:
      return absl::UnavailableError(
          absl::StrCat("committing to ZooKeeper failed, and the write ", kMayHaveCommitted,
                       " (look before retrying): ", index.status().message()));
  }
}

absl::Status Replica::TakeOver(ZkClient& zk, const std::string& fence) {
  absl::MutexLock write_lock(&write_mu_);
  RETURN_IF_ERROR(ApplyUpTo(zk, 0, /*watch=*/false).status());
  int64_t applied;
  {
    absl::MutexLock lock(&mu_);
    applied = applied_;
  }
  if (applied == 0) {
    ASSIGN_OR_RETURN(bool history, store_->HasHistory());
    if (history) {  // bootstrap: this store's history becomes the log's first entry
      v1::StoreWrite snapshot;
      snapshot.set_time_ms(clock_->NowMillis());
      ASSIGN_OR_RETURN(*snapshot.mutable_snapshot(), store_->Snapshot());
      ASSIGN_OR_RETURN(int64_t index, Append(zk, fence, snapshot));
      RETURN_IF_ERROR(ApplyUpTo(zk, index, false).status());
      spdlog::info("HA: moved this controller's history into the log (entry {})", index);
    }
  }
  // The marker: once it is applied, so is every write an earlier leader
  // committed (the log is one order, and ours comes after theirs).
  v1::StoreWrite marker;
  marker.set_time_ms(clock_->NowMillis());
  v1::EventWrite* event = marker.mutable_event();
  event->set_kind("leader");
  event->set_actor(options_.advertise);
  event->set_message(absl::StrCat("controller ", options_.advertise, " leads"));
  ASSIGN_OR_RETURN(int64_t index, Append(zk, fence, marker));
  return ApplyUpTo(zk, index, false).status();
}

absl::StatusOr<v1::StoreWriteResult> Replica::ApplyUpTo(ZkClient& zk, int64_t until, bool watch) {
  absl::MutexLock apply_lock(&apply_mu_);
  int64_t applied;
  {
    absl::MutexLock lock(&mu_);
    applied = applied_;
  }
  while (until == 0 || applied < until) {
    ZkClient::Watch on_append = nullptr;
    if (watch) on_append = [this] { Wake(); };
    ASSIGN_OR_RETURN(std::vector<LogEntry> entries,
                     log_.Read(zk, applied + 1, kReadBatch, on_append));
    for (const LogEntry& entry : entries) {
      if (until > 0 && entry.index > until) break;
      if (entry.index != applied + 1) {
        return absl::DataLossError(absl::StrCat("the commit log has no entry ", applied + 1,
                                                " (the next is ", entry.index, ")"));
      }
      v1::StoreWrite write;
      if (!write.ParseFromString(entry.data)) {
        return absl::DataLossError(
            absl::StrCat("commit log entry ", entry.index,
                         " does not parse (written by a newer bam-controller? upgrade this one)"));
      }
      if (entry.index == 1 &&
          !(write.has_snapshot() && write.snapshot().source_db_id() == db_id_)) {
        ASSIGN_OR_RETURN(bool history, store_->HasHistory());
        if (history && !write.has_snapshot()) {
          return absl::DataLossError(
              "this database has a history of its own and the cluster's log does not start "
              "from it: start this controller on an empty --db to join");
        }
      }
      absl::StatusOr<v1::StoreWriteResult> result = store_->ApplyWrite(write, entry.index);
      ASSIGN_OR_RETURN(ReplicaState state, store_->GetReplicaState());
      if (state.applied_index != entry.index) {
        // Not applied: the store's own failure (or a snapshot it refuses).
        return result.ok() ? absl::InternalError("an applied entry was not recorded")
                           : result.status();
      }
      recent_.insert_or_assign(entry.index, std::move(result));
      while (recent_.size() > kRecentResults) recent_.erase(recent_.begin());
      applied = entry.index;
      {
        absl::MutexLock lock(&mu_);
        applied_ = applied;
      }
      if (on_applied_) on_applied_(applied, write);
    }
    if (entries.size() < static_cast<size_t>(kReadBatch)) break;
  }
  if (until == 0) return v1::StoreWriteResult();
  if (applied < until) {
    return absl::UnavailableError(absl::StrCat(
        "commit log entry ", until, " is not readable yet (applied up to ", applied, ")"));
  }
  auto found = recent_.find(until);
  if (found == recent_.end()) {
    return absl::InternalError(absl::StrCat("the result of log entry ", until, " is gone"));
  }
  return found->second;
}

absl::StatusOr<v1::StoreWriteResult> Replica::Commit(v1::StoreWrite write) {
  absl::MutexLock write_lock(&write_mu_);
  const ElectionView view = election_ != nullptr ? election_->view() : ElectionView();
  bool serving;
  {
    absl::MutexLock lock(&mu_);
    serving = serving_;
  }
  std::shared_ptr<ZkClient> zk = election_ != nullptr ? election_->client() : nullptr;
  if (!serving || view.role != ElectionView::Role::kLeader || zk == nullptr) {
    return NotLeaderError(options_.advertise, view.leader);
  }
  write.set_time_ms(clock_->NowMillis());
  // Refused requests are not committed: the result they would give, from
  // this replica, which has every committed write.
  ASSIGN_OR_RETURN(v1::StoreWriteResult dry,
                   store_->ApplyWrite(write, 0, Store::ApplyMode::kDryRun));
  if (write.has_commit() && dry.unchanged()) return dry;
  ASSIGN_OR_RETURN(int64_t index, Append(*zk, view.candidate, write));
  return ApplyUpTo(*zk, index, false);
}

}  // namespace bamctl
