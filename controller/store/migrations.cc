#include "controller/store/migrations.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "google/protobuf/unknown_field_set.h"
#include "proto/controller.pb.h"
#include "proto/enum_text.h"

namespace bamctl {
namespace {

// PRAGMA application_id of a bam-controller database: "bamc".
constexpr int32_t kApplicationId = 0x62616d63;

// Operations written before states were enums hold their kind, state and
// step states as strings in fields now reserved: parse them from the
// unknown fields into the enums (text as EnumText gives it).
absl::Status ConvertStringStates(SqliteDb& db);
// Auto-rollouts written before the AutoRollout message kept their children
// as fake steps (the service in nodes(0), the child's id in
// command_ids(0)): move them into auto_rollout.children.
absl::Status ConvertAutoRolloutSteps(SqliteDb& db);

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

absl::Status ConvertAutoRolloutSteps(SqliteDb& db) {
  ASSIGN_OR_RETURN(auto select, SqliteStmt::Prepare(db,
                                                    "SELECT id, definition FROM operations "
                                                    "WHERE kind = ?"));
  select->Bind(1, EnumText(v1::OPERATION_KIND_AUTO_ROLLOUT));
  ASSIGN_OR_RETURN(auto child_of,
                   SqliteStmt::Prepare(db, "SELECT definition FROM operations WHERE id = ?"));
  std::vector<v1::Operation> converted;
  while (true) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    v1::Operation op;
    if (!op.ParseFromString(select->Text(1))) {
      return absl::DataLossError(absl::StrCat("operation ", select->Int(0), " does not parse"));
    }
    v1::AutoRollout* record = op.mutable_auto_rollout();
    for (const v1::RolloutStep& step : op.steps()) {
      v1::AutoRollout::Child* child = record->add_children();
      if (step.nodes_size() > 0) child->set_service(step.nodes(0));
      int64_t id = 0;
      if (step.command_ids_size() > 0 && absl::SimpleAtoi(step.command_ids(0), &id)) {
        child->set_operation_id(id);
      }
      child->set_started_ms(step.started_ms());
      // The role was not recorded; the child operation has it.
      child_of->Bind(1, id);
      ASSIGN_OR_RETURN(bool found, child_of->Step());
      v1::Operation child_op;
      if (found && child_op.ParseFromString(child_of->Text(0))) child->set_role(child_op.role());
      RETURN_IF_ERROR(child_of->Reset());
    }
    op.clear_steps();
    converted.push_back(std::move(op));
  }
  ASSIGN_OR_RETURN(auto update,
                   SqliteStmt::Prepare(db, "UPDATE operations SET definition = ? WHERE id = ?"));
  for (const v1::Operation& op : converted) {
    update->BindBlob(1, op.SerializeAsString()).Bind(2, op.id());
    RETURN_IF_ERROR(update->Run());
    RETURN_IF_ERROR(update->Reset());
  }
  return absl::OkStatus();
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
