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
#include "google/protobuf/unknown_field_set.h"
#include "proto/enum_text.h"

namespace bamctl {
namespace {

// PRAGMA application_id of a bam-controller database: "bamc".
constexpr int32_t kApplicationId = 0x62616d63;

// Operations written before states were enums hold their kind, state and
// step states as strings in fields now reserved: parse them from the
// unknown fields into the enums (text as EnumText gives it).
absl::Status ConvertStringStates(SqliteDb& db);

struct Migration {
  const char* sql;
  absl::Status (*then)(SqliteDb&) = nullptr;  // data the SQL cannot convert
};

// Forward-only migrations; migration i brings the schema to version i+1.
// Never edit one that has shipped: add a new one.
const Migration kMigrations[] = {
    {R"sql(
CREATE TABLE spec_versions (
  version INTEGER PRIMARY KEY,
  spec_text TEXT NOT NULL,
  effective_spec BLOB NOT NULL,
  content_hash TEXT NOT NULL,
  author TEXT NOT NULL,
  comment TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  rollback_of INTEGER REFERENCES spec_versions(version)
);
CREATE TABLE plans (
  version INTEGER NOT NULL REFERENCES spec_versions(version),
  node TEXT NOT NULL,
  plan BLOB NOT NULL,
  plan_hash TEXT NOT NULL,
  PRIMARY KEY (version, node)
);
CREATE TABLE nodes (
  name TEXT PRIMARY KEY,
  agent_version TEXT NOT NULL DEFAULT '',
  connected INTEGER NOT NULL DEFAULT 0,
  last_seen_ms INTEGER NOT NULL DEFAULT 0,
  applied_version INTEGER NOT NULL DEFAULT 0,
  applied_plan_hash TEXT NOT NULL DEFAULT ''
);
CREATE TABLE role_status (
  node TEXT NOT NULL REFERENCES nodes(name) ON DELETE CASCADE,
  role TEXT NOT NULL,
  status BLOB NOT NULL,
  PRIMARY KEY (node, role)
);
CREATE TABLE operations (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  definition BLOB NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  actor TEXT NOT NULL,
  node TEXT NOT NULL,
  message TEXT NOT NULL
);
)sql"},
    // Agent reports beyond role status: preflight checks, notices, clock
    // offset (a NodeReport with its roles cleared).
    {R"sql(
ALTER TABLE nodes ADD COLUMN report_extra BLOB NOT NULL DEFAULT x'';
)sql"},
    // Phases, health, severities and operation states became enums. Reports
    // are a cache the agents send again on connect; operations are
    // converted.
    {R"sql(
DELETE FROM role_status;
UPDATE nodes SET report_extra = x'';
)sql",
     ConvertStringStates},
};

constexpr int kSchemaVersion = sizeof(kMigrations) / sizeof(kMigrations[0]);

// BEGIN IMMEDIATE on construction (the write lock up front, so two writers
// never deadlock upgrading), ROLLBACK unless Commit() succeeded.
class Transaction {
 public:
  explicit Transaction(SqliteDb& db) : db_(db) {}
  ~Transaction() {
    if (open_) (void)db_.Exec("ROLLBACK");
  }
  absl::Status Begin() {
    RETURN_IF_ERROR(db_.Exec("BEGIN IMMEDIATE"));
    open_ = true;
    return absl::OkStatus();
  }
  absl::Status Commit() {
    RETURN_IF_ERROR(db_.Exec("COMMIT"));
    open_ = false;
    return absl::OkStatus();
  }

