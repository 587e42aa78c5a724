#include "controller/store/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/hash.h"
#include "common/status_macros.h"
#include "controller/store/migrations.h"

namespace bamctl {

v1::VersionInfo VersionInfoOf(const VersionRecord& record) {
  v1::VersionInfo info;
  info.set_version(record.version);
  info.set_content_hash(record.content_hash);
  info.set_author(record.author);
  info.set_comment(record.comment);
  info.set_created_ms(record.created_ms);
  info.set_rollback_of(record.rollback_of);
  return info;
}

v1::Event EventOf(const EventRecord& record) {
  v1::Event event;
  event.set_id(record.id);
  event.set_time_ms(record.time_ms);
  event.set_kind(record.kind);
  event.set_actor(record.actor);
  event.set_node(record.node);
  event.set_message(record.message);
  return event;
}

int Store::SchemaVersion() { return LatestSchemaVersion(); }

namespace {

// Opens the database at `path` and readies it: schema up to date, WAL,
// synchronous=FULL, foreign keys, an intact file.
absl::StatusOr<std::unique_ptr<SqliteDb>> OpenDatabase(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path));
  RETURN_IF_ERROR(db->Exec("PRAGMA busy_timeout = 5000"));
  RETURN_IF_ERROR(Migrate(*db, path));
  ASSIGN_OR_RETURN(std::string mode, QueryText(*db, "PRAGMA journal_mode = WAL"));
  if (mode != "wal") {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": cannot switch to WAL journal mode (got ", mode, ")"));
  }
  for (const char* pragma : {"PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON"}) {
    RETURN_IF_ERROR(db->Exec(pragma));
  }
  absl::StatusOr<std::string> check = QueryText(*db, "PRAGMA quick_check");
  if (!check.ok() || *check != "ok") {
    return absl::DataLossError(absl::StrCat(
        path, " is damaged: ", check.ok() ? *check : std::string(check.status().message()),
        "; restore it from a backup"));
  }
  return db;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path, const Clock* clock) {
  // One controller per database: an advisory lock on a side file, held for
  // the Store's life (released by the kernel if the process dies).
  const std::string lock_path = path + ".lock";
  const int lock_fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) {
    return absl::UnavailableError(absl::StrCat("open ", lock_path, ": ", std::strerror(errno)));
  }
  if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    close(lock_fd);
    return absl::UnavailableError(
        absl::StrCat(path, " is in use by another bam-controller (lock ", lock_path, ")"));
  }
  absl::StatusOr<std::unique_ptr<SqliteDb>> db = OpenDatabase(path);
  if (!db.ok()) {
    close(lock_fd);
    return db.status();
  }
  return std::unique_ptr<Store>(new Store(*std::move(db), lock_fd, clock));
}

Store::~Store() {
  {
    absl::MutexLock lock(&mu_);
    db_.reset();
  }
  close(lock_fd_);
}

absl::StatusOr<int64_t> Store::CurrentVersionLocked() {
  ASSIGN_OR_RETURN(
      auto stmt, SqliteStmt::Prepare(*db_, "SELECT coalesce(max(version), 0) FROM spec_versions"));
  ASSIGN_OR_RETURN(bool row, stmt->Step());
  return row ? stmt->Int(0) : 0;
}

absl::StatusOr<int64_t> Store::CurrentVersion() {
  absl::MutexLock lock(&mu_);
  return CurrentVersionLocked();
}

absl::StatusOr<int64_t> Store::EpochLocked() {
  ASSIGN_OR_RETURN(auto stmt,
                   SqliteStmt::Prepare(*db_, "SELECT value FROM settings WHERE name = 'epoch'"));
  ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return absl::DataLossError("the settings table has no epoch");
  return stmt->Int(0);
}

absl::StatusOr<int64_t> Store::Epoch() {
  absl::MutexLock lock(&mu_);
  return EpochLocked();
}

absl::Status Store::AdvanceEpoch(int64_t epoch, absl::string_view node, absl::string_view message) {
  v1::StoreWrite write;
  v1::EpochWrite* e = write.mutable_epoch();
  e->set_epoch(epoch);
  e->set_node(std::string(node));
  e->set_message(std::string(message));
  return Write(std::move(write)).status();
}

