// The Store's replicated writes: applying a v1::StoreWrite, the replica's
// place in its commit log, and snapshots (the rest is in store.cc).
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/hash.h"
#include "common/status_macros.h"
#include "controller/store/store.h"
#include "proto/enum_text.h"

namespace bamctl {
namespace {

// Errors a write gives as a request (the same on every replica, whatever
// its disk does): the entry counts as applied. Any other error is the
// database's own and the entry must be applied again.
bool IsRequestError(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return true;
    default:
      return false;
  }
}

}  // namespace

absl::StatusOr<v1::StoreWriteResult> Store::Write(v1::StoreWrite write) {
  if (WriteLog* log = write_log_.load(); log != nullptr) return log->Commit(std::move(write));
  write.set_time_ms(clock_->NowMillis());
  return ApplyWrite(write, 0);
}

absl::StatusOr<v1::StoreWriteResult> Store::ApplyWrite(const v1::StoreWrite& write, int64_t index,
                                                       ApplyMode mode) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<v1::StoreWriteResult> result;
  {
    Transaction tx(*db_);
    RETURN_IF_ERROR(tx.Begin());
    if (index > 0) {
      ASSIGN_OR_RETURN(int64_t applied, SettingLocked("ha_applied"));
      if (index != applied + 1) {
        return absl::FailedPreconditionError(absl::StrCat(
            "log entry ", index, " cannot be applied after entry ", applied, " (out of order)"));
      }
      RETURN_IF_ERROR(SetSettingLocked("ha_applied", index));
    }
    result = ApplyLocked(write);
    if (result.ok() && mode == ApplyMode::kCommit) RETURN_IF_ERROR(tx.Commit());
  }  // rolled back unless committed
  if (!result.ok() && index > 0 && mode == ApplyMode::kCommit && IsRequestError(result.status())) {
    Transaction tx(*db_);
    RETURN_IF_ERROR(tx.Begin());
    RETURN_IF_ERROR(SetSettingLocked("ha_applied", index));
    RETURN_IF_ERROR(tx.Commit());
  }
  return result;
}

absl::StatusOr<v1::StoreWriteResult> Store::ApplyLocked(const v1::StoreWrite& write) {
  const int64_t now = write.time_ms();
  v1::StoreWriteResult result;
  switch (write.write_case()) {
    case v1::StoreWrite::kCommit:
      return CommitLocked(write.commit(), now);
    case v1::StoreWrite::kEpoch:
      RETURN_IF_ERROR(AdvanceEpochLocked(write.epoch(), now));
      return result;
    case v1::StoreWrite::kOperation: {
      const v1::OperationWrite& w = write.operation();
      if (w.create()) {
        ASSIGN_OR_RETURN(int64_t id, CreateOperationLocked(w.operation(), w.event(), now));
        result.set_operation_id(id);
      } else {
        RETURN_IF_ERROR(UpdateOperationLocked(w.operation(), w.event(), now));
      }
      return result;
    }
    case v1::StoreWrite::kAddToken:
      RETURN_IF_ERROR(AddNodeTokenLocked(write.add_token(), 0, now));
      return result;
    case v1::StoreWrite::kRedeemTokenHash: {
      ASSIGN_OR_RETURN(std::string node, RedeemNodeTokenLocked(write.redeem_token_hash(), now));
      result.set_node(std::move(node));
      return result;
    }
    case v1::StoreWrite::kEvent: {
      const v1::EventWrite& e = write.event();
      RETURN_IF_ERROR(AppendEvent(e.kind(), e.actor(), e.node(), e.message(), now));
      return result;
    }
    case v1::StoreWrite::kSnapshot:
      RETURN_IF_ERROR(ImportSnapshotLocked(write.snapshot()));
      return result;
    case v1::StoreWrite::WRITE_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("a store write with nothing in it");
}

absl::StatusOr<int64_t> Store::SettingLocked(absl::string_view name) {
  ASSIGN_OR_RETURN(auto stmt,
                   SqliteStmt::Prepare(*db_, "SELECT value FROM settings WHERE name = ?"));
  stmt->Bind(1, name);
  ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return absl::DataLossError(absl::StrCat("the settings table has no ", name));
  return stmt->Int(0);
}

absl::Status Store::SetSettingLocked(absl::string_view name, int64_t value) {
  ASSIGN_OR_RETURN(auto stmt,
                   SqliteStmt::Prepare(*db_, "UPDATE settings SET value = ? WHERE name = ?"));
  stmt->Bind(1, value).Bind(2, name);
  RETURN_IF_ERROR(stmt->Run());
  if (sqlite3_changes(db_->get()) != 1) {
    return absl::DataLossError(absl::StrCat("the settings table has no ", name));
  }
  return absl::OkStatus();
}

absl::StatusOr<ReplicaState> Store::GetReplicaState() {
  absl::MutexLock lock(&mu_);
  ReplicaState state;
  ASSIGN_OR_RETURN(state.db_id, SettingLocked("db_id"));
  ASSIGN_OR_RETURN(state.log_id, SettingLocked("ha_log"));
  ASSIGN_OR_RETURN(state.applied_index, SettingLocked("ha_applied"));
  return state;
}

absl::Status Store::BindLog(int64_t log_id) {
  absl::MutexLock lock(&mu_);
  Transaction tx(*db_);
  RETURN_IF_ERROR(tx.Begin());
  ASSIGN_OR_RETURN(int64_t current, SettingLocked("ha_log"));
  if (current == log_id) return absl::OkStatus();
  if (current != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "this database follows another commit log (id ", current, ", not ", log_id,
        "): it belongs to another cluster, or that log was deleted; start this controller on an "
        "empty --db to join"));
  }
  RETURN_IF_ERROR(SetSettingLocked("ha_log", log_id));
  RETURN_IF_ERROR(SetSettingLocked("ha_applied", 0));
  return tx.Commit();
}