 private:
  SqliteDb& db_;
  bool open_ = false;
};

absl::StatusOr<int64_t> PragmaInt(SqliteDb& db, absl::string_view pragma) {
  absl::StatusOr<std::unique_ptr<SqliteStmt>> stmt =
      SqliteStmt::Prepare(db, absl::StrCat("PRAGMA ", pragma));
  if (!stmt.ok()) return stmt.status();
  absl::StatusOr<bool> row = (*stmt)->Step();
  if (!row.ok()) return row.status();
  return *row ? (*stmt)->Int(0) : 0;
}

absl::StatusOr<std::string> PragmaText(SqliteDb& db, absl::string_view pragma) {
  absl::StatusOr<std::unique_ptr<SqliteStmt>> stmt =
      SqliteStmt::Prepare(db, absl::StrCat("PRAGMA ", pragma));
  if (!stmt.ok()) return stmt.status();
  absl::StatusOr<bool> row = (*stmt)->Step();
  if (!row.ok()) return row.status();
  return *row ? (*stmt)->Text(0) : std::string();
}

// The string a reserved field `number` held, if the message has one.
std::optional<std::string> LegacyString(const google::protobuf::Message& m, int number) {
  const google::protobuf::UnknownFieldSet& unknown = m.GetReflection()->GetUnknownFields(m);
  for (int i = 0; i < unknown.field_count(); ++i) {
    const google::protobuf::UnknownField& f = unknown.field(i);
    if (f.number() == number && f.type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      return f.length_delimited();
    }
  }
  return std::nullopt;
}

absl::Status ConvertStringStates(SqliteDb& db) {
  ASSIGN_OR_RETURN(auto select, SqliteStmt::Prepare(db, "SELECT id, definition FROM operations"));
  std::vector<v1::Operation> converted;
  while (true) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    v1::Operation op;
    if (!op.ParseFromString(select->Text(1))) {
      return absl::DataLossError(absl::StrCat("operation ", select->Int(0), " does not parse"));
    }
    if (std::optional<std::string> kind = LegacyString(op, 2)) {
      op.set_kind(EnumFromText<v1::OperationKind>(*kind).value_or(v1::OPERATION_KIND_UNSPECIFIED));
    }
    if (std::optional<std::string> state = LegacyString(op, 5)) {
      op.set_state(
          EnumFromText<v1::OperationState>(*state).value_or(v1::OPERATION_STATE_UNSPECIFIED));
    }
    for (v1::RolloutStep& step : *op.mutable_steps()) {
      if (std::optional<std::string> state = LegacyString(step, 3)) {
        step.set_state(EnumFromText<v1::StepState>(*state).value_or(v1::STEP_STATE_UNSPECIFIED));
      }
      step.GetReflection()->MutableUnknownFields(&step)->Clear();
    }
    op.GetReflection()->MutableUnknownFields(&op)->Clear();
    converted.push_back(std::move(op));
  }
  for (const v1::Operation& op : converted) {
    ASSIGN_OR_RETURN(auto update, SqliteStmt::Prepare(db,
                                                      "UPDATE operations SET kind = ?, state = ?, "
                                                      "definition = ? WHERE id = ?"));
    update->Bind(1, EnumText(op.kind()))
        .Bind(2, EnumText(op.state()))
        .BindBlob(3, op.SerializeAsString())
        .Bind(4, op.id());
    RETURN_IF_ERROR(update->Run());
  }
  return absl::OkStatus();
}

// Checks the file is ours (or empty) and brings its schema up to date.
absl::Status Migrate(SqliteDb& db, const std::string& path) {
  absl::StatusOr<int64_t> app_id = PragmaInt(db, "application_id");
  if (!app_id.ok()) {
    return absl::DataLossError(
        absl::StrCat(path, " is not a usable SQLite database: ", app_id.status().message()));
  }
  absl::StatusOr<int64_t> tables = [&]() -> absl::StatusOr<int64_t> {
    absl::StatusOr<std::unique_ptr<SqliteStmt>> stmt =
        SqliteStmt::Prepare(db, "SELECT count(*) FROM sqlite_master");
    if (!stmt.ok()) return stmt.status();
    absl::StatusOr<bool> row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    return (*stmt)->Int(0);
  }();
  if (!tables.ok()) return tables.status();
  if (*app_id != kApplicationId && !(*app_id == 0 && *tables == 0)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a bam-controller database (application_id ", *app_id,
                     "); give --db a new path or the controller's own file"));
  }
  absl::StatusOr<int64_t> user_version = PragmaInt(db, "user_version");
  if (!user_version.ok()) return user_version.status();
  if (*user_version > kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " has schema version ", *user_version, ", newer than this bam-controller knows (",
        kSchemaVersion, "); run a newer bam-controller"));
  }
  for (int64_t v = *user_version; v < kSchemaVersion; ++v) {
    Transaction tx(db);
    RETURN_IF_ERROR(tx.Begin());
    RETURN_IF_ERROR(Annotate(db.Exec(kMigrations[v].sql), absl::StrCat("migration ", v + 1)));
    if (kMigrations[v].then != nullptr) {
      RETURN_IF_ERROR(Annotate(kMigrations[v].then(db), absl::StrCat("migration ", v + 1)));
    }
    RETURN_IF_ERROR(db.Exec(absl::StrCat("PRAGMA application_id = ", kApplicationId)));
    RETURN_IF_ERROR(db.Exec(absl::StrCat("PRAGMA user_version = ", v + 1)));
    RETURN_IF_ERROR(tx.Commit());
  }
  return absl::OkStatus();
}

}  // namespace