absl::Status Store::AdvanceEpochLocked(const v1::EpochWrite& write, int64_t now) {
  ASSIGN_OR_RETURN(int64_t current, EpochLocked());
  if (write.epoch() <= current) {
    return absl::FailedPreconditionError(absl::StrCat("cannot move to epoch ", write.epoch(),
                                                      ": the controller is at epoch ", current,
                                                      " already"));
  }
  RETURN_IF_ERROR(SetSettingLocked("epoch", write.epoch()));
  return AppendEvent("take-back", "", write.node(), write.message(), now);
}

absl::Status Store::CheckExpected(std::optional<int64_t> expected) {
  if (!expected) return absl::OkStatus();
  ASSIGN_OR_RETURN(int64_t current, CurrentVersionLocked());
  if (current != *expected) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the desired state changed: expected version ", *expected, " but the current version is ",
        current, "; review it (bamctl desired-state diff) and apply again"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Store::InsertVersion(const std::string& text, const std::string& effective,
                                             const std::string& hosts, const std::string& author,
                                             const std::string& comment, int64_t rollback_of,
                                             int64_t now) {
  ASSIGN_OR_RETURN(int64_t current, CurrentVersionLocked());
  const int64_t version = current + 1;
  ASSIGN_OR_RETURN(auto insert, SqliteStmt::Prepare(*db_,
                                                    "INSERT INTO spec_versions (version, "
                                                    "spec_text, effective_spec, content_hash, "
                                                    "author, comment, created_ms, rollback_of, "
                                                    "hosts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  insert->Bind(1, version)
      .Bind(2, text)
      .BindBlob(3, effective)
      .Bind(4, Sha256Hex(text))
      .Bind(5, author)
      .Bind(6, comment)
      .Bind(7, now);
  if (rollback_of > 0) {
    insert->Bind(8, rollback_of);
  } else {
    insert->BindNull(8);
  }
  insert->BindBlob(9, hosts);
  RETURN_IF_ERROR(insert->Run());
  return version;
}

absl::StatusOr<CommitResult> Store::CommitVersion(const CommitRequest& request) {
  v1::StoreWrite write;
  v1::CommitWrite* commit = write.mutable_commit();
  commit->set_spec_text(request.spec_text);
  if (!request.effective_spec.SerializeToString(commit->mutable_effective_spec())) {
    return absl::InternalError("cannot serialize the effective spec");
  }
  for (const v1::NodePlan& plan : request.plans) {
    if (!plan.SerializeToString(commit->add_plans())) {
      return absl::InternalError("cannot serialize a plan");
    }
  }
  if (!request.hosts.SerializeToString(commit->mutable_hosts())) {
    return absl::InternalError("cannot serialize the host list");
  }
  commit->set_author(request.author);
  commit->set_comment(request.comment);
  if (request.expected_version) commit->set_expected_version(*request.expected_version);
  ASSIGN_OR_RETURN(v1::StoreWriteResult result, Write(std::move(write)));
  return CommitResult{result.version(), result.unchanged()};
}

absl::StatusOr<CommitResult> Store::Rollback(int64_t target, const std::string& author,
                                             std::optional<int64_t> expected_version) {
  // The write carries the target's content, so that applying it needs no
  // other row (a replica may have pruned the target).
  v1::StoreWrite write;
  v1::CommitWrite* commit = write.mutable_commit();
  {
    absl::MutexLock lock(&mu_);
    // A stale expected version is the error to report first, as it was
    // before; applying checks it again.
    RETURN_IF_ERROR(CheckExpected(expected_version));
    ASSIGN_OR_RETURN(auto old, SqliteStmt::Prepare(*db_,
                                                   "SELECT spec_text, effective_spec, hosts FROM "
                                                   "spec_versions WHERE version = ?"));
    old->Bind(1, target);
    ASSIGN_OR_RETURN(bool found, old->Step());
    if (!found) return MissingVersionLocked(target);
    commit->set_spec_text(old->Text(0));
    commit->set_effective_spec(old->Text(1));
    commit->set_hosts(old->Text(2));
    ASSIGN_OR_RETURN(auto plans, SqliteStmt::Prepare(*db_,
                                                     "SELECT plan FROM plans WHERE version = ? "
                                                     "ORDER BY node"));
    plans->Bind(1, target);
    while (true) {
      ASSIGN_OR_RETURN(bool row, plans->Step());
      if (!row) break;
      commit->add_plans(plans->Text(0));
    }
  }
  commit->set_author(author);
  commit->set_comment(absl::StrCat("rollback to version ", target));
  commit->set_rollback_of(target);
  if (expected_version) commit->set_expected_version(*expected_version);
  ASSIGN_OR_RETURN(v1::StoreWriteResult result, Write(std::move(write)));
  return CommitResult{result.version(), false};
}

absl::StatusOr<v1::StoreWriteResult> Store::CommitLocked(const v1::CommitWrite& write,
                                                         int64_t now) {
  std::optional<int64_t> expected;
  if (write.has_expected_version()) expected = write.expected_version();
  RETURN_IF_ERROR(CheckExpected(expected));
  ASSIGN_OR_RETURN(int64_t current, CurrentVersionLocked());
  v1::StoreWriteResult result;
  if (current > 0 && write.rollback_of() == 0) {
    ASSIGN_OR_RETURN(
        auto stmt,
        SqliteStmt::Prepare(*db_, "SELECT content_hash FROM spec_versions WHERE version = ?"));
    stmt->Bind(1, current);
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (row && stmt->Text(0) == Sha256Hex(write.spec_text())) {
      result.set_version(current);
      result.set_unchanged(true);
      return result;
    }
  }
  ASSIGN_OR_RETURN(int64_t version,
                   InsertVersion(write.spec_text(), write.effective_spec(), write.hosts(),
                                 write.author(), write.comment(), write.rollback_of(), now));
  ASSIGN_OR_RETURN(auto insert_plan,
                   SqliteStmt::Prepare(*db_,
                                       "INSERT INTO plans (version, node, plan, plan_hash) "
                                       "VALUES (?, ?, ?, ?)"));
  for (const std::string& bytes : write.plans()) {
    v1::NodePlan plan;
    if (!plan.ParseFromString(bytes)) {
      return absl::InvalidArgumentError(
          absl::StrCat("version ", version, ": a plan in the write does not parse"));
    }
    insert_plan->Bind(1, version).Bind(2, plan.node()).BindBlob(3, bytes).Bind(4, Sha256Hex(bytes));
    RETURN_IF_ERROR(insert_plan->Run());
    RETURN_IF_ERROR(insert_plan->Reset());
  }
  if (write.rollback_of() > 0) {
    RETURN_IF_ERROR(AppendEvent(
        "rollback", write.author(), "",
        absl::StrCat("version ", version, " restores version ", write.rollback_of()), now));
  } else {
    RETURN_IF_ERROR(AppendEvent(
        "apply", write.author(), "",
        absl::StrCat("version ", version, write.comment().empty() ? "" : ": ", write.comment()),
        now));
  }
  result.set_version(version);
  return result;
}

absl::StatusOr<VersionRecord> Store::GetVersion(int64_t version) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto stmt, SqliteStmt::Prepare(*db_,
                                                  "SELECT version, spec_text, content_hash, "
                                                  "author, comment, created_ms, "
                                                  "coalesce(rollback_of, 0) FROM spec_versions "
                                                  "WHERE version = ?"));
  stmt->Bind(1, version);
  ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return MissingVersionLocked(version);
  return VersionRecord{stmt->Int(0),  stmt->Text(1), stmt->Text(2), stmt->Text(3),
                       stmt->Text(4), stmt->Int(5),  stmt->Int(6)};
}

absl::StatusOr<v1::ClusterSpec> Store::GetEffectiveSpec(int64_t version) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(
      auto stmt,
      SqliteStmt::Prepare(*db_, "SELECT effective_spec FROM spec_versions WHERE version = ?"));
  stmt->Bind(1, version);
  ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return MissingVersionLocked(version);
  v1::ClusterSpec spec;
  if (!spec.ParseFromString(stmt->Text(0))) {
    return absl::DataLossError(absl::StrCat("version ", version, ": stored spec does not parse"));
  }
  return spec;
}