absl::StatusOr<bool> Store::HasHistoryLocked() {
  ASSIGN_OR_RETURN(int64_t rows,
                   QueryInt(*db_,
                            "SELECT (SELECT count(*) FROM spec_versions) + (SELECT count(*) FROM "
                            "operations) + (SELECT count(*) FROM node_tokens)"));
  return rows > 0;
}

absl::StatusOr<bool> Store::HasHistory() {
  absl::MutexLock lock(&mu_);
  return HasHistoryLocked();
}

absl::StatusOr<v1::StoreSnapshot> Store::Snapshot() {
  absl::MutexLock lock(&mu_);
  v1::StoreSnapshot snapshot;
  ASSIGN_OR_RETURN(int64_t db_id, SettingLocked("db_id"));
  snapshot.set_source_db_id(db_id);
  ASSIGN_OR_RETURN(int64_t epoch, EpochLocked());
  snapshot.set_epoch(epoch);
  ASSIGN_OR_RETURN(auto versions,
                   SqliteStmt::Prepare(*db_,
                                       "SELECT version, spec_text, effective_spec, hosts, author, "
                                       "comment, created_ms, coalesce(rollback_of, 0) FROM "
                                       "spec_versions ORDER BY version"));
  ASSIGN_OR_RETURN(auto plans, SqliteStmt::Prepare(*db_,
                                                   "SELECT plan FROM plans WHERE version = ? "
                                                   "ORDER BY node"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, versions->Step());
    if (!row) break;
    v1::StoreSnapshot::Version* v = snapshot.add_versions();
    v->set_version(versions->Int(0));
    v->set_spec_text(versions->Text(1));
    v->set_effective_spec(versions->Text(2));
    v->set_hosts(versions->Text(3));
    v->set_author(versions->Text(4));
    v->set_comment(versions->Text(5));
    v->set_created_ms(versions->Int(6));
    v->set_rollback_of(versions->Int(7));
    plans->Bind(1, v->version());
    while (true) {
      ASSIGN_OR_RETURN(bool plan, plans->Step());
      if (!plan) break;
      v->add_plans(plans->Text(0));
    }
    RETURN_IF_ERROR(plans->Reset());
  }
  ASSIGN_OR_RETURN(auto ops,
                   SqliteStmt::Prepare(*db_, "SELECT definition FROM operations ORDER BY id"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, ops->Step());
    if (!row) break;
    snapshot.add_operations(ops->Text(0));
  }
  ASSIGN_OR_RETURN(auto tokens, SqliteStmt::Prepare(*db_,
                                                    "SELECT token_hash, node, created_by, "
                                                    "created_ms, expires_ms, used_ms FROM "
                                                    "node_tokens ORDER BY token_hash"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, tokens->Step());
    if (!row) break;
    v1::StoreSnapshot::Token* t = snapshot.add_tokens();
    t->mutable_token()->set_token_hash(tokens->Text(0));
    t->mutable_token()->set_node(tokens->Text(1));
    t->mutable_token()->set_created_by(tokens->Text(2));
    t->mutable_token()->set_created_ms(tokens->Int(3));
    t->mutable_token()->set_expires_ms(tokens->Int(4));
    t->set_used_ms(tokens->Int(5));
  }
  ASSIGN_OR_RETURN(auto events, SqliteStmt::Prepare(*db_,
                                                    "SELECT time_ms, kind, actor, node, message "
                                                    "FROM events ORDER BY id"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, events->Step());
    if (!row) break;
    v1::StoreSnapshot::Event* e = snapshot.add_events();
    e->set_time_ms(events->Int(0));
    e->mutable_event()->set_kind(events->Text(1));
    e->mutable_event()->set_actor(events->Text(2));
    e->mutable_event()->set_node(events->Text(3));
    e->mutable_event()->set_message(events->Text(4));
  }
  return snapshot;
}