int Store::SchemaVersion() { return kSchemaVersion; }

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path, const Clock* clock) {
  // One controller per database: an advisory lock on a side file, held for
  // the Store's life (released by the kernel if the process dies).
  const std::string lock_path = path + ".lock";
  int lock_fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) {
    return absl::UnavailableError(absl::StrCat("open ", lock_path, ": ", std::strerror(errno)));
  }
  if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    close(lock_fd);
    return absl::UnavailableError(
        absl::StrCat(path, " is in use by another bam-controller (lock ", lock_path, ")"));
  }
  auto fail = [&](absl::Status status) {
    close(lock_fd);
    return status;
  };
  absl::StatusOr<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(path);
  if (!db.ok()) return fail(db.status());
  SqliteDb& d = **db;
  if (absl::Status s = d.Exec("PRAGMA busy_timeout = 5000"); !s.ok()) return fail(s);
  if (absl::Status s = Migrate(d, path); !s.ok()) return fail(s);
  absl::StatusOr<std::string> mode = PragmaText(d, "journal_mode = WAL");
  if (!mode.ok()) return fail(mode.status());
  if (*mode != "wal") {
    return fail(absl::FailedPreconditionError(
        absl::StrCat(path, ": cannot switch to WAL journal mode (got ", *mode, ")")));
  }
  for (const char* pragma : {"PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON"}) {
    if (absl::Status s = d.Exec(pragma); !s.ok()) return fail(s);
  }
  absl::StatusOr<std::string> check = PragmaText(d, "quick_check");
  if (!check.ok() || *check != "ok") {
    return fail(absl::DataLossError(absl::StrCat(
        path, " is damaged: ", check.ok() ? *check : std::string(check.status().message()),
        "; restore it from a backup")));
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
                                             const std::string& author, const std::string& comment,
                                             int64_t rollback_of) {
  ASSIGN_OR_RETURN(int64_t current, CurrentVersionLocked());
  const int64_t version = current + 1;
  ASSIGN_OR_RETURN(auto insert, SqliteStmt::Prepare(*db_,
                                                    "INSERT INTO spec_versions (version, "
                                                    "spec_text, effective_spec, content_hash, "
                                                    "author, comment, created_ms, rollback_of) "
                                                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  insert->Bind(1, version)
      .Bind(2, text)
      .BindBlob(3, effective)
      .Bind(4, Sha256Hex(text))
      .Bind(5, author)
      .Bind(6, comment)
      .Bind(7, clock_->NowMillis());
  if (rollback_of > 0) {
    insert->Bind(8, rollback_of);
  } else {
    insert->BindNull(8);
  }
  RETURN_IF_ERROR(insert->Run());
  return version;
}

absl::Status Store::AppendEvent(absl::string_view kind, absl::string_view actor,
                                absl::string_view node, absl::string_view message) {
  ASSIGN_OR_RETURN(auto stmt, SqliteStmt::Prepare(*db_,
                                                  "INSERT INTO events (time_ms, kind, actor, "
                                                  "node, message) VALUES (?, ?, ?, ?, ?)"));
  stmt->Bind(1, clock_->NowMillis()).Bind(2, kind).Bind(3, actor).Bind(4, node).Bind(5, message);
  return stmt->Run();
}

absl::StatusOr<CommitResult> Store::CommitVersion(const CommitRequest& request) {
  absl::MutexLock lock(&mu_);
  Transaction tx(*db_);
  RETURN_IF_ERROR(tx.Begin());
  RETURN_IF_ERROR(CheckExpected(request.expected_version));
  ASSIGN_OR_RETURN(int64_t current, CurrentVersionLocked());
  if (current > 0) {
    ASSIGN_OR_RETURN(
        auto stmt,
        SqliteStmt::Prepare(*db_, "SELECT content_hash FROM spec_versions WHERE version = ?"));
    stmt->Bind(1, current);
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (row && stmt->Text(0) == Sha256Hex(request.spec_text)) {
      return CommitResult{current, true};
    }
  }
  std::string effective;
  if (!request.effective_spec.SerializeToString(&effective)) {
    return absl::InternalError("cannot serialize the effective spec");
  }
  ASSIGN_OR_RETURN(int64_t version,
                   InsertVersion(request.spec_text, effective, request.author, request.comment, 0));
  ASSIGN_OR_RETURN(auto insert_plan,
                   SqliteStmt::Prepare(*db_,
                                       "INSERT INTO plans (version, node, plan, plan_hash) "
                                       "VALUES (?, ?, ?, ?)"));
  for (const v1::NodePlan& plan : request.plans) {
    std::string bytes;
    if (!plan.SerializeToString(&bytes)) return absl::InternalError("cannot serialize a plan");
    insert_plan->Bind(1, version).Bind(2, plan.node()).BindBlob(3, bytes).Bind(4, Sha256Hex(bytes));
    RETURN_IF_ERROR(insert_plan->Run());
    RETURN_IF_ERROR(insert_plan->Reset());
  }
  RETURN_IF_ERROR(AppendEvent(
      "apply", request.author, "",
      absl::StrCat("version ", version, request.comment.empty() ? "" : ": ", request.comment)));
  RETURN_IF_ERROR(tx.Commit());
  return CommitResult{version, false};
}

absl::StatusOr<CommitResult> Store::Rollback(int64_t target, const std::string& author,
                                             std::optional<int64_t> expected_version) {
  absl::MutexLock lock(&mu_);
  Transaction tx(*db_);
  RETURN_IF_ERROR(tx.Begin());
  RETURN_IF_ERROR(CheckExpected(expected_version));
  ASSIGN_OR_RETURN(auto old, SqliteStmt::Prepare(*db_,
                                                 "SELECT spec_text, effective_spec FROM "
                                                 "spec_versions WHERE version = ?"));
  old->Bind(1, target);
  ASSIGN_OR_RETURN(bool found, old->Step());
  if (!found) {
    ASSIGN_OR_RETURN(int64_t current, CurrentVersionLocked());
    return absl::NotFoundError(
        absl::StrCat("no version ", target, "; versions are 1 to ", current));
  }
  ASSIGN_OR_RETURN(int64_t version,
                   InsertVersion(old->Text(0), old->Text(1), author,
                                 absl::StrCat("rollback to version ", target), target));
  ASSIGN_OR_RETURN(auto copy, SqliteStmt::Prepare(*db_,
                                                  "INSERT INTO plans (version, node, plan, "
                                                  "plan_hash) SELECT ?, node, plan, plan_hash "
                                                  "FROM plans WHERE version = ?"));
  copy->Bind(1, version).Bind(2, target);
  RETURN_IF_ERROR(copy->Run());
  RETURN_IF_ERROR(AppendEvent("rollback", author, "",
                              absl::StrCat("version ", version, " restores version ", target)));
  RETURN_IF_ERROR(tx.Commit());
  return CommitResult{version, false};
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
  if (!row) return absl::NotFoundError(absl::StrCat("no version ", version));
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
  if (!row) return absl::NotFoundError(absl::StrCat("no version ", version));
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
  for (const v1::NodeReport& report : reports) {
    upsert->Bind(1, report.node())
        .Bind(2, report.agent_version())
        .Bind(3, now)
        .Bind(4, report.applied_version())
        .Bind(5, report.applied_plan_hash());
    v1::NodeReport extra = report;
    extra.clear_roles();  // those have their own rows
    upsert->BindBlob(6, extra.SerializeAsString());
    RETURN_IF_ERROR(upsert->Run());
    RETURN_IF_ERROR(upsert->Reset());
    clear->Bind(1, report.node());
    RETURN_IF_ERROR(clear->Run());
    RETURN_IF_ERROR(clear->Reset());
    for (const v1::RoleStatus& status : report.roles()) {
      role->Bind(1, report.node())
          .Bind(2, status.service())
          .BindBlob(3, status.SerializeAsString());
      RETURN_IF_ERROR(role->Run());
      RETURN_IF_ERROR(role->Reset());
    }
  }
  return tx.Commit();
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
  stmt->Bind(1, node).Bind(2, connected ? 1 : 0).Bind(3, clock_->NowMillis());
  RETURN_IF_ERROR(stmt->Run());
  RETURN_IF_ERROR(AppendEvent(connected ? "node-connected" : "node-disconnected", "", node, ""));
  return tx.Commit();
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
      auto nodes, SqliteStmt::Prepare(*db_,
                                      "SELECT name, agent_version, connected, last_seen_ms, "
                                      "applied_version, applied_plan_hash, report_extra FROM nodes "
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
                      {}};
    record.report_extra.ParseFromString(nodes->Text(6));
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

absl::StatusOr<std::vector<EventRecord>> Store::ListEvents(int limit) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto stmt, SqliteStmt::Prepare(*db_,
                                                  "SELECT id, time_ms, kind, actor, node, message "
                                                  "FROM events ORDER BY id DESC LIMIT ?"));
  stmt->Bind(1, limit);
  std::vector<EventRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    out.push_back(
        {stmt->Int(0), stmt->Int(1), stmt->Text(2), stmt->Text(3), stmt->Text(4), stmt->Text(5)});
  }
  return out;
}