absl::StatusOr<std::vector<VersionRecord>> Store::ListVersions(int limit) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto stmt, SqliteStmt::Prepare(*db_,
                                                  "SELECT version, spec_text, content_hash, "
                                                  "author, comment, created_ms, "
                                                  "coalesce(rollback_of, 0) FROM spec_versions "
                                                  "ORDER BY version DESC LIMIT ?"));
  stmt->Bind(1, limit);
  std::vector<VersionRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    out.push_back({stmt->Int(0), stmt->Text(1), stmt->Text(2), stmt->Text(3), stmt->Text(4),
                   stmt->Int(5), stmt->Int(6)});
  }
  return out;
}

absl::StatusOr<v1::HostList> Store::GetHosts(int64_t version) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto stmt,
                   SqliteStmt::Prepare(*db_, "SELECT hosts FROM spec_versions WHERE version = ?"));
  stmt->Bind(1, version);
  ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return MissingVersionLocked(version);
  v1::HostList hosts;
  if (!hosts.ParseFromString(stmt->Text(0))) {
    return absl::DataLossError(absl::StrCat("version ", version, ": the host list does not parse"));
  }
  return hosts;
}

absl::StatusOr<std::vector<v1::NodePlan>> Store::GetPlans(int64_t version) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto stmt,
                   SqliteStmt::Prepare(*db_,
                                       "SELECT node, plan FROM plans WHERE version = ? ORDER BY "
                                       "rowid"));
  stmt->Bind(1, version);
  std::vector<v1::NodePlan> plans;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    v1::NodePlan plan;
    if (!plan.ParseFromString(stmt->Text(1))) {
      return absl::DataLossError(
          absl::StrCat("version ", version, ": the plan of ", stmt->Text(0), " does not parse"));
    }
    plans.push_back(std::move(plan));
  }
  return plans;
}

