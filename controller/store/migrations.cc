#include "controller/store/migrations.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/hash.h"
#include "common/status_macros.h"
#include "google/protobuf/unknown_field_set.h"
#include "proto/controller.pb.h"
#include "proto/enum_text.h"
#include "proto/spec.pb.h"
#include "roles/topology/compiler.h"

namespace bamctl {
namespace {

// PRAGMA application_id of a bam-controller database: "bamc".
constexpr int32_t kApplicationId = 0x62616d63;

// Operations written before states were enums hold their kind, state and
// step states as strings in fields now reserved: parse them from the
// unknown fields into the enums (text as EnumText gives it).
absl::Status ConvertStringStates(SqliteDb& db);
absl::Status RecompilePlans(SqliteDb& db);
absl::Status AddHostsAndRecompilePlans(SqliteDb& db);
// Auto-rollouts written before the AutoRollout message kept their children
// as fake steps (the service in nodes(0), the child's id in
// command_ids(0)): move them into auto_rollout.children.
absl::Status ConvertAutoRolloutSteps(SqliteDb& db);
// nodes.metrics_address, unless a database rewound to an older version for
// a test already has it.
absl::Status AddMetricsAddress(SqliteDb& db);

struct Migration {
  const char* sql;                            // may be empty
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
    // Auto-rollouts record their children in their own message.
    {"", ConvertAutoRolloutSteps},
    // Plans carry endpoints (host, port) instead of "host:port" strings.
    // Plans derive from the effective spec (compilation is deterministic):
    // every stored version's plans are compiled again.
    {"", RecompilePlans},
    // One-time enrolment tokens, by the SHA-256 of the token (the token
    // itself is never stored).
    {R"sql(
CREATE TABLE IF NOT EXISTS node_tokens (
  token_hash TEXT PRIMARY KEY,
  node TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  used_ms INTEGER NOT NULL DEFAULT 0
);
)sql"},
    // The controller's settings, an integer per name. `epoch` numbers the
    // times a controller took the cluster back (plans carry it; agents order
    // plans by epoch, then version): 1 in a new database and in one made
    // before epochs.
    {R"sql(
CREATE TABLE IF NOT EXISTS settings (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
INSERT OR IGNORE INTO settings (name, value) VALUES ('epoch', 1);
)sql"},
    // The host list left NodePlan (a copy per node made plans N² entries):
    // one list per version, and every version's plans compiled again.
    {"", AddHostsAndRecompilePlans},
    // Replication (controller/ha): this database's identity (random, never
    // 0), the commit log it follows (0: none) and the last entry applied.
    {R"sql(
INSERT OR IGNORE INTO settings (name, value)
  VALUES ('db_id', (random() & 9223372036854775807) | 1), ('ha_log', 0), ('ha_applied', 0);
)sql"},
    // Where each node's agent serves /metrics, from its hello, for
    // Prometheus service discovery (local, as the rest of a node's row).
    {"", AddMetricsAddress},
};

constexpr int kSchemaVersion = sizeof(kMigrations) / sizeof(kMigrations[0]);

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

// Every stored operation, parsed, in id order.
absl::StatusOr<std::vector<v1::Operation>> LoadOperations(SqliteDb& db) {
  ASSIGN_OR_RETURN(auto select,
                   SqliteStmt::Prepare(db, "SELECT id, definition FROM operations ORDER BY id"));
  std::vector<v1::Operation> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    v1::Operation op;
    if (!op.ParseFromString(select->Text(1))) {
      return absl::DataLossError(absl::StrCat("operation ", select->Int(0), " does not parse"));
    }
    out.push_back(std::move(op));
  }
  return out;
}

// Writes operations back: their kind and state columns and definitions.
absl::Status SaveOperations(SqliteDb& db, const std::vector<v1::Operation>& ops) {
  ASSIGN_OR_RETURN(auto update, SqliteStmt::Prepare(db,
                                                    "UPDATE operations SET kind = ?, state = ?, "
                                                    "definition = ? WHERE id = ?"));
  for (const v1::Operation& op : ops) {
    update->Bind(1, EnumText(op.kind()))
        .Bind(2, EnumText(op.state()))
        .BindBlob(3, op.SerializeAsString())
        .Bind(4, op.id());
    RETURN_IF_ERROR(update->Run());
    RETURN_IF_ERROR(update->Reset());
  }
  return absl::OkStatus();
}

absl::Status ConvertStringStates(SqliteDb& db) {
  ASSIGN_OR_RETURN(std::vector<v1::Operation> ops, LoadOperations(db));
  for (v1::Operation& op : ops) {
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
  }
  return SaveOperations(db, ops);
}

absl::Status ConvertAutoRolloutSteps(SqliteDb& db) {
  ASSIGN_OR_RETURN(std::vector<v1::Operation> ops, LoadOperations(db));
  // The role was not recorded in the fake steps; each child operation has it.
  std::map<int64_t, std::string> role_of;
  for (const v1::Operation& op : ops) role_of[op.id()] = op.role();
  std::vector<v1::Operation> converted;
  for (v1::Operation& op : ops) {
    if (op.kind() != v1::OPERATION_KIND_AUTO_ROLLOUT) continue;
    v1::AutoRollout* record = op.mutable_auto_rollout();
    for (const v1::RolloutStep& step : op.steps()) {
      v1::AutoRollout::Child* child = record->add_children();
      if (step.nodes_size() > 0) child->set_service(step.nodes(0));
      int64_t id = 0;
      if (step.command_ids_size() > 0 && absl::SimpleAtoi(step.command_ids(0), &id)) {
        child->set_operation_id(id);
      }
      child->set_started_ms(step.started_ms());
      if (auto role = role_of.find(id); role != role_of.end()) child->set_role(role->second);
    }
    op.clear_steps();
    converted.push_back(std::move(op));
  }
  return SaveOperations(db, converted);
}

// Compiles every stored version's plans again from its effective spec;
// with `hosts`, also stores its host list (the column exists from schema 8).
absl::Status Recompile(SqliteDb& db, bool hosts) {
  ASSIGN_OR_RETURN(auto select,
                   SqliteStmt::Prepare(db, "SELECT version, effective_spec FROM spec_versions"));
  std::vector<std::pair<int64_t, v1::ClusterPlan>> compiled;
  while (true) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    const int64_t version = select->Int(0);
    v1::ClusterSpec spec;
    if (!spec.ParseFromString(select->Text(1))) {
      return absl::DataLossError(absl::StrCat("version ", version, ": the spec does not parse"));
    }
    ASSIGN_OR_RETURN(v1::ClusterPlan plan,
                     Annotate(CompileTopology(spec), absl::StrCat("version ", version)));
    compiled.emplace_back(version, std::move(plan));
  }
  ASSIGN_OR_RETURN(auto clear, SqliteStmt::Prepare(db, "DELETE FROM plans WHERE version = ?"));
  ASSIGN_OR_RETURN(auto insert, SqliteStmt::Prepare(db,
                                                    "INSERT INTO plans (version, node, plan, "
                                                    "plan_hash) VALUES (?, ?, ?, ?)"));
  std::unique_ptr<SqliteStmt> set_hosts;
  if (hosts) {
    ASSIGN_OR_RETURN(
        set_hosts, SqliteStmt::Prepare(db, "UPDATE spec_versions SET hosts = ? WHERE version = ?"));
  }
  for (const auto& [version, plan] : compiled) {
    if (hosts) {
      set_hosts->BindBlob(1, plan.hosts().SerializeAsString()).Bind(2, version);
      RETURN_IF_ERROR(set_hosts->Run());
      RETURN_IF_ERROR(set_hosts->Reset());
    }
    clear->Bind(1, version);
    RETURN_IF_ERROR(clear->Run());
    RETURN_IF_ERROR(clear->Reset());
    for (const v1::NodePlan& node : plan.nodes()) {
      const std::string bytes = node.SerializeAsString();
      insert->Bind(1, version).Bind(2, node.node()).BindBlob(3, bytes).Bind(4, Sha256Hex(bytes));
      RETURN_IF_ERROR(insert->Run());
      RETURN_IF_ERROR(insert->Reset());
    }
  }
  return absl::OkStatus();
}

absl::Status RecompilePlans(SqliteDb& db) { return Recompile(db, /*hosts=*/false); }

// Adds spec_versions.hosts unless it is there already (SQLite has no ADD
// COLUMN IF NOT EXISTS), then compiles every version again.
absl::Status AddMetricsAddress(SqliteDb& db) {
  ASSIGN_OR_RETURN(const int64_t has, QueryInt(db,
                                               "SELECT count(*) FROM pragma_table_info('nodes') "
                                               "WHERE name = 'metrics_address'"));
  if (has > 0) return absl::OkStatus();
  return db.Exec("ALTER TABLE nodes ADD COLUMN metrics_address TEXT NOT NULL DEFAULT ''");
}

absl::Status AddHostsAndRecompilePlans(SqliteDb& db) {
  ASSIGN_OR_RETURN(
      int64_t has_hosts,
      QueryInt(db, "SELECT count(*) FROM pragma_table_info('spec_versions') WHERE name = 'hosts'"));
  if (has_hosts == 0) {
    RETURN_IF_ERROR(
        db.Exec("ALTER TABLE spec_versions ADD COLUMN hosts BLOB NOT NULL DEFAULT x''"));
  }
  return Recompile(db, /*hosts=*/true);
}

}  // namespace