absl::StatusOr<int64_t> Store::CreateOperation(v1::Operation op, absl::string_view event) {
  absl::MutexLock lock(&mu_);
  Transaction tx(*db_);
  RETURN_IF_ERROR(tx.Begin());
  const int64_t now = clock_->NowMillis();
  ASSIGN_OR_RETURN(auto next, SqliteStmt::Prepare(*db_,
                                                  "SELECT COALESCE(MAX(id), 0) + 1 FROM "
                                                  "operations"));
  ASSIGN_OR_RETURN(bool row, next->Step());
  const int64_t id = row ? next->Int(0) : 1;
  op.set_id(id);
  op.set_created_ms(now);
  op.set_updated_ms(now);
  ASSIGN_OR_RETURN(auto insert,
                   SqliteStmt::Prepare(*db_,
                                       "INSERT INTO operations (id, kind, state, definition, "
                                       "created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?)"));
  insert->Bind(1, id)
      .Bind(2, EnumText(op.kind()))
      .Bind(3, EnumText(op.state()))
      .BindBlob(4, op.SerializeAsString());
  insert->Bind(5, now).Bind(6, now);
  RETURN_IF_ERROR(insert->Run());
  if (!event.empty()) {
    RETURN_IF_ERROR(
        AppendEvent("operation", op.author(), "", absl::StrCat("operation ", id, ": ", event)));
  }
  RETURN_IF_ERROR(tx.Commit());
  return id;
}