absl::Status Store::RecordReports(const std::vector<v1::NodeReport>& reports) {
  absl::MutexLock lock(&mu_);
  Transaction tx(*db_);
  RETURN_IF_ERROR(tx.Begin());
  ASSIGN_OR_RETURN(auto upsert,
                   SqliteStmt::Prepare(*db_,
                                       "INSERT INTO nodes (name, agent_version, connected, "
                                       "last_seen_ms, applied_version, applied_plan_hash, "
                                       "report_extra) VALUES "
                                       "(?, ?, 1, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                                       "agent_version = excluded.agent_version, connected = 1, "
                                       "last_seen_ms = excluded.last_seen_ms, applied_version = "
                                       "excluded.applied_version, applied_plan_hash = "
                                       "excluded.applied_plan_hash, report_extra = "
                                       "excluded.report_extra"));
  ASSIGN_OR_RETURN(auto clear, SqliteStmt::Prepare(*db_, "DELETE FROM role_status WHERE node = ?"));
  ASSIGN_OR_RETURN(auto role, SqliteStmt::Prepare(*db_,
                                                  "INSERT INTO role_status (node, role, status) "
                                                  "VALUES (?, ?, ?)"));
  const int64_t now = clock_->NowMillis();
  std::vector<std::string> refused;
  for (const v1::NodeReport& report : reports) {
    // Each report in its own savepoint: one that fails (a malformed report
    // that got this far) is rolled back alone, never the batch's others.
    if (absl::Status valid = ValidateReport(report); !valid.ok()) {
      refused.push_back(std::string(valid.message()));
      continue;
    }
    RETURN_IF_ERROR(db_->Exec("SAVEPOINT report"));
    absl::Status recorded = RecordReportLocked(report, now, *upsert, *clear, *role);
    if (!recorded.ok()) {
      RETURN_IF_ERROR(db_->Exec("ROLLBACK TO report"));
      refused.push_back(absl::StrCat(report.node(), ": ", recorded.message()));
    }
    RETURN_IF_ERROR(db_->Exec("RELEASE report"));
  }
  RETURN_IF_ERROR(tx.Commit());
  if (!refused.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "reports refused (the batch's others are recorded): ", absl::StrJoin(refused, "; ")));
  }
  return absl::OkStatus();
}

absl::Status Store::RecordReportLocked(const v1::NodeReport& report, int64_t now,
                                       SqliteStmt& upsert, SqliteStmt& clear, SqliteStmt& role) {
  v1::NodeReport extra = report;
  extra.clear_roles();  // those have their own rows
  upsert.Bind(1, report.node())
      .Bind(2, report.agent_version())
      .Bind(3, now)
      .Bind(4, report.applied_version())
      .Bind(5, report.applied_plan_hash())
      .BindBlob(6, extra.SerializeAsString());
  absl::Status run = upsert.Run();
  RETURN_IF_ERROR(upsert.Reset());
  RETURN_IF_ERROR(run);
  clear.Bind(1, report.node());
  run = clear.Run();
  RETURN_IF_ERROR(clear.Reset());
  RETURN_IF_ERROR(run);
  for (const v1::RoleStatus& status : report.roles()) {
    role.Bind(1, report.node()).Bind(2, status.service()).BindBlob(3, status.SerializeAsString());
    run = role.Run();
    RETURN_IF_ERROR(role.Reset());
    RETURN_IF_ERROR(run);
  }
  return absl::OkStatus();
}