absl::Status Store::ImportSnapshotLocked(const v1::StoreSnapshot& snapshot) {
  ASSIGN_OR_RETURN(int64_t db_id, SettingLocked("db_id"));
  if (db_id == snapshot.source_db_id()) return absl::OkStatus();  // taken from this database
  ASSIGN_OR_RETURN(bool history, HasHistoryLocked());
  if (history) {
    // Not a request error: this replica must not go on (nor skip the entry).
    return absl::DataLossError(
        "this database has a history of its own that is not the cluster's (versions, operations "
        "or tokens written before it joined): start this controller on an empty --db to join, "
        "or keep this one and move the cluster's state into it instead");
  }
  ASSIGN_OR_RETURN(auto version, SqliteStmt::Prepare(*db_,
                                                     "INSERT INTO spec_versions (version, "
                                                     "spec_text, effective_spec, content_hash, "
                                                     "author, comment, created_ms, rollback_of, "
                                                     "hosts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  ASSIGN_OR_RETURN(auto plan, SqliteStmt::Prepare(*db_,
                                                  "INSERT INTO plans (version, node, plan, "
                                                  "plan_hash) VALUES (?, ?, ?, ?)"));
  for (const v1::StoreSnapshot::Version& v : snapshot.versions()) {
    version->Bind(1, v.version())
        .Bind(2, v.spec_text())
        .BindBlob(3, v.effective_spec())
        .Bind(4, Sha256Hex(v.spec_text()))
        .Bind(5, v.author())
        .Bind(6, v.comment())
        .Bind(7, v.created_ms());
    if (v.rollback_of() > 0) {
      version->Bind(8, v.rollback_of());
    } else {
      version->BindNull(8);
    }
    version->BindBlob(9, v.hosts());
    RETURN_IF_ERROR(version->Run());
    RETURN_IF_ERROR(version->Reset());
    for (const std::string& bytes : v.plans()) {
      v1::NodePlan parsed;
      if (!parsed.ParseFromString(bytes)) {
        return absl::DataLossError(
            absl::StrCat("snapshot: a plan of version ", v.version(), " does not parse"));
      }
      plan->Bind(1, v.version())
          .Bind(2, parsed.node())
          .BindBlob(3, bytes)
          .Bind(4, Sha256Hex(bytes));
      RETURN_IF_ERROR(plan->Run());
      RETURN_IF_ERROR(plan->Reset());
    }
  }
  RETURN_IF_ERROR(SetSettingLocked("epoch", snapshot.epoch()));
  ASSIGN_OR_RETURN(auto op, SqliteStmt::Prepare(*db_,
                                                "INSERT INTO operations (id, kind, state, "
                                                "definition, created_ms, updated_ms) VALUES (?, "
                                                "?, ?, ?, ?, ?)"));
  for (const std::string& bytes : snapshot.operations()) {
    v1::Operation parsed;
    if (!parsed.ParseFromString(bytes)) {
      return absl::DataLossError("snapshot: an operation does not parse");
    }
    op->Bind(1, parsed.id())
        .Bind(2, EnumText(parsed.kind()))
        .Bind(3, EnumText(parsed.state()))
        .BindBlob(4, bytes)
        .Bind(5, parsed.created_ms())
        .Bind(6, parsed.updated_ms());
    RETURN_IF_ERROR(op->Run());
    RETURN_IF_ERROR(op->Reset());
  }
  for (const v1::StoreSnapshot::Token& t : snapshot.tokens()) {
    RETURN_IF_ERROR(AddNodeTokenLocked(t.token(), t.used_ms(), 0));
  }
  for (const v1::StoreSnapshot::Event& e : snapshot.events()) {
    const v1::EventWrite& w = e.event();
    RETURN_IF_ERROR(AppendEvent(w.kind(), w.actor(), w.node(), w.message(), e.time_ms()));
  }
  return absl::OkStatus();
}

}  // namespace bamctl