absl::Status Migrate(SqliteDb& db, const std::string& path) {
  absl::StatusOr<int64_t> app_id = QueryInt(db, "PRAGMA application_id");
  if (!app_id.ok()) {
    return absl::DataLossError(
        absl::StrCat(path, " is not a usable SQLite database: ", app_id.status().message()));
  }
  ASSIGN_OR_RETURN(int64_t tables, QueryInt(db, "SELECT count(*) FROM sqlite_master"));
  if (*app_id != kApplicationId && !(*app_id == 0 && tables == 0)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a bam-controller database (application_id ", *app_id,
                     "); give --db a new path or the controller's own file"));
  }
  ASSIGN_OR_RETURN(int64_t user_version, QueryInt(db, "PRAGMA user_version"));
  if (user_version > kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " has schema version ", user_version, ", newer than this bam-controller knows (",
        kSchemaVersion, "); run a newer bam-controller"));
  }
  for (int64_t v = user_version; v < kSchemaVersion; ++v) {
    Transaction tx(db);
    RETURN_IF_ERROR(tx.Begin());
    if (*kMigrations[v].sql != '\0') {
      RETURN_IF_ERROR(Annotate(db.Exec(kMigrations[v].sql), absl::StrCat("migration ", v + 1)));
    }
    if (kMigrations[v].then != nullptr) {
      RETURN_IF_ERROR(Annotate(kMigrations[v].then(db), absl::StrCat("migration ", v + 1)));
    }
    RETURN_IF_ERROR(db.Exec(absl::StrCat("PRAGMA application_id = ", kApplicationId)));
    RETURN_IF_ERROR(db.Exec(absl::StrCat("PRAGMA user_version = ", v + 1)));
    RETURN_IF_ERROR(tx.Commit());
  }
  return absl::OkStatus();
}

int LatestSchemaVersion() { return kSchemaVersion; }

}  // namespace bamctl