absl::Status ValidateReport(const v1::NodeReport& report) {
  if (report.node().empty()) return absl::InvalidArgumentError("a report without a node name");
  std::set<std::string> services;
  for (const v1::RoleStatus& role : report.roles()) {
    if (role.service().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(report.node(), ": a role status without a service name"));
    }
    if (!services.insert(role.service()).second) {
      return absl::InvalidArgumentError(absl::StrCat(report.node(), ": service \"", role.service(),
                                                     "\" is reported twice; one status each"));
    }
  }
  return absl::OkStatus();
}

absl::Status Store::SetConnected(const std::string& node, bool connected) {
  absl::MutexLock lock(&mu_);
  Transaction tx(*db_);
  RETURN_IF_ERROR(tx.Begin());
  ASSIGN_OR_RETURN(
      auto stmt, SqliteStmt::Prepare(*db_,
                                     "INSERT INTO nodes (name, connected, last_seen_ms) VALUES (?, "
                                     "?, ?) ON CONFLICT(name) DO UPDATE SET connected = "
                                     "excluded.connected, last_seen_ms = excluded.last_seen_ms"));
  const int64_t now = clock_->NowMillis();
  stmt->Bind(1, node).Bind(2, connected ? 1 : 0).Bind(3, now);
  RETURN_IF_ERROR(stmt->Run());
  RETURN_IF_ERROR(
      AppendEvent(connected ? "node-connected" : "node-disconnected", "", node, "", now));
  return tx.Commit();
}

absl::Status Store::SetMetricsAddress(const std::string& node, const std::string& address) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto stmt,
                   SqliteStmt::Prepare(*db_,
                                       "INSERT INTO nodes (name, metrics_address) "
                                       "VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET "
                                       "metrics_address = excluded.metrics_address "
                                       "WHERE metrics_address <> excluded.metrics_address"));
  stmt->Bind(1, node).Bind(2, address);
  return stmt->Run();
}

absl::Status Store::DisconnectAll() {
  absl::MutexLock lock(&mu_);
  return db_->Exec("UPDATE nodes SET connected = 0 WHERE connected <> 0");
}

absl::Status Store::TouchNodes(const std::vector<std::string>& nodes) {
  absl::MutexLock lock(&mu_);
  Transaction tx(*db_);
  RETURN_IF_ERROR(tx.Begin());
  ASSIGN_OR_RETURN(auto stmt,
                   SqliteStmt::Prepare(*db_, "UPDATE nodes SET last_seen_ms = ? WHERE name = ?"));
  const int64_t now = clock_->NowMillis();
  for (const std::string& node : nodes) {
    stmt->Bind(1, now).Bind(2, node);
    RETURN_IF_ERROR(stmt->Run());
    RETURN_IF_ERROR(stmt->Reset());
  }
  return tx.Commit();
}

absl::StatusOr<std::vector<NodeRecord>> Store::ListNodes() {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(
      auto nodes,
      SqliteStmt::Prepare(*db_,
                          "SELECT name, agent_version, connected, last_seen_ms, "
                          "applied_version, applied_plan_hash, report_extra, metrics_address "
                          "FROM nodes "
                          "ORDER BY name"));
  ASSIGN_OR_RETURN(auto roles,
                   SqliteStmt::Prepare(*db_,
                                       "SELECT status FROM role_status WHERE node = ? ORDER BY "
                                       "role"));
  std::vector<NodeRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, nodes->Step());
    if (!row) break;
    NodeRecord record{nodes->Text(0),
                      nodes->Text(1),
                      nodes->Int(2) != 0,
                      nodes->Int(3),
                      nodes->Int(4),
                      nodes->Text(5),
                      {},
                      {},
                      {}};
    record.report_extra.ParseFromString(nodes->Text(6));
    record.metrics_address = nodes->Text(7);
    roles->Bind(1, record.name);
    while (true) {
      ASSIGN_OR_RETURN(bool role_row, roles->Step());
      if (!role_row) break;
      v1::RoleStatus status;
      status.ParseFromString(roles->Text(0));
      record.roles.push_back(std::move(status));
    }
    RETURN_IF_ERROR(roles->Reset());
    out.push_back(std::move(record));
  }
  return out;
}

}  // namespace bamctl