absl::Status Store::UpdateOperation(const v1::Operation& op, absl::string_view event) {
  absl::MutexLock lock(&mu_);
  Transaction tx(*db_);
  RETURN_IF_ERROR(tx.Begin());
  v1::Operation copy = op;
  copy.set_updated_ms(clock_->NowMillis());
  ASSIGN_OR_RETURN(auto update, SqliteStmt::Prepare(*db_,
                                                    "UPDATE operations SET state = ?, definition "
                                                    "= ?, updated_ms = ? WHERE id = ?"));
  update->Bind(1, EnumText(copy.state()))
      .BindBlob(2, copy.SerializeAsString())
      .Bind(3, copy.updated_ms())
      .Bind(4, copy.id());
  RETURN_IF_ERROR(update->Run());
  if (sqlite3_changes(db_->get()) != 1) {
    return absl::NotFoundError(absl::StrCat("no operation ", op.id()));
  }
  if (!event.empty()) {
    RETURN_IF_ERROR(AppendEvent("operation", op.author(), "",
                                absl::StrCat("operation ", op.id(), ": ", event)));
  }
  return tx.Commit();
}

absl::StatusOr<v1::Operation> Store::GetOperation(int64_t id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto stmt,
                   SqliteStmt::Prepare(*db_, "SELECT definition FROM operations WHERE id = ?"));
  stmt->Bind(1, id);
  ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return absl::NotFoundError(absl::StrCat("no operation ", id));
  v1::Operation op;
  if (!op.ParseFromString(stmt->Text(0))) {
    return absl::DataLossError(absl::StrCat("operation ", id, " does not parse"));
  }
  return op;
}

absl::StatusOr<std::vector<v1::Operation>> Store::ListOperations(int limit, bool active_only) {
  absl::MutexLock lock(&mu_);
  std::string where;
  if (active_only) {
    std::vector<std::string> states;
    for (v1::OperationState state : kActiveOperationStates) {
      states.push_back(absl::StrCat("'", EnumText(state), "'"));
    }
    where = absl::StrCat(" WHERE state IN (", absl::StrJoin(states, ", "), ")");
  }
  ASSIGN_OR_RETURN(auto stmt,
                   SqliteStmt::Prepare(*db_, absl::StrCat("SELECT definition FROM "
                                                          "operations",
                                                          where, " ORDER BY id DESC LIMIT ?")));
  stmt->Bind(1, limit);
  std::vector<v1::Operation> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    v1::Operation op;
    if (!op.ParseFromString(stmt->Text(0))) {
      return absl::DataLossError("an operation does not parse");
    }
    out.push_back(std::move(op));
  }
  return out;
}

}  // namespace bamctl
